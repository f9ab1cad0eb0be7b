import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMemoryMiB } from '../../bench/lib/processMemory.ts';
import { metricValue } from '../helpers/metrics.ts';
import { connectSensor } from '../helpers/mqtt.ts';
import { provisionArmedSensor, startService } from '../helpers/service.ts';
import type { FuzzOptions, FuzzStats } from './mqttFuzzer.ts';
import { percentile, pubackLatencies, report, sampleMemory } from './support.ts';

describe('hostile MQTT input', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let legit: { sensorId: string; secret: string };
  let attacker: { sensorId: string; secret: string };

  beforeAll(async () => {
    svc = await startService();
    legit = await provisionArmedSensor(svc, { sensor: 'legit-1', grid: 'fuzz' });
    attacker = await provisionArmedSensor(svc, { sensor: 'fuzz-1', grid: 'fuzz' });
  });
  afterAll(async () => svc?.cleanup());

  it('survives the fuzzer with bounded memory while a real sensor keeps being acknowledged', async () => {
    const client = await connectSensor(svc.mqttUrl, legit.sensorId, legit.secret, { keepalive: 60 });
    const healthy = await pubackLatencies(client, legit.sensorId, 1, 300);
    const idle = processMemoryMiB(svc.pid);
    const memory = sampleMemory(svc.pid);

    const fuzzing = fuzzInChild({
      host: '127.0.0.1',
      port: svc.mqttPort,
      durationMs: 12_000,
      concurrency: 8,
      halfOpen: 2_000,
      credentials: { username: attacker.sensorId, password: attacker.secret },
      seed: 42,
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const underAttack = await pubackLatencies(client, legit.sensorId, 1_000, 300);
    const stats = await fuzzing;
    const peak = memory.stop();

    // Alive, answering, and every legitimate message applied.
    expect((await svc.api('GET', '/healthz', undefined, null)).status).toBe(200);
    const seal = (await svc.api('GET', `/api/seals/${legit.sensorId}`)).body;
    expect(seal.online).toBe(true);
    expect(underAttack).toHaveLength(300);
    await client.endAsync();

    const text = (await svc.api('GET', '/metrics', undefined, null)).body as string;
    for (const reason of [
      'packet_too_large',
      'malformed_length',
      'first_packet_not_connect',
      'reserved_packet_type',
      'reserved_flags',
    ]) {
      expect(metricValue(text, 'sealwatch_mqtt_refused', { reason }), reason).toBeGreaterThan(0);
    }
    expect(metricValue(text, 'sealwatch_mqtt_refused', { reason: 'bad_topic' })).toBeGreaterThan(0);
    // 256 MiB announced again and again was never buffered.
    expect(peak - idle.rss).toBeLessThan(256);

    report('fuzz', {
      attacks: stats.attacks,
      connectionsOpened: stats.connectionsOpened,
      closedByServer: stats.closedByServer,
      halfOpenHeld: stats.halfOpenHeld,
      rssIdleMiB: idle.rss,
      rssPeakMiB: peak,
      pubackHealthyMs: { p50: percentile(healthy, 50), p99: percentile(healthy, 99) },
      pubackUnderAttackMs: { p50: percentile(underAttack, 50), p99: percentile(underAttack, 99) },
    });
  });
});

function fuzzInChild(options: FuzzOptions): Promise<FuzzStats> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(import.meta.dirname, 'fuzzCli.ts'), JSON.stringify(options)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? done(JSON.parse(out) as FuzzStats) : fail(new Error(`fuzzer exited ${code}`)),
    );
  });
}
