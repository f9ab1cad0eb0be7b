import { createServer, type Server } from 'node:net';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';

/**
 * A bare Aedes on 127.0.0.1 and a free port, in the test's own process, that records what clients published and
 * with which credentials they connected. `accept` lets a test play the broker's authentication.
 */
export interface RecordingBroker {
  url: string;
  published: Array<{ clientId: string; topic: string; payload: string; qos: number; retain: boolean }>;
  /** `at`: Date.now() when the CONNECT reached authentication; `from`: the client's address. */
  logins: Array<{
    clientId: string;
    username: string | undefined;
    password: string | undefined;
    at: number;
    from: string | undefined;
  }>;
  close(): Promise<void>;
}

export async function startRecordingBroker(
  accept?: (clientId: string, username: string | undefined, password: string | undefined) => boolean,
): Promise<RecordingBroker> {
  const broker = await Aedes.createBroker({
    authenticate: (client: Client, username, password, done) => {
      const pw = password?.toString();
      recording.logins.push({
        clientId: client.id,
        username,
        password: pw,
        at: Date.now(),
        from: (client.conn as { remoteAddress?: string }).remoteAddress,
      });
      done(null, accept ? accept(client.id, username, pw) : true);
    },
  });
  const recording: RecordingBroker = { url: '', published: [], logins: [], close: async () => undefined };
  broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return;
    recording.published.push({
      clientId: client.id,
      topic: packet.topic,
      payload: packet.payload.toString(),
      qos: packet.qos,
      retain: packet.retain,
    });
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('aedes test broker has no address');
  recording.url = `mqtt://127.0.0.1:${address.port}`;
  recording.close = async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return recording;
}
