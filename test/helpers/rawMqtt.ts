import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/**
 * A bare MQTT 3.1.1 connection for protocol tests: we choose every byte and
 * every acknowledgement (mqtt.js would PUBACK on its own).
 */
export interface RawMqtt {
  socket: Socket;
  packets: Packet[];
  send(packet: Record<string, unknown>): void;
  sendBytes(bytes: Buffer): void;
  next(match: (p: Packet) => boolean, timeoutMs?: number): Promise<Packet>;
  closed(timeoutMs?: number): Promise<number>;
  end(): void;
}

export async function rawMqtt(port: number): Promise<RawMqtt> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: Packet[] = [];
  const waiters = new Set<{ match: (p: Packet) => boolean; resolve: (p: Packet) => void }>();
  parser.on('packet', (p: Packet) => {
    packets.push(p);
    for (const w of waiters) {
      if (w.match(p)) {
        waiters.delete(w);
        w.resolve(p);
      }
    }
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => undefined);
  const openedAt = Date.now();
  return {
    socket,
    packets,
    send: (packet) => socket.write(mqttPacket.generate(packet as unknown as Packet)),
    sendBytes: (bytes) => socket.write(bytes),
    next(match, timeoutMs = 5_000) {
      const seen = packets.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error('expected packet did not arrive'));
        }, timeoutMs).unref();
      });
    },
    closed(timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        if (socket.destroyed) return resolve(Date.now() - openedAt);
        const timer = setTimeout(() => reject(new Error('connection was not closed')), timeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(Date.now() - openedAt);
        });
      });
    },
    end: () => socket.destroy(),
  };
}

export const connectFor = (
  clientId: string,
  username?: string,
  password?: string,
  extra: Record<string, unknown> = {},
) => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  clientId,
  keepalive: 30,
  ...(username ? { username, password: Buffer.from(password ?? '') } : {}),
  ...extra,
});

/** A raw connection whose CONNECT was accepted (return code 0); throws with the code otherwise. */
export async function loggedIn(port: number, connect: ReturnType<typeof connectFor>): Promise<RawMqtt> {
  const c = await rawMqtt(port);
  c.send(connect);
  const { returnCode } = (await c.next((p) => p.cmd === 'connack')) as { returnCode: number };
  if (returnCode === 0) return c;
  c.end();
  throw new Error(`CONNECT refused with return code ${returnCode}`);
}

/** Connects (the CONNECT must be accepted), disconnects cleanly, and returns the CONNACK's Session Present flag. */
export async function sessionPresentAt(
  port: number,
  connect: ReturnType<typeof connectFor>,
): Promise<boolean> {
  const c = await rawMqtt(port);
  c.send(connect);
  const connack = (await c.next((p) => p.cmd === 'connack')) as {
    returnCode: number;
    sessionPresent: boolean;
  };
  if (connack.returnCode !== 0) throw new Error(`CONNECT refused with return code ${connack.returnCode}`);
  c.send({ cmd: 'disconnect' });
  await c.closed();
  return connack.sessionPresent;
}
