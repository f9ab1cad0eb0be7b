import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/backupCli.ts';
import { eventually } from '../helpers/eventually.ts';
import { connectSensor, eventPayload } from '../helpers/mqtt.ts';
import { type RunningService, startService } from '../helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.ts';
import { must } from '../integration/alerting/grid.ts';
import { report } from './support.ts';

/**
 * Issue 21.1: `npm run backup` while sensors publish at QoS 1, `npm run restore` into a fresh DATA_DIR,
 * and the service started on it. The registry, the open alerts with their escalation deadlines, an
 * acknowledgement and the door events PUBACKed before the backup are all there; the sensors log in with
 * their secrets; a link sent before the backup still acknowledges (the ack-link key came along); and no
 * notification delivered before the backup is sent again, while a new alert is notified (the outbox runs).
 */

// Long enough that no escalation falls due during the test: a deadline must come back unchanged.
const ENV = { ESCALATE_AFTER: '10m,30m', HEARTBEAT_INTERVAL: '60s' };
const SENSORS = Array.from({ length: 12 }, (_, i) => `s-${String(i).padStart(2, '0')}`);

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function provision(svc: RunningService, hook: string): Promise<Map<string, string>> {
  for (const n of [
    { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' },
    { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' },
    { id: 'dongcun', name: '东村', parentId: 'shicun', level: 'village' },
  ])
    await must(svc, 'POST', '/api/grid', n, 201);
  await must(
    svc,
    'POST',
    '/api/workers',
    { id: 'l-town', name: '镇网格长', gridId: 'shicun', role: 'leader', webhook: `${hook}/town` },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/workers',
    { id: 'w-dong', name: '王网格员', gridId: 'dongcun', role: 'worker', webhook: `${hook}/dong` },
    201,
  );
  const secrets = new Map<string, string>();
  for (const id of SENSORS) {
    const householdId = `h-${id}`;
    await must(
      svc,
      'POST',
      '/api/households',
      { id: householdId, gridId: 'dongcun', address: `${id} 号` },
      201,
    );
    await must(
      svc,
      'POST',
      '/api/quarantines',
      { householdId, start: new Date(Date.now() - 3_600_000).toISOString() },
      201,
    );
    secrets.set(id, (await must(svc, 'POST', '/api/sensors', { id, householdId }, 201)).secret as string);
  }
  return secrets;
}

/** Every sensor publishes QoS 1 heartbeats, each waiting for its PUBACK, until stopped. */
function loadAll(clients: Map<string, MqttClient>, seqs: Map<string, number>) {
  let running = true;
  let acked = 0;
  const loops = [...clients].map(async ([id, client]) => {
    while (running) {
      const seq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, seq);
      const payload = JSON.stringify({ ts: Date.now(), seq, door: 'closed', battery: 90, rssi: -60 });
      await client.publishAsync(`seal/${id}/heartbeat`, payload, { qos: 1 });
      acked++;
    }
  });
  return {
    acked: () => acked,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const deliveryIds = (hook: WebhookReceiver) =>
  hook.received.map((r) => String(r.headers['x-sealwatch-delivery']));

describe('backup under QoS 1 load, restore, start', () => {
  it('brings back the registry, alerts, deadlines, acknowledgements and sends nothing twice', async () => {
    const hook = await startWebhookReceiver();
    cleanups.push(() => hook.close());
    const svc = await startService({ env: ENV });
    cleanups.push(() => svc.cleanup());
    const secrets = await provision(svc, hook.url);
    const clients = new Map<string, MqttClient>();
    for (const id of SENSORS) clients.set(id, await connectSensor(svc.mqttUrl, id, secrets.get(id)!));
    cleanups.push(async () => {
      for (const c of clients.values()) await c.endAsync(true);
    });
    const seqs = new Map<string, number>();
    const load = loadAll(clients, seqs);

    // Three breaches, notified; the first acknowledged. All before the backup.
    for (const id of ['s-00', 's-01', 's-02']) {
      const seq = (seqs.get(id) ?? 0) + 1;
      seqs.set(id, seq);
      await clients.get(id)!.publishAsync(`seal/${id}/event`, eventPayload('open', seq), { qos: 1 });
    }
    await eventually(
      async () => hook.received.filter((r) => r.path === '/dong').length >= 3,
      15_000,
      '3 notified',
    );
    const alerts = async (s: RunningService) =>
      ((await s.api('GET', '/api/alerts?limit=100')).body as { id: string; sensorId: string }[]).filter((a) =>
        a.sensorId?.startsWith('s-'),
      );
    const first = (await alerts(svc)).find((a) => a.sensorId === 's-00')!;
    await must(svc, 'POST', `/api/alerts/${first.id}/ack`, { note: 'on my way' }, 200);
    // Whatever the acknowledgement notifies is delivered before the backup: the outbox is settled.
    await eventually(
      async () => {
        const details = await Promise.all(
          (await alerts(svc)).map(async (a) => (await svc.api('GET', `/api/alerts/${a.id}`)).body),
        );
        return details.every((d) =>
          d.deliveries.every((x: { status: string }) => x.status === 'delivered' || x.status === 'folded'),
        );
      },
      15_000,
      'every delivery done',
    );
    const deliveredBefore = new Set(deliveryIds(hook));
    const ackLinkFor = (sensorId: string) =>
      hook.received.find((r) => r.json?.data?.sensorId === sensorId && r.json?.ackUrl)?.json.ackUrl as string;
    const linkForS01 = ackLinkFor('s-01');
    expect(linkForS01).toBeTruthy();

    const before = {
      grid: (await svc.api('GET', '/api/grid?limit=1000')).body.items.map((n: { id: string }) => n.id).sort(),
      workers: (await svc.api('GET', '/api/workers?limit=1000')).body.items
        .map((n: { id: string }) => n.id)
        .sort(),
      households: (await svc.api('GET', '/api/households?limit=1000')).body.items
        .map((n: { id: string }) => n.id)
        .sort(),
      sensors: (await svc.api('GET', '/api/sensors?limit=1000')).body.items
        .map((n: { id: string }) => n.id)
        .sort(),
      alerts: await alerts(svc),
    };
    expect(before.alerts.map((a) => a.sensorId).sort()).toEqual(['s-00', 's-01', 's-02']);

    // The backup, while every sensor keeps publishing at QoS 1.
    const backupDir = mkdtempSync(join(tmpdir(), 'sealwatch-backup-'));
    cleanups.push(() => rmSync(backupDir, { recursive: true, force: true }));
    const file = join(backupDir, 'sealwatch.tar.gz');
    const ackedAtStart = load.acked();
    const backup = await runCli('backup', ['--out', file], {
      DATA_DIR: svc.dataDir,
      DATABASE_URL: undefined,
    });
    const ackedDuring = load.acked() - ackedAtStart;
    expect(backup.stderr + backup.stdout).toMatch(/backup written/);
    expect(backup.status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ackedDuring).toBeGreaterThan(0); // the service kept acknowledging while it was copied
    const restarts = (backup.stderr.match(/copying again/g) ?? []).length;

    await load.stop();
    expect(await svc.stop()).toBe(0);

    // Restore into a fresh DATA_DIR and start on it.
    const restored = join(mkdtempSync(join(tmpdir(), 'sealwatch-restored-')), 'data');
    cleanups.push(() => rmSync(join(restored, '..'), { recursive: true, force: true }));
    const restore = await runCli('restore', [file, '--data-dir', restored]);
    expect(restore.stderr + restore.stdout).toMatch(/restored the backup/);
    expect(restore.status).toBe(0);
    expect(statSync(restored).mode & 0o777).toBe(0o700);
    for (const name of ['sealwatch.db', 'ack-link.key', 'admin-token'])
      expect(statSync(join(restored, name)).mode & 0o777, name).toBe(0o600);

    const svc2 = await startService({ dataDir: restored, env: ENV });
    cleanups.push(() => svc2.cleanup());
    expect(svc2.adminToken).toBe(svc.adminToken);

    const ids = async (path: string) =>
      (await svc2.api('GET', `${path}?limit=1000`)).body.items.map((n: { id: string }) => n.id).sort();
    expect(await ids('/api/grid')).toEqual(before.grid);
    expect(await ids('/api/workers')).toEqual(before.workers);
    expect(await ids('/api/households')).toEqual(before.households);
    expect(await ids('/api/sensors')).toEqual(before.sensors);

    // The same alerts: status, acknowledgement, escalation level and deadline.
    const after = await alerts(svc2);
    const pick = (a: Record<string, unknown>) => ({
      id: a.id,
      sensorId: a.sensorId,
      status: a.status,
      ackedAt: a.ackedAt,
      ackedBy: a.ackedBy,
      escalationLevel: a.escalationLevel,
      nextEscalationAt: a.nextEscalationAt,
    });
    expect(after.map(pick)).toEqual(before.alerts.map(pick));
    expect(after.find((a) => a.sensorId === 's-00')).toMatchObject({ status: 'acknowledged' });
    expect(after.find((a) => a.sensorId === 's-01')).toMatchObject({ status: 'open' });
    expect(
      (after.find((a) => a.sensorId === 's-02') as { nextEscalationAt?: string }).nextEscalationAt,
    ).toBeTruthy();

    // The door events PUBACKed before the backup.
    for (const id of ['s-00', 's-01', 's-02']) {
      const history = (await svc2.api('GET', `/api/seals/${id}/history`)).body.items as { type: string }[];
      expect(
        history.some((e) => e.type === 'open'),
        id,
      ).toBe(true);
    }

    // Sensors log in with the secrets they were given before the backup.
    const again = await connectSensor(svc2.mqttUrl, 's-03', secrets.get('s-03')!);
    cleanups.push(() => again.endAsync(true));

    // A link sent before the backup acknowledges on the restored service (the same ack-link key).
    const token = new URL(linkForS01).pathname.split('/').at(-1)!;
    const viaLink = await fetch(`${svc2.httpUrl}/ack/${token}`, { method: 'POST' });
    expect(viaLink.status).toBe(200);
    expect((await alerts(svc2)).find((a) => a.sensorId === 's-01')).toMatchObject({ status: 'acknowledged' });

    // A new breach is notified (the outbox runs) ...
    await again.publishAsync('seal/s-03/event', eventPayload('open', (seqs.get('s-03') ?? 0) + 1), {
      qos: 1,
    });
    await hook.waitFor((r) => r.json?.data?.sensorId === 's-03', 15_000);
    // ... and a few outbox sweeps later nothing delivered before the backup came again.
    await new Promise((r) => setTimeout(r, 3_000));
    const resent = deliveryIds(hook).filter((id, i, all) => deliveredBefore.has(id) && all.indexOf(id) !== i);
    expect(resent).toEqual([]);
    expect(deliveryIds(hook).length).toBe(new Set(deliveryIds(hook)).size);

    report('backup-under-load', {
      sensors: SENSORS.length,
      backupMs: backup.ms,
      backupBytes: statSync(file).size,
      pubacksDuringBackup: ackedDuring,
      copyRestarts: restarts,
      restoreMs: restore.ms,
      notificationsBefore: deliveredBefore.size,
      notificationsAfter: hook.received.length - deliveredBefore.size,
    });
  });
});
