import type { Client, PublishPacket } from 'aedes';
import { topicMatches } from './topicMatches.ts';

type Done = (err?: Error | null) => void;

/**
 * Keeps a client's retained PUBLISH ahead of its later SUBSCRIBE to a
 * matching filter, as the packets arrived (MQTT-4.6.0-6 ordering, and
 * MQTT-3.3.1-8: a message sent because of a new subscription has RETAIN 1).
 * Aedes (lib/client.js, `enqueue`) starts every packet of one socket read at
 * once; a PUBLISH waits for authorizePublish (a device's for its commit) and
 * the retained store, so the SUBSCRIBE read with it finishes first: its
 * retained lookup misses the message, which then arrives live with RETAIN 0.
 * Here a SUBSCRIBE waits while one of the client's retained PUBLISHes whose
 * topic the filter matches is between authorizePublish and Aedes' 'publish'
 * event (stored and forwarded), or is refused, or the connection closes.
 * Only retained publishes are tracked; a sensor's subscription to its config
 * never waits for its status.
 */
export class RetainedOrder {
  private readonly pending = new WeakMap<Client, PublishPacket[]>();
  private readonly waiting = new WeakMap<Client, Waiter[]>();

  /** At authorizePublish of a retained PUBLISH; returns the `done` to call instead. */
  track(client: Client, packet: PublishPacket, done: Done): Done {
    let list = this.pending.get(client);
    if (!list) {
      list = [];
      this.pending.set(client, list);
    }
    list.push(packet);
    return (err) => {
      // Refused, or quarantined (no longer retained): Aedes will not store it.
      if (err || !packet.retain) this.settle(client, packet);
      done(err);
    };
  }

  /** From Aedes' 'publish' event (stored and forwarded), or when refused. */
  settle(client: Client, packet: PublishPacket): void {
    const list = this.pending.get(client);
    const at = list ? list.indexOf(packet) : -1;
    if (!list || at === -1) return;
    list.splice(at, 1);
    const waiters = this.waiting.get(client);
    if (!waiters) return;
    for (let i = 0; i < waiters.length; ) {
      const w = waiters[i] as Waiter;
      const blocker = w.blockers.indexOf(packet);
      if (blocker !== -1) w.blockers.splice(blocker, 1);
      if (w.blockers.length > 0) i++;
      else {
        waiters.splice(i, 1);
        w.run();
      }
    }
  }

  /**
   * Runs `run` once the retained PUBLISHes of this client pending now, whose topic `filter`
   * matches, are settled (later ones do not hold it: a steady stream cannot starve it).
   */
  after(client: Client, filter: string, run: () => void): void {
    const list = this.pending.get(client);
    const blockers = list?.filter((p) => topicMatches(filter, p.topic));
    if (!blockers || blockers.length === 0) {
      run();
      return;
    }
    let waiters = this.waiting.get(client);
    if (!waiters) {
      waiters = [];
      this.waiting.set(client, waiters);
    }
    waiters.push({ blockers, run });
  }

  /** The connection closed: nothing more will settle; let waiting SUBSCRIBEs end (Aedes drops them). */
  closed(client: Client): void {
    const waiters = this.waiting.get(client);
    this.pending.delete(client);
    this.waiting.delete(client);
    for (const w of waiters ?? []) w.run();
  }
}

interface Waiter {
  blockers: PublishPacket[];
  run: () => void;
}
