import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MqttClient } from 'mqtt';
import { processMemoryMiB } from '../../bench/lib/processMemory.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../artifacts');

/** Numbers for the closing note and the report table: written, never asserted as timings. */
export function report(name: string, data: unknown): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(resolve(ARTIFACTS, `reliability-${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  console.log(`[reliability] ${name}: ${JSON.stringify(data)}`);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Publishes `count` QoS 1 heartbeats one after another; returns PUBACK latencies in ms, sorted. */
export async function pubackLatencies(
  client: MqttClient,
  sensorId: string,
  firstSeq: number,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const seq = firstSeq + i;
    const payload = JSON.stringify({ ts: Date.now(), seq, door: 'closed', battery: 90, rssi: -60 });
    const started = performance.now();
    await client.publishAsync(`seal/${sensorId}/heartbeat`, payload, { qos: 1 });
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

/** Samples a process's resident memory until stopped; returns the peak in MiB. */
export function sampleMemory(pid: number, everyMs = 100): { stop(): number } {
  let peak = processMemoryMiB(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, processMemoryMiB(pid).rss);
    } catch {
      // The process ended; keep the peak seen.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
