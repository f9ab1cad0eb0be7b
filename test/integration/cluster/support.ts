import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

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
