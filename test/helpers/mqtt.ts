import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** A real MQTT client that does not reconnect by itself, so tests see every refusal. */
export async function connectClient(url: string, options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    protocolVersion: 4,
    ...options,
  });
}

export function connectSensor(url: string, sensorId: string, secret: string, options: IClientOptions = {}) {
  return connectClient(url, { clientId: sensorId, username: sensorId, password: secret, ...options });
}

/** Tries to connect and returns the refusal (CONNACK return code or error message). */
export async function connectRefusal(url: string, options: IClientOptions): Promise<string> {
  try {
    const client = await connectClient(url, options);
    await client.endAsync();
    return 'connected';
  } catch (err) {
    const e = err as Error & { code?: number };
    return e.code !== undefined ? `code ${e.code}` : e.message;
  }
}

/** Resolves when the broker closes the connection. */
export function closed(client: MqttClient, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('connection was not closed')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const eventPayload = (type: 'open' | 'close' | 'tamper', seq: number, ts = Date.now()) =>
  JSON.stringify({ type, ts, seq });

export const heartbeatPayload = (
  seq: number,
  door: 'open' | 'closed',
  battery = 90,
  rssi = -60,
  ts = Date.now(),
) => JSON.stringify({ ts, seq, door, battery, rssi });
