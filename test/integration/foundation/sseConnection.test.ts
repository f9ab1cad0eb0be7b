import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventStream } from '../../../api/live/eventStream.ts';
import { SseConnection } from '../../../api/live/sseConnection.ts';
import { eventually } from '../../helpers/eventually.ts';

/** One event-stream response over a real loopback socket. */
describe('SseConnection', () => {
  let server: Server | null = null;
  let socket: Socket | null = null;
  afterEach(async () => {
    socket?.destroy();
    await new Promise((r) => (server ? server.close(r) : r(null)));
  });

  const open = async (maxBufferedBytes: number, reading: boolean) => {
    const ends: string[] = [];
    let connection: SseConnection | null = null;
    server = createServer((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      connection = new SseConnection(
        res,
        {
          scope: 'a',
          sees: (gridId) => gridId.startsWith('a'),
          maxBufferedBytes,
          onEnd: (reason) => ends.push(reason),
        },
        () => 0,
      );
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    let received = '';
    socket = connect(port, '127.0.0.1');
    socket.on('data', (d) => {
      received += d.toString();
    });
    socket.on('error', () => {});
    socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    if (!reading) socket.pause();
    await eventually(() => connection !== null, 2_000, 'the response');
    return { connection: connection as unknown as SseConnection, ends, received: () => received };
  };

  it('gets the events of a turn in order, only those of its scope, and a replay of what it missed', async () => {
    const { connection, received } = await open(1 << 20, true);
    const stream = new EventStream({ now: () => 1 });
    const first = stream.publish('seal', 'a-0', { n: 0 });
    stream.flush();
    stream.attach(connection, first.id - 1);
    for (let i = 1; i < 100; i++) stream.publish('seal', i % 2 === 0 ? 'a-1' : 'b-1', { n: i });
    await eventually(() => received().includes('"n":98'), 2_000, 'the turn');
    const ns = [...received().matchAll(/"n":(\d+)/g)].map((m) => Number(m[1]));
    expect(ns).toEqual([0, ...Array.from({ length: 49 }, (_, i) => 2 * (i + 1))]);
    expect([connection.sees('a-1'), connection.sees('b-1'), connection.sees(null)]).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('cuts off a client that stopped reading, frees it, and ignores every later send and keepalive', async () => {
    const { connection, ends } = await open(256 * 1024, false);
    const frame = `data: ${'x'.repeat(64 * 1024)}\n\n`;
    // Keep publishing (one frame a turn) until the socket's buffers are full and the guard trips.
    await eventually(
      async () => {
        for (let i = 0; i < 20; i++) connection.write(frame);
        await new Promise((r) => setImmediate(r));
        return connection.isEnded;
      },
      10_000,
      'the cut-off',
    );
    expect(ends).toEqual(['cutOff']);
    expect(connection.write(frame)).toBe(false);
    connection.keepalive();
    connection.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(ends).toEqual(['cutOff']);
  });

  it('a client that went away ends the connection once, without an error', async () => {
    const { connection, ends } = await open(1 << 20, true);
    socket!.destroy();
    await eventually(() => ends.length > 0, 2_000, 'the end');
    expect(connection.write('data: late\n\n')).toBe(false);
    expect(ends).toEqual(['closed']);
  });
});
