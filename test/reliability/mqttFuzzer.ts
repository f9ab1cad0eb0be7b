/**
 * Our MQTT fuzzer: hostile clients against a broker on loopback. Each attack
 * opens its own TCP connection and sends something a broken or malicious
 * device might: impossible lengths, invalid UTF-8 and NUL in topics and
 * client ids, reserved flags, packets out of order, unsolicited
 * acknowledgements, CONNECTs dribbled byte by byte, connections that never
 * speak. Bounded in count and time; it stops by itself.
 */
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { seededRandom } from '../../simulator/models/rng.ts';

export interface FuzzCredentials {
  username: string;
  password: string;
}

export interface FuzzOptions {
  host: string;
  port: number;
  durationMs: number;
  /** Hostile connections in flight at once. */
  concurrency?: number;
  /** Connections opened and left silent for the whole run. */
  halfOpen?: number;
  /** A real sensor's credentials, to attack after a successful CONNECT. */
  credentials?: FuzzCredentials;
  seed?: number;
}

export interface FuzzStats {
  attacks: Record<string, number>;
  connectionsOpened: number;
  closedByServer: number;
  halfOpenHeld: number;
  halfOpenClosedByServer: number;
  bytesSent: number;
}

type Attack = (s: Socket, rng: () => number, creds: FuzzCredentials | undefined) => Buffer[];

const gen = (packet: object): Buffer => mqttPacket.generate(packet as mqttPacket.Packet);

const connectPacket = (clientId: string, creds?: FuzzCredentials): Buffer =>
  gen({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId,
    keepalive: 30,
    ...(creds ? { username: creds.username, password: Buffer.from(creds.password) } : {}),
  });

/** A PUBLISH whose topic bytes are given raw (mqtt-packet would encode them as valid UTF-8). */
function rawPublish(topic: Buffer, payload: Buffer, qos = 0): Buffer {
  const body = Buffer.concat([
    Buffer.from([topic.length >> 8, topic.length & 0xff]),
    topic,
    qos > 0 ? Buffer.from([0x00, 0x01]) : Buffer.alloc(0),
    payload,
  ]);
  return Buffer.concat([Buffer.from([0x30 | (qos << 1)]), encodeLength(body.length), body]);
}

function encodeLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

const randomBytes = (rng: () => number, n: number) =>
  Buffer.from(Array.from({ length: n }, () => Math.floor(rng() * 256)));

export const ATTACKS: Record<string, Attack> = {
  /** Remaining length of 256 MiB - 1: a broker that buffers the whole packet holds 256 MiB. */
  hugeRemainingLength: (_s, rng) => [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), randomBytes(rng, 1024)],
  /** Five length bytes: malformed by MQTT 2.2.3. */
  overlongLengthField: () => [Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x01])],
  /** A CONNECT that announces more than it sends, then garbage. */
  wrongLength: (_s, rng) => {
    const p = connectPacket('fuzz-len');
    p[1] = Math.min(127, (p[1] ?? 0) + 40);
    return [p, randomBytes(rng, 8)];
  },
  /** Anything before CONNECT (MQTT-3.1.0-1). */
  publishBeforeConnect: () => [gen({ cmd: 'publish', topic: 'seal/x/event', payload: '{}', qos: 0 })],
  reservedPacketType: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    Buffer.from([0xf0, 0x00]),
  ],
  subscribeWithWrongFlags: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    Buffer.from([0x80, 0x05, 0x00, 0x01, 0x00, 0x01, 0x23]),
  ],
  publishQos3: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]),
  ],
  invalidUtf8Topic: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    rawPublish(Buffer.from([0x73, 0x65, 0x61, 0x6c, 0x2f, 0xc3, 0x28, 0x2f, 0x65]), Buffer.from('{}'), 1),
  ],
  nulInTopic: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    rawPublish(Buffer.from(`seal/${creds?.username ?? 'x'}\u0000/event`), Buffer.from('{}'), 1),
  ],
  nulInClientId: (_s, _r, creds) => [connectPacket('fuzz\u0000id', creds)],
  invalidUtf8ClientId: () => {
    const p = connectPacket('fuzzAB');
    const at = p.indexOf(Buffer.from('fuzzAB'));
    p[at + 4] = 0xc3;
    p[at + 5] = 0x28;
    return [p];
  },
  secondConnect: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    connectPacket(creds?.username ?? 'fuzz', creds),
  ],
  unsolicitedPuback: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    gen({ cmd: 'puback', messageId: 4242 }),
    gen({ cmd: 'pubrel', messageId: 4243 }),
    gen({ cmd: 'pubcomp', messageId: 4244 }),
  ],
  wrongProtocolLevel: () => {
    const p = connectPacket('fuzz-level');
    const at = p.indexOf(Buffer.from('MQTT')) + 4;
    p[at] = 9;
    return [p];
  },
  garbage: (_s, rng) => [randomBytes(rng, 64 + Math.floor(rng() * 512))],
  wildcardPublish: (_s, _r, creds) => [
    connectPacket(creds?.username ?? 'fuzz', creds),
    gen({ cmd: 'publish', topic: 'seal/#', payload: '{}', qos: 0 }),
  ],
};

/** Dribbles a CONNECT one byte a second: held open until the broker's connect timeout. */
function slowConnect(socket: Socket, stopAt: number): void {
  const bytes = connectPacket('fuzz-slow');
  let i = 0;
  const timer = setInterval(() => {
    if (i >= bytes.length || Date.now() > stopAt || socket.destroyed) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes.subarray(i, i + 1));
    i++;
  }, 1000);
  socket.once('close', () => clearInterval(timer));
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzStats> {
  const rng = seededRandom(options.seed ?? 1);
  const stats: FuzzStats = {
    attacks: {},
    connectionsOpened: 0,
    closedByServer: 0,
    halfOpenHeld: 0,
    halfOpenClosedByServer: 0,
    bytesSent: 0,
  };
  const stopAt = Date.now() + options.durationMs;
  const sockets = new Set<Socket>();
  const open = (onClose: () => void): Promise<Socket> =>
    new Promise((resolve) => {
      const s = connect({ host: options.host, port: options.port });
      sockets.add(s);
      stats.connectionsOpened++;
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.once('close', () => {
        sockets.delete(s);
        onClose();
      });
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(s));
    });

  // Half-open connections: TCP up, not a byte sent.
  for (let i = 0; i < (options.halfOpen ?? 0); i++) {
    await open(() => {
      if (Date.now() < stopAt) stats.halfOpenClosedByServer++;
    });
    stats.halfOpenHeld++;
  }

  const names = Object.keys(ATTACKS);
  const worker = async () => {
    while (Date.now() < stopAt) {
      const name = names[Math.floor(rng() * names.length)] as string;
      let closed = false;
      const s = await open(() => {
        closed = true;
      });
      if (s.destroyed) continue;
      if (rng() < 0.05) {
        stats.attacks.slowConnect = (stats.attacks.slowConnect ?? 0) + 1;
        slowConnect(s, stopAt);
        continue;
      }
      stats.attacks[name] = (stats.attacks[name] ?? 0) + 1;
      for (const chunk of (ATTACKS[name] as Attack)(s, rng, options.credentials)) {
        if (s.destroyed) break;
        s.write(chunk);
        stats.bytesSent += chunk.length;
      }
      // Give the server a moment to answer, then leave.
      await new Promise((r) => setTimeout(r, 20));
      if (closed) stats.closedByServer++;
      s.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  for (const s of sockets) s.destroy();
  return stats;
}
