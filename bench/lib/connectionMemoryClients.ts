/**
 * The client side of bench/lib/connectionMemoryProbe.ts, in its own process (its sockets count
 * against its own open-file limit, and its memory is not the broker's): N MQTT 3.1.1 connections
 * shaped like seals (client id = username, a password, a will, a retained `online` and a QoS 1
 * heartbeat), 100 CONNECTs in flight. Prints "ready" when every PUBACK is in, then holds the
 * sockets until killed.
 */
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
const IN_FLIGHT = 100;
const sockets: Socket[] = [];
let started = 0;
let done = 0;

function open(i: number): void {
  const id = `mem-${String(i).padStart(6, '0')}`;
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  const parser = mqttPacket.parser();
  let acks = 0;
  parser.on('packet', (p) => {
    if (p.cmd === 'connack') {
      socket.write(
        Buffer.concat([
          mqttPacket.generate({
            cmd: 'publish',
            topic: `seal/${id}/status`,
            payload: Buffer.from('online'),
            qos: 1,
            messageId: 1,
            retain: true,
            dup: false,
          }),
          mqttPacket.generate({
            cmd: 'publish',
            topic: `seal/${id}/event`,
            payload: Buffer.from(`{"type":"heartbeat","ts":${Date.now()},"seq":1}`),
            qos: 1,
            messageId: 2,
            retain: false,
            dup: false,
          }),
        ]),
      );
    } else if (p.cmd === 'puback' && ++acks === 2) {
      done++;
      if (started < n) open(started++);
      if (done === n) process.stdout.write('ready\n');
    }
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', (err) => {
    process.stderr.write(`${id}: ${err.message}\n`);
    process.exit(1);
  });
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: id,
      username: id,
      password: Buffer.from(`secret-of-${id}`),
      clean: true,
      keepalive: 300,
      will: { topic: `seal/${id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    }),
  );
}

while (started < Math.min(IN_FLIGHT, n)) open(started++);
