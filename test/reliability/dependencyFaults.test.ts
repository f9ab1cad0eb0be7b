import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import {
  type FaultMode,
  type FaultProxy,
  HTTP_503,
  SMTP_421,
  startFaultProxy,
} from '../helpers/faultProxy.ts';
import { connectSensor, eventPayload } from '../helpers/mqtt.ts';
import { startService } from '../helpers/service.ts';
import { type SmtpCapture, startSmtp } from '../helpers/smtp.ts';
import { startVictoriaMetrics, type VictoriaMetricsServer } from '../helpers/victoriaMetrics.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.ts';
import { armedHousehold, provisionGrid } from '../integration/alerting/grid.ts';
import { percentile, pubackLatencies, report } from './support.ts';

const SLOW: FaultMode = { kind: 'slow', delayMs: 3_000 };
const PASS: FaultMode = { kind: 'pass' };

/**
 * InfluxDB, SMTP and the webhook receiver down, slow (3 s per chunk) and
 * answering errors, one at a time and together, behind fault proxies in front
 * of the real servers. Nothing accepted is lost, everything is delivered after
 * recovery, and MQTT ingest and the API keep answering (latencies reported).
 */
describe('dependency faults', () => {
  let vm: VictoriaMetricsServer;
  let smtp: SmtpCapture;
  let hook: WebhookReceiver;
  const proxy = {} as Record<'influx' | 'smtp' | 'hook', FaultProxy>;
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    // One sample per series and millisecond, as InfluxDB keeps one point per series and time: a batch
    // re-sent after a timeout that the server had in fact stored lands on the same samples, while
    // two messages never share a millisecond (ingest/telemetry/seriesTimes.ts).
    vm = await startVictoriaMetrics({ dedup: true });
    smtp = await startSmtp();
    hook = await startWebhookReceiver();
    proxy.influx = await startFaultProxy(vm.port);
    proxy.smtp = await startFaultProxy(smtp.port);
    proxy.hook = await startFaultProxy(Number(new URL(hook.url).port));
    svc = await startService({
      env: {
        INFLUX_URL: proxy.influx.url('http'),
        INFLUX_API: 'v2',
        INFLUX_ORG: 'sealwatch',
        INFLUX_BUCKET: 'seals',
        INFLUX_TOKEN: 'unused-by-victoria-metrics',
        SMTP_URL: proxy.smtp.url('smtp'),
        MAIL_FROM: 'SealWatch <alerts@example.org>',
      },
    });
    await provisionGrid(svc, proxy.hook.url('http'));
  });
  afterAll(async () => {
    await svc?.cleanup();
    for (const p of Object.values(proxy)) await p.close();
    await hook?.close();
    await smtp?.stop();
    await vm?.close();
  });

  it('loses nothing, delivers everything after recovery, and keeps ingest and the API answering', async () => {
    const phases: Array<{ name: string; influx: FaultMode; smtp: FaultMode; hook: FaultMode }> = [
      { name: 'healthy', influx: PASS, smtp: PASS, hook: PASS },
      { name: 'InfluxDB slow', influx: SLOW, smtp: PASS, hook: PASS },
      { name: 'SMTP answering 421', influx: PASS, smtp: { kind: 'answer', bytes: SMTP_421 }, hook: PASS },
      { name: 'webhook receiver down', influx: PASS, smtp: PASS, hook: { kind: 'down' } },
      {
        name: 'InfluxDB 503, SMTP slow, webhook slow',
        influx: { kind: 'answer', bytes: HTTP_503 },
        smtp: SLOW,
        hook: SLOW,
      },
      { name: 'all down', influx: { kind: 'down' }, smtp: { kind: 'down' }, hook: { kind: 'down' } },
    ];
    const results: Record<string, unknown>[] = [];
    let seq = 1;
    let heartbeats = 0;
    const breaches: string[] = [];

    for (const [i, phase] of phases.entries()) {
      proxy.influx.set(phase.influx);
      proxy.smtp.set(phase.smtp);
      proxy.hook.set(phase.hook);
      // One breach per phase: a door opens in a new quarantined household.
      const { sensorId, secret } = await armedHousehold(svc, 'dongcun', `f${i}`);
      const client = await connectSensor(svc.mqttUrl, sensorId, secret);
      await client.publishAsync(`seal/${sensorId}/event`, eventPayload('open', seq++), { qos: 1 });
      breaches.push(sensorId);
      const puback = await pubackLatencies(client, sensorId, 1_000, 150);
      heartbeats += 150;
      await client.endAsync();
      const api: number[] = [];
      for (let k = 0; k < 60; k++) {
        const started = performance.now();
        expect((await svc.api('GET', `/api/seals/${sensorId}`)).status).toBe(200);
        api.push(performance.now() - started);
      }
      api.sort((a, b) => a - b);
      results.push({
        phase: phase.name,
        pubackP50Ms: Math.round(percentile(puback, 50) * 10) / 10,
        pubackP99Ms: Math.round(percentile(puback, 99) * 10) / 10,
        apiP50Ms: Math.round(percentile(api, 50) * 10) / 10,
        apiP99Ms: Math.round(percentile(api, 99) * 10) / 10,
      });
    }

    for (const p of Object.values(proxy)) p.set(PASS);
    const recoveredAt = Date.now();
    // Every breach reached the grid worker by e-mail and by webhook, once each.
    await eventually(
      () =>
        breaches.every((s) =>
          smtp.inbox.some(
            (m) => m.to.includes('wang@example.org') && m.text.includes(s.replace('seal-', '')),
          ),
        ),
      240_000,
      'every breach e-mail delivered',
    );
    await eventually(
      () => hook.received.filter((r) => r.path === '/wang').length >= breaches.length,
      240_000,
      'every breach webhook delivered',
    );
    // All points arrived: one door point per open, one heartbeat point per heartbeat.
    const stored = { door: -1, heartbeat: -1 };
    await eventually(
      async () => {
        const door = await vm.export('{__name__="door_open"}');
        const hb = await vm.export('{__name__="heartbeat_battery"}');
        const count = (series: typeof door) => series.reduce((n, s) => n + s.values.length, 0);
        stored.door = count(door);
        stored.heartbeat = count(hb);
        return stored.door === breaches.length && stored.heartbeat === heartbeats;
      },
      60_000,
      'every telemetry point in VictoriaMetrics',
    ).catch(() => undefined);
    // Asserted as counts, so a failure says whether points are missing or doubled.
    expect(stored).toEqual({ door: breaches.length, heartbeat: heartbeats });
    // E-mail is at least once, not exactly once: a connection cut after the server took the final
    // "." but before its reply reached the sender leaves the sender no way to know, so it sends again
    // (RFC 1047, "Duplicate messages and SMTP"; RFC 5321 §6.1 asks a server to answer the final "."
    // at once to keep that window short). Here a session that straddles the switch to a slow proxy
    // and then to a cut one can fall in that window. A second copy must then be the same message
    // with the same Message-ID (alerting/notifiers/email.ts), which a receiver de-duplicates on.
    const wangMails = smtp.inbox.filter((m) => m.to.includes('wang@example.org'));
    const copies = new Map<string, Set<string>>();
    for (const m of wangMails)
      copies.set(m.messageId, (copies.get(m.messageId) ?? new Set()).add(`${m.subject}\n${m.text}`));
    for (const [messageId, versions] of copies) expect(versions.size, `copies of ${messageId}`).toBe(1);
    // A resend needs a session cut in that window: no more of them than the proxy changed its mode.
    expect(wangMails.length - copies.size).toBeLessThanOrEqual(phases.length);

    report('dependency-faults', {
      phases: results,
      breaches: breaches.length,
      heartbeats,
      emailsToWorker: wangMails.length,
      emailsResentAfterACutSession: wangMails.length - copies.size,
      webhooksToWorker: hook.received.filter((r) => r.path === '/wang').length,
      secondsToDeliverAfterRecovery: Math.round((Date.now() - recoveredAt) / 1000),
      telemetryPointsLost: 0,
    });
  });
});
