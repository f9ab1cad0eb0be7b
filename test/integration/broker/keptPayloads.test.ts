import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AedesPersistence, persistenceOf } from '../../../broker/aedesInternals.ts';
import type { Broker } from '../../../broker/createBroker.ts';
import { shareKeptPayloads } from '../../../broker/keptPayloads.ts';
import { sealsAndTechnician, startEmbeddedBroker } from '../../helpers/embeddedBroker.ts';
import { connectFor, loggedIn, type RawMqtt } from '../../helpers/rawMqtt.ts';

interface StoredPacket {
  topic: string;
  payload: Buffer;
}
type MemoryPersistence = AedesPersistence & {
  setup(broker: { id: string }): Promise<void>;
  getWill(client: { id: string }): Promise<StoredPacket | undefined>;
};

/** The store Aedes makes when given none (aedes.js `memory()`), as CommonJS exports it. */
async function memoryPersistence(): Promise<MemoryPersistence> {
  const create = createRequire(import.meta.url)('aedes-persistence') as () => MemoryPersistence;
  const persistence = create();
  await persistence.setup({ id: 'broker-1' }); // the broker whose wills it stores
  return persistence;
}

/**
 * A payload as the parser hands it on: a view into the larger socket read it arrived in, which has
 * an ArrayBuffer of its own (Buffer.alloc, like a read; Buffer.from would take a slice of Node's pool).
 */
function viewInRead(content: string): Buffer {
  const read = Buffer.alloc(80 + content.length, 'x');
  read.write(content, 40);
  return read.subarray(40, 40 + content.length);
}

async function retained(persistence: MemoryPersistence, pattern: string): Promise<StoredPacket[]> {
  const found: StoredPacket[] = [];
  for await (const p of persistence.createRetainedStreamCombi([pattern])) found.push(p as StoredPacket);
  return found.sort((a, b) => a.topic.localeCompare(b.topic));
}

/**
 * broker/keptPayloads.ts: the wills and retained messages a single node keeps for its connections
 * share one Buffer per distinct small content, so that none keeps the socket read it arrived in.
 */
