import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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
        { sees: (gridId) => gridId.startsWith('a'), maxBufferedBytes, onEnd: (reason) => ends.push(reason) },
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

  it('sends the frames of one turn together, in order, and filters by scope through its cache', async () => {
    const { connection, received } = await open(1 << 20, true);
    for (let i = 0; i < 100; i++) connection.send(`id: ${i}\ndata: x\n\n`);
    await eventually(() => received().includes('id: 99\n'), 2_000, 'all frames');
    const ids = [...received().matchAll(/id: (\d+)/g)].map((m) => Number(m[1]));
    expect(ids).toEqual([...Array(100).keys()]);
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
        for (let i = 0; i < 20; i++) connection.send(frame);
        await new Promise((r) => setImmediate(r));
        return connection.isEnded;
      },
      10_000,
      'the cut-off',
    );
    expect(ends).toEqual(['cutOff']);
    expect(connection.send(frame)).toBe(false);
    connection.keepalive();
    connection.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(ends).toEqual(['cutOff']);
  });

  it('a client that went away ends the connection once, without an error', async () => {
    const { connection, ends } = await open(1 << 20, true);
    socket!.destroy();
    await eventually(() => ends.length > 0, 2_000, 'the end');
    expect(connection.send('data: late\n\n')).toBe(false);
    expect(ends).toEqual(['closed']);
  });
});
