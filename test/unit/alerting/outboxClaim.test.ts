/**
 * The outbox claim before a send is held in memory, not committed (issue 20.5: the claim's fsync sat
 * between a breach and its webhook). What the `sending` commit guaranteed must still hold: a row
 * being sent is not sent again by the same process, a delivered row records its attempt, and a row
 * whose send a crash cut short is sent again by the next start (at-least-once).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertEngine } from '../../../alerting/engine/alertEngine.ts';
import type { Notification, Notifier } from '../../../alerting/notifiers/types.ts';
import { deliver, engineOf, open, settle, T0, type World, world } from './engineWorld.ts';

/** Records each send and holds it until released, so the test can look at the outbox mid-send. */
class HeldNotifierDouble implements Notifier {
  readonly channel = 'email' as const;
  readonly sent: Notification[] = [];
  private releases: Array<() => void> = [];
  async send(n: Notification) {
    this.sent.push(n);
    await new Promise<void>((r) => this.releases.push(r));
    return { status: 'delivered' as const };
  }
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
  async close() {}
}

const rows = (w: World) =>
  w.db.prepare('SELECT status, attempts, first_attempt_at AS firstAttemptAt FROM outbox').all();

describe('outbox: the claim before a send', () => {
  let w: World;
  let held: HeldNotifierDouble;
  let engine: AlertEngine;
  const engines: AlertEngine[] = [];
  beforeEach(async () => {
    w = await world();
    held = new HeldNotifierDouble();
    w.email = held as never;
    engine = engineOf(w);
    engines.push(engine);
    await engine.start();
  });
  afterEach(async () => {
    held.release();
    for (const e of engines.splice(0)) await e.stop();
    w.db.close();
  });

  it('writes nothing before the send, sends once however often it is kicked, and records the attempt after', async () => {
    deliver(w, open(T0));
    await settle();
    expect(held.sent).toHaveLength(1);
    // Mid-send: the row is as the alert's commit wrote it.
    expect(rows(w)).toEqual([{ status: 'pending', attempts: 0, firstAttemptAt: null }]);
    await engine.sweep();
    await settle();
    expect(held.sent).toHaveLength(1);
    held.release();
    await settle();
    expect(rows(w)).toEqual([{ status: 'delivered', attempts: 1, firstAttemptAt: T0 }]);
    await engine.sweep();
    await settle();
    expect(held.sent).toHaveLength(1);
  });

  it('a send held open does not hold back a row that falls due meanwhile (a breach behind a hanging server)', async () => {
    await w.registry.createSensor({ id: 's2', householdId: 'h1' }, { name: 'test' });
    deliver(w, open(T0));
    await settle();
    expect(held.sent).toHaveLength(1);
    // The first send hangs (a server holding its connection); another sensor's door opens meanwhile.
    deliver(w, { ...open(T0 + 1_000), sensorId: 's2' });
    await settle();
    expect(held.sent.map((n) => n.id)).toHaveLength(2);
    expect(new Set(held.sent.map((n) => n.id)).size).toBe(2);
    held.release();
    await settle();
    expect(rows(w)).toEqual([
      { status: 'delivered', attempts: 1, firstAttemptAt: T0 },
      { status: 'delivered', attempts: 1, firstAttemptAt: T0 },
    ]);
    // Neither is sent again, however often the outbox is kicked.
    await engine.sweep();
    await settle();
    expect(held.sent).toHaveLength(2);
  });

  it('a row whose send a crash cut short is sent again by the next start, with the same delivery id', async () => {
    deliver(w, open(T0));
    await settle();
    expect(held.sent).toHaveLength(1);
    // The first process is gone mid-send (never stopped, never settles); the next one starts.
    const next = engineOf(w);
    engines.push(next);
    await next.start();
    await settle();
    expect(held.sent).toHaveLength(2);
    expect(held.sent[1]?.id).toBe(held.sent[0]?.id);
  });
});
