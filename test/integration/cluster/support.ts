import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { provisionArmedSensor, startService } from '../../helpers/service.ts';

export interface Provisioned {
  dataDirs: string[];
  sensors: Array<{ sensorId: string; secret: string }>;
  /** A whole-grid technician token: a service client's MQTT password. */
  serviceToken: string;
}

/**
 * Each node has its own SQLite registry today, and a sensor's secret is
 * generated (and shown once) by the node that registers it. So one node
 * registers everything, stops, and its DATA_DIR is copied for every node:
 * the same sensors, secrets, tokens and admin token on all of them.
 */
export async function provisionedDataDirs(nodes: number, sensorIds: string[]): Promise<Provisioned> {
  const seed = await startService();
  try {
    const sensors = [];
    for (const sensor of sensorIds)
      sensors.push(await provisionArmedSensor(seed, { sensor, grid: 'cluster' }));
    const token = await seed.api('POST', '/api/tokens', {
      role: 'technician',
      gridId: null,
      name: 'cluster tests',
    });
    if (token.status !== 201) throw new Error(`token: ${token.status} ${JSON.stringify(token.body)}`);
    await seed.stop();
    const dataDirs = Array.from({ length: nodes }, (_, i) => {
      const dir = mkdtempSync(join(tmpdir(), `sealwatch-node${i + 1}-`));
      cpSync(seed.dataDir, dir, { recursive: true });
      return dir;
    });
    return { dataDirs, sensors, serviceToken: token.body.token as string };
  } finally {
    await seed.cleanup();
  }
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  dup: boolean;
  at: number;
}

/**
 * An mqtt.js client (no automatic reconnect) that records every message from
 * the first byte on: queued messages of a persistent session arrive right
 * after CONNACK, before `connectAsync` would have returned.
 */
export async function connectRecording(
  url: string,
  options: IClientOptions,
): Promise<{ client: MqttClient; received: Received[]; sessionPresent: boolean }> {
  const client = mqtt.connect(url, {
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    protocolVersion: 4,
    ...options,
  });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) =>
    received.push({
      topic,
      payload: payload.toString(),
      retain: packet.retain,
      dup: packet.dup,
      at: Date.now(),
    }),
  );
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', (packet) => resolve(packet));
    client.once('error', reject);
    client.once('close', () => reject(new Error(`connection to ${url} closed before CONNACK`)));
  });
  client.removeAllListeners('error');
  client.on('error', () => undefined);
  return { client, received, sessionPresent: connack.sessionPresent };
}

export const seqsOf = (received: Received[], topic: string) =>
  received.filter((m) => m.topic === topic).map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
