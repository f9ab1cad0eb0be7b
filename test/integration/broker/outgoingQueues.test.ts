import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AedesPersistence, aedesPatchApplied, persistenceOf } from '../../../broker/aedesInternals.ts';
import type { Broker } from '../../../broker/createBroker.ts';
import { trackOutgoingQueues } from '../../../broker/outgoingQueues.ts';
import { sealsAndTechnician, startEmbeddedBroker } from '../../helpers/embeddedBroker.ts';
import { connectClient } from '../../helpers/mqtt.ts';
import { connectFor, loggedIn, type RawMqtt } from '../../helpers/rawMqtt.ts';

/**
 * A login skips Aedes' queue pipeline only when nothing can be queued for it (broker/outgoingQueues.ts,
 * patches/aedes+1.2.0.patch). The delivery of what was queued, and its discarding at a clean session, are
 * MQTT 3.1.1 statements tested in test/reliability/mqtt311Conformance.test.ts (MQTT-3.8.4-6, MQTT-3.1.2-6).
 */
describe('outgoing queues', () => {
  it('npm ci applied patches/aedes+1.2.0.patch to the installed Aedes (package.json postinstall)', () => {
    expect(aedesPatchApplied()).toBe(true);
  });

  it("knows which client ids aedes-persistence's in-memory store can hold messages for", async () => {
    // The store Aedes makes when given none (aedes.js `memory()`), as CommonJS exports it.
    const memoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => unknown;
    const persistence = memoryPersistence() as AedesPersistence & { setup(): Promise<void> };
    await persistence.setup();
    const tracked = trackOutgoingQueues(persistence);
    const packet = {
      cmd: 'publish',
      topic: 'seal/s-1/config',
      payload: Buffer.from('{}'),
      qos: 1,
      brokerId: 'b',
      brokerCounter: 1,
    };
    const empty = (id: string) => persistence.outgoingQueueEmpty?.({ id });
    expect([empty('dash'), empty('dash-2'), empty('s-1')]).toEqual([true, true, true]);
    await persistence.outgoingEnqueue({ clientId: 'dash' }, packet);
    await persistence.outgoingEnqueueCombi([{ clientId: 'dash-2' }, { clientId: 'dash-3' }], packet);
    expect([empty('dash'), empty('dash-2'), empty('dash-3'), empty('s-1')]).toEqual([
      false,
      false,
      false,
      true,
    ]);
    // The wrapped methods still queue: the store hands the messages out.
    const queued: unknown[] = [];
    for await (const p of (
      persistence as unknown as { outgoingStream(c: { id: string }): AsyncIterable<unknown> }
    ).outgoingStream({ id: 'dash-3' }))
      queued.push(p);
    expect(queued).toHaveLength(1);
    expect(tracked.clientsEverQueued()).toBe(3);
  });

  describe('through the embedded broker', () => {
    let broker: Broker;
    const streamed: string[] = [];
    const open: RawMqtt[] = [];
    const connected = async (clientId: string, username: string, extra: Record<string, unknown> = {}) => {
      const c = await loggedIn(broker.port, connectFor(clientId, username, 'x', extra));
      open.push(c);
      return c;
    };

    beforeAll(async () => {
      broker = await startEmbeddedBroker(sealsAndTechnician, { mayRead: true });
      // Counts the logins that took Aedes' queue path (emptyQueue asks the store for the stream).
      const persistence = persistenceOf(broker.aedes) as AedesPersistence & {
        outgoingStream(c: { id: string }): unknown;
      };
      const outgoingStream = persistence.outgoingStream.bind(persistence);
      persistence.outgoingStream = (c) => {
        streamed.push(c.id);
        return outgoingStream(c);
      };
    });
    afterAll(async () => {
      for (const c of open) c.end();
      await broker?.close();
    });

    it('lets a seal in without the queue pipeline, and its messages are acknowledged', async () => {
      const seal = await connected('s-7', 's-7');
      seal.send({ cmd: 'publish', topic: 'seal/s-7/heartbeat', payload: '{}', qos: 1, messageId: 3 });
      await seal.next((p) => p.cmd === 'puback');
      const again = await connected('s-7', 's-7', { clean: false });
      again.send({ cmd: 'pingreq' });
      await again.next((p) => p.cmd === 'pingresp');
      expect(streamed).not.toContain('s-7');
    });

    it("sends a persistent session what was queued while it was away, through Aedes' own path", async () => {
      const first = await connected('dash-q', 'token', { clean: false });
      first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/+/config', qos: 1 }] });
      await first.next((p) => p.cmd === 'suback');
      first.send({ cmd: 'disconnect' });
      await first.closed();
      const pub = await connectClient(`mqtt://127.0.0.1:${broker.port}`, {
        clientId: 'admin-q',
        username: 'token',
        password: 'x',
      });
      await pub.publishAsync('seal/s-9/config', '{"n":1}', { qos: 1 });
      await pub.endAsync();
      const again = await connected('dash-q', 'token', { clean: false });
      const got = (await again.next((p) => p.cmd === 'publish')) as { topic: string; messageId: number };
      expect(got.topic).toBe('seal/s-9/config');
      again.send({ cmd: 'puback', messageId: got.messageId });
      expect(streamed).toContain('dash-q');
    });
  });
});
