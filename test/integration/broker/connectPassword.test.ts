import type { Client } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../../../broker/authenticator.ts';
import type { Broker } from '../../../broker/createBroker.ts';
import { startEmbeddedBroker } from '../../helpers/embeddedBroker.ts';
import { connectClient } from '../../helpers/mqtt.ts';

/**
 * broker/connectPasswords.ts: once a login is decided, the CONNECT packet no longer holds the
 * password, and its bytes (in the connection's read chunk, which the will's payload may still share)
 * are zeroed. The broker is the real one over TCP; the credential check is a stand-in that keeps the
 * Buffer it was given, to look at it afterwards.
 */
describe('CONNECT passwords are erased after the login', () => {
  const received: Buffer[] = [];
  const authenticator = {
    async authenticate(clientId: string, username: string | undefined, password: Buffer | undefined) {
      if (password) received.push(password);
      const secret = password?.toString('utf8');
      await new Promise((resolve) => setImmediate(resolve));
      if (secret !== 'right-secret') return { ok: false, reason: 'bad_credentials' };
      return { ok: true, identity: { kind: 'sensor', id: clientId ?? username } };
    },
    forget() {},
  } as unknown as Authenticator;
  let broker: Broker;
  const url = () => `mqtt://127.0.0.1:${broker.port}`;

  beforeAll(async () => {
    broker = await startEmbeddedBroker(authenticator);
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('an accepted login: the client works, the password bytes it sent are zeroed and the kept CONNECT has none', async () => {
    received.length = 0;
    const sensor = await connectClient(url(), {
      clientId: 'pw-1',
      username: 'pw-1',
      password: 'right-secret',
      will: { topic: 'seal/pw-1/status', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await sensor.publishAsync('seal/pw-1/event', '{"type":"heartbeat","ts":1,"seq":1}', { qos: 1 });
    expect(received).toHaveLength(1);
    expect([...(received[0] as Buffer)].every((b) => b === 0)).toBe(true);
    expect(received[0]?.length).toBe('right-secret'.length);
    // The reason for all this: what the connection keeps. (mqtt-packet's parser, reached through
    // Aedes' client: internals of both, read here only to show the claim holds.)
    const client = Object.values(
      (broker.aedes as unknown as { clients: Record<string, Client> }).clients,
    ).find((c) => c.id === 'pw-1') as unknown as {
      _parser: { settings: object };
    };
    // Nor does the parser keep the CONNECT itself any more (aedesInternals.ts forgetConnectPacket).
    expect(client._parser.settings).toEqual({ protocolVersion: 4 });
    await sensor.endAsync();
  });

  it('a refused login: the password bytes are zeroed too', async () => {
    received.length = 0;
    await expect(
      connectClient(url(), {
        clientId: 'pw-2',
        username: 'pw-2',
        password: 'wrong-secret',
        reconnectPeriod: 0,
      }),
    ).rejects.toThrow();
    expect(received).toHaveLength(1);
    expect([...(received[0] as Buffer)].every((b) => b === 0)).toBe(true);
  });
});
