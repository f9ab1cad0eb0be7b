import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authenticator } from '../../../broker/authenticator.ts';
import type { Broker } from '../../../broker/createBroker.ts';
import { startEmbeddedBroker } from '../../helpers/embeddedBroker.ts';
import { eventually } from '../../helpers/eventually.ts';
import { connectFor, rawMqtt } from '../../helpers/rawMqtt.ts';

/** `pendingConnects()`: CONNECTs received whose CONNACK is not sent yet (what alerting watches in a storm). */
describe('embedded broker: pending CONNECTs', () => {
  let broker: Broker;
  const held: Array<(ok: boolean) => void> = [];

  beforeAll(async () => {
    // The test decides when each login is answered.
    const authenticator = {
      authenticate: (clientId: string) =>
        new Promise((resolve) =>
          held.push((ok) =>
            resolve(
              ok
                ? { ok: true, identity: { kind: 'sensor', id: clientId } }
                : { ok: false, reason: 'bad_credentials' },
            ),
          ),
        ),
    } as unknown as Authenticator;
    broker = await startEmbeddedBroker(authenticator);
  });
  afterAll(async () => broker?.close());

  it('counts a CONNECT until its CONNACK, accepted or refused, and forgets one whose connection closes first', async () => {
    expect(broker.pendingConnects()).toBe(0);
    const a = await rawMqtt(broker.port);
    const b = await rawMqtt(broker.port);
    const c = await rawMqtt(broker.port);
    // Connected but no CONNECT yet: not pending.
    expect(broker.pendingConnects()).toBe(0);
    a.send(connectFor('s-a', 's-a', 'x'));
    b.send(connectFor('s-b', 's-b', 'x'));
    c.send(connectFor('s-c', 's-c', 'x'));
    await eventually(async () => held.length === 3, 2_000, 'three logins reached the authenticator');
    expect(broker.pendingConnects()).toBe(3);

    held[0]?.(true);
    await a.next((p) => p.cmd === 'connack');
    await eventually(async () => broker.pendingConnects() === 2, 2_000, 'accepted: no longer pending');

    held[1]?.(false);
    await b.next((p) => p.cmd === 'connack');
    await eventually(async () => broker.pendingConnects() === 1, 2_000, 'refused: no longer pending');

    c.end();
    await eventually(async () => broker.pendingConnects() === 0, 2_000, 'a closed connection is not pending');
    held[2]?.(true);
    a.end();
  });
});
