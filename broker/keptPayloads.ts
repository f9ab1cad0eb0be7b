import type { AedesPersistence } from './aedesInternals.ts';

/** Payloads up to this many bytes are shared; a seal's are 6 (`online`) and 7 (`offline`). */
const SHARED_MAX_BYTES = 64;
/** Distinct payloads shared at most; beyond, each kept payload is a small copy of its own. */
const SHARED_MAX_DISTINCT = 1024;

/**
 * The payloads a single node's in-memory persistence keeps for a connection's life, the will and
 * the retained messages, stored as one shared Buffer per distinct small content (issue 20.3).
 *
 * A parsed payload is a view into the socket read it arrived in, so keeping it keeps that whole
 * read: its own ArrayBuffer and backing store, about 300 bytes with the view. Every seal keeps two,
 * its will (`offline`) and its retained status (`online`): heap snapshots of 4,000 seal-like
 * connections counted 1.7 such reads per connection. All seals' are the same few bytes.
 *
 * A shared Buffer is never written to: Aedes and the ingest only read payloads, and a new retained
 * message replaces the stored packet, not its bytes. Payloads over SHARED_MAX_BYTES are kept as
 * they came; once SHARED_MAX_DISTINCT contents are shared, a new content is kept as a copy from
 * Node's Buffer pool, which at least lets go of the socket read.
 *
 * Not with REDIS_URL: that persistence serialises what it stores.
 */
export function shareKeptPayloads(persistence: AedesPersistence): { sharedPayloads(): number } {
  const shared = new Map<string, Buffer>();
  const keep = (payload: Buffer): Buffer => {
    if (payload.length > SHARED_MAX_BYTES) return payload;
    const content = payload.toString('latin1');
    const known = shared.get(content);
    if (known) return known;
    // Buffer.from(a Buffer) copies into Node's pool when small: no ArrayBuffer of its own.
    const copy = Buffer.from(payload);
    if (shared.size < SHARED_MAX_DISTINCT) shared.set(content, copy);
    return copy;
  };
  const putWill = persistence.putWill.bind(persistence);
  const storeRetained = persistence.storeRetained.bind(persistence);
  // The will is the client's own object (lib/handlers/connect.js `storeWill`): the client keeps it too.
  persistence.putWill = (client, will) => {
    if (Buffer.isBuffer(will.payload)) will.payload = keep(will.payload);
    return putWill(client, will);
  };
  // The packet is also on its way to subscribers: stored as a copy, the packet left as it is.
  persistence.storeRetained = (packet) =>
    Buffer.isBuffer(packet.payload) && packet.payload.length > 0
      ? storeRetained({ ...packet, payload: keep(packet.payload) })
      : storeRetained(packet);
  return { sharedPayloads: () => shared.size };
}
