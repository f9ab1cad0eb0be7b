import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AedesPersistence, persistenceOf } from '../../../broker/aedesInternals.ts';
import type { Broker } from '../../../broker/createBroker.ts';
import { skipOfflineLookupUntilSubscribed } from '../../../broker/offlineLookup.ts';
import { sealsAndTechnician, startEmbeddedBroker } from '../../helpers/embeddedBroker.ts';
import { connectClient } from '../../helpers/mqtt.ts';
import { connectFor, loggedIn, type RawMqtt } from '../../helpers/rawMqtt.ts';

/**
 * Aedes' offline-queue lookup is skipped while no persistent session has subscribed
 * (broker/offlineLookup.ts). What must hold: a message for an offline persistent session is still
 * queued and delivered when it comes back (MQTT 3.1.1 §3.1.2.4, MQTT-3.1.2-5: the server stores QoS 1
 * and QoS 2 messages matching the session's subscriptions while it is disconnected), also when the
 * subscription came after many lookups were skipped. test/reliability/mqtt311Conformance.test.ts
 * tests the same statements through the embedded broker.
 */
describe('offline-queue lookup', () => {
  it("answers nothing without looking until a persistent subscription, then is aedes-persistence's own", async () => {
    // The store Aedes makes when given none (aedes.js `memory()`), as CommonJS exports it.
    const memoryPersistence = createRequire(import.meta.url)('aedes-persistence') as () => unknown;
    const persistence = memoryPersistence() as AedesPersistence & { setup(): Promise<void> };
    await persistence.setup();
    const lookup = skipOfflineLookupUntilSubscribed(persistence);

    expect(await persistence.subscriptionsByTopic('seal/s-1/heartbeat')).toEqual([]);
    expect(await persistence.subscriptionsByTopic('seal/s-2/door')).toEqual([]);
    expect(lookup.lookupsSkipped()).toBe(2);
    // What the patched enqueueOffline asks first, so as not to ask for the lookup at all.
    expect(persistence.noPersistentSubscriptions?.()).toBe(true);
    expect(lookup.lookupsSkipped()).toBe(3);
    // Each answer is its own array: Aedes filters what it gets ($SYS topics) and hands it on.
    const [a, b] = await Promise.all([
      persistence.subscriptionsByTopic('x'),
      persistence.subscriptionsByTopic('x'),
    ]);
    expect(a).not.toBe(b);

    await persistence.addSubscriptions({ id: 'dash' }, [{ topic: 'seal/+/door', qos: 1 }]);
    expect(await persistence.subscriptionsByTopic('seal/s-2/door')).toEqual([
      expect.objectContaining({ clientId: 'dash', topic: 'seal/+/door', qos: 1 }),
    ]);
    expect(await persistence.subscriptionsByTopic('seal/s-1/heartbeat')).toEqual([]);
    expect(persistence.noPersistentSubscriptions?.()).toBe(false);
    expect(lookup.lookupsSkipped()).toBe(5);
    // For good: a session that unsubscribes again does not bring the skipping back.
    await (
      persistence as unknown as { removeSubscriptions(c: { id: string }, t: string[]): Promise<unknown> }
    ).removeSubscriptions({ id: 'dash' }, ['seal/+/door']);
    expect(await persistence.subscriptionsByTopic('seal/s-2/door')).toEqual([]);
    expect(persistence.noPersistentSubscriptions?.()).toBe(false);
    expect(lookup.lookupsSkipped()).toBe(5);
  });

  describe('through the embedded broker', () => {
    let broker: Broker;
    const open: RawMqtt[] = [];
    const connected = async (clientId: string, username: string, extra: Record<string, unknown> = {}) => {
      const c = await loggedIn(broker.port, connectFor(clientId, username, 'x', extra));
      open.push(c);
      return c;
    };
    const publishAsAdmin = async (topic: string, payload: string) => {
      const pub = await connectClient(`mqtt://127.0.0.1:${broker.port}`, {
        clientId: 'admin-o',
        username: 'token',
        password: 'x',
      });
      await pub.publishAsync(topic, payload, { qos: 1 });
      await pub.endAsync();
    };

    beforeAll(async () => {
      broker = await startEmbeddedBroker(sealsAndTechnician, { mayRead: true });
    });
    afterAll(async () => {
      for (const c of open) c.end();
      await broker?.close();
    });

    it('queues for an offline persistent session that subscribed after seals had published', async () => {
      // The lookups Aedes asks for. With our patch to aedes.js `enqueueOffline`
      // (patches/aedes+1.2.0.patch) it asks none while no persistent session has subscribed.
      const persistence = persistenceOf(broker.aedes);
      const byTopic = persistence.subscriptionsByTopic.bind(persistence);
      const lookedUp: string[] = [];
      persistence.subscriptionsByTopic = (topic) => {
        lookedUp.push(topic);
        return byTopic(topic);
      };
      // Seals publish first: their messages are acknowledged while no lookup is made.
      const seal = await connected('s-5', 's-5');
      for (let id = 1; id <= 20; id++)
        seal.send({ cmd: 'publish', topic: 'seal/s-5/heartbeat', payload: '{}', qos: 1, messageId: id });
      for (let id = 1; id <= 20; id++) await seal.next((p) => p.cmd === 'puback');
      await publishAsAdmin('seal/s-8/config', '{"n":0}');
      // What /metrics shows as sealwatch_mqtt_offline_lookups_skipped: each of those messages.
      const skipped = broker.stats().offlineLookupsSkipped ?? 0;
      expect(skipped).toBeGreaterThanOrEqual(21);
      expect(lookedUp).toEqual([]);

      const first = await connected('dash-o', 'token', { clean: false });
      first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/+/config', qos: 1 }] });
      await first.next((p) => p.cmd === 'suback');
      first.send({ cmd: 'disconnect' });
      await first.closed();

      await publishAsAdmin('seal/s-9/config', '{"n":1}');
      const again = await connected('dash-o', 'token', { clean: false });
      const got = (await again.next((p) => p.cmd === 'publish')) as {
        topic: string;
        payload: Buffer;
        messageId: number;
      };
      expect([got.topic, got.payload.toString()]).toEqual(['seal/s-9/config', '{"n":1}']);
      again.send({ cmd: 'puback', messageId: got.messageId });
      // Looked up since the subscription: the count stopped for good.
      expect(lookedUp).toContain('seal/s-9/config');
      expect(broker.stats().offlineLookupsSkipped).toBe(skipped);
    });
  });
});