describe('kept payloads', () => {
  it('stores equal small wills as one Buffer, apart from the reads they came in, and leaves large ones', async () => {
    const persistence = await memoryPersistence();
    const kept = shareKeptPayloads(persistence);
    const [a, b] = [viewInRead('offline'), viewInRead('offline')];
    const large = viewInRead('z'.repeat(65));
    await persistence.putWill({ id: 's-1' }, { topic: 'seal/s-1/status', payload: a });
    await persistence.putWill({ id: 's-2' }, { topic: 'seal/s-2/status', payload: b });
    await persistence.putWill({ id: 'gw-1' }, { topic: 'gw/gw-1/status', payload: large });

    const [w1, w2, w3] = await Promise.all(['s-1', 's-2', 'gw-1'].map((id) => persistence.getWill({ id })));
    expect(w1?.payload.toString()).toBe('offline');
    expect(w2?.payload).toBe(w1?.payload);
    expect(w1?.payload.buffer).not.toBe(a.buffer);
    expect(w3?.payload).toBe(large);
    expect(kept.sharedPayloads()).toBe(1);
  });

  it('stores equal small retained messages as one Buffer and leaves the packet on its way as it was', async () => {
    const persistence = await memoryPersistence();
    shareKeptPayloads(persistence);
    const packets = ['s-1', 's-2'].map((id) => ({
      cmd: 'publish',
      topic: `seal/${id}/status`,
      payload: viewInRead('online'),
      qos: 1,
      retain: true,
    }));
    const payloadsBefore = packets.map((p) => p.payload);
    for (const p of packets) await persistence.storeRetained(p);

    const stored = await retained(persistence, 'seal/+/status');
    expect(stored.map((p) => [p.topic, p.payload.toString()])).toEqual([
      ['seal/s-1/status', 'online'],
      ['seal/s-2/status', 'online'],
    ]);
    expect(stored[1]?.payload).toBe(stored[0]?.payload);
    expect(packets.map((p) => p.payload)).toEqual(payloadsBefore);
    expect(packets[0]?.payload).toBe(payloadsBefore[0]);

    // An empty retained payload still deletes (MQTT-3.3.1-10), and a new one replaces.
    await persistence.storeRetained({ topic: 'seal/s-1/status', payload: Buffer.alloc(0) });
    await persistence.storeRetained({ topic: 'seal/s-2/status', payload: viewInRead('offline') });
    expect(
      (await retained(persistence, 'seal/+/status')).map((p) => [p.topic, p.payload.toString()]),
    ).toEqual([['seal/s-2/status', 'offline']]);
  });

  it('shares at most 1,024 contents; a new one after that is a copy of its own', async () => {
    const persistence = await memoryPersistence();
    const kept = shareKeptPayloads(persistence);
    for (let i = 0; i < 1024; i++)
      await persistence.putWill({ id: `c-${i}` }, { topic: `t/${i}`, payload: Buffer.from(`p-${i}`) });
    expect(kept.sharedPayloads()).toBe(1024);
    const late = [viewInRead('late'), viewInRead('late')];
    await persistence.putWill({ id: 'late-1' }, { topic: 't/late-1', payload: late[0] });
    await persistence.putWill({ id: 'late-2' }, { topic: 't/late-2', payload: late[1] });
    const [w1, w2] = await Promise.all([
      persistence.getWill({ id: 'late-1' }),
      persistence.getWill({ id: 'late-2' }),
    ]);
    expect([w1?.payload.toString(), w2?.payload.toString()]).toEqual(['late', 'late']);
    expect(w1?.payload).not.toBe(w2?.payload);
    expect(w1?.payload.buffer).not.toBe(late[0]?.buffer);
    expect(kept.sharedPayloads()).toBe(1024);
  });

  describe('through the embedded broker', () => {
    let broker: Broker;
    const open: RawMqtt[] = [];
    const seal = async (id: string) => {
      const c = await loggedIn(
        broker.port,
        connectFor(id, id, 'x', {
          will: { topic: `seal/${id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
        }),
      );
      open.push(c);
      c.send({
        cmd: 'publish',
        topic: `seal/${id}/status`,
        payload: 'online',
        qos: 1,
        retain: true,
        messageId: 1,
      });
      await c.next((p) => p.cmd === 'puback');
      return c;
    };

    beforeAll(async () => {
      broker = await startEmbeddedBroker(sealsAndTechnician, { mayRead: true });
    });
    afterAll(async () => {
      for (const c of open) c.end();
      await broker?.close();
    });

    it("stores two seals' wills and retained statuses as one Buffer each (createBroker wires it)", async () => {
      await Promise.all([seal('s-21'), seal('s-22')]);
      const persistence = persistenceOf(broker.aedes) as MemoryPersistence;
      const [w1, w2] = await Promise.all([
        persistence.getWill({ id: 's-21' }),
        persistence.getWill({ id: 's-22' }),
      ]);
      expect(w1?.payload.toString()).toBe('offline');
      expect(w2?.payload).toBe(w1?.payload);
      const [r1, r2] = await retained(persistence, 'seal/+/status').then((all) =>
        all.filter((p) => p.topic === 'seal/s-21/status' || p.topic === 'seal/s-22/status'),
      );
      expect([r1?.payload.toString(), r2?.payload.toString()]).toEqual(['online', 'online']);
      expect(r2?.payload).toBe(r1?.payload);
    });

    it("delivers seals' retained status and will with their content (SPEC: seal/<id>/status)", async () => {
      const [, second] = await Promise.all([seal('s-31'), seal('s-32')]);
      const monitor = await loggedIn(broker.port, connectFor('dash-k', 'token', 'x'));
      open.push(monitor);
      monitor.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'seal/+/status', qos: 1 }] });
      await monitor.next((p) => p.cmd === 'suback');
      for (const id of ['s-31', 's-32'])
        await monitor.next((p) => p.cmd === 'publish' && p.topic === `seal/${id}/status`);

      second?.end(); // the connection drops: the will goes out
      const will = (await monitor.next(
        (p) => p.cmd === 'publish' && p.topic === 'seal/s-32/status' && p.payload.toString() === 'offline',
      )) as unknown as StoredPacket;
      expect(will.payload.toString()).toBe('offline');
      // The retained statuses of the seals of the test before come too: these two seals' only.
      const statuses = monitor.packets
        .filter((p) => p.cmd === 'publish' && /^seal\/s-3[12]\//.test((p as unknown as StoredPacket).topic))
        .map((p) => [
          (p as unknown as StoredPacket).topic,
          (p as unknown as StoredPacket).payload.toString(),
        ]);
      expect(statuses).toEqual([
        ['seal/s-31/status', 'online'],
        ['seal/s-32/status', 'online'],
        ['seal/s-32/status', 'offline'],
      ]);
    });
  });
});
