import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AlertStore, Written } from '../alerting/alertStore.ts';
import type { FeedMark } from '../alerting/engine/alertEngine.ts';
import type { Alerting } from '../alerting/engine/createAlerting.ts';
import type { AlertingOwner } from '../api/ownerProxy.ts';
import type { EventBus } from '../core/eventBus.ts';
import type { AlertSnapshot, SealCommitted, ServiceEvents } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import type { SealState } from '../core/sealState.ts';
import type { Registry } from '../registry/registry.ts';
import { PgListener } from '../storage/postgres/listener.ts';
import type { Pool } from '../storage/postgres/openPool.ts';
import { currentOwnerUrl, OwnerLock } from '../storage/postgres/ownerLock.ts';
import type { OwnFeedGroups } from '../storage/postgres/ownFeedGroups.ts';
import {
  type FeedPosition,
  FeedTail,
  formatPosition,
  parsePosition,
  pruneFeed,
  SEAL_FEED_CHANNEL,
} from '../storage/postgres/sealFeed.ts';

/**
 * Several instances on one PostgreSQL (DATABASE_URL). Each ingests its share of the messages and
 * serves the API; this module keeps them one service:
 * - the seal feed brings every other instance's commits into this one's live state and page;
 * - a registry change made on one instance is announced, and the others reload;
 * - one instance, elected by an advisory lock, owns alerting: it reads the whole feed from a
 *   durable position, and the others forward alerting calls to it and relay its alert changes
 *   to their pages. When it dies, another takes over where the position says.
 */

const REGISTRY_CHANNEL = 'sealwatch_registry';
const ALERTS_CHANNEL = 'sealwatch_alerts';
/** The owner's place in the feed, kept in the alert store's key/value state. */
const FEED_POSITION_KEY = 'sealFeed.position';
/** The last message that led to decisions, `<group position>#<index>`, written with those decisions. */
const FEED_DECIDED_KEY = 'sealFeed.decided';

/**
 * The messages of a group still to decide: after a crash mid-group the group is read again, and the
 * messages up to the last one whose decisions were written (`decided`) are skipped.
 */
export function undecided(
  group: string,
  events: readonly SealCommitted[],
  decided: string | undefined,
): Array<{ event: SealCommitted; mark: FeedMark }> {
  const hash = decided?.lastIndexOf('#') ?? -1;
  const skipThrough =
    decided !== undefined && decided.slice(0, hash) === group ? Number(decided.slice(hash + 1)) : -1;
  const out: Array<{ event: SealCommitted; mark: FeedMark }> = [];
  events.forEach((event, i) => {
    if (i > skipThrough) out.push({ event, mark: { key: FEED_DECIDED_KEY, value: `${group}#${i}` } });
  });
  return out;
}
/** NOTIFY payloads are limited to 8,000 bytes. */
const MAX_PAYLOAD = 7_900;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_KEEP_MS = 5 * 60_000;

export const newInstanceName = (): string => `${hostname()}-${randomUUID().slice(0, 8)}`;

/**
 * Hands the seal feed to the alerting engine, which subscribes when it starts (on the owner only).
 * `deliver` answers once the message's decisions are written, and fails if they could not be.
 */
export function createEngineFeed(): {
  subscribe(listener: (e: SealCommitted, mark?: FeedMark) => Written): () => void;
  deliver(e: SealCommitted, mark?: FeedMark): Written;
} {
  let listener: ((e: SealCommitted, mark?: FeedMark) => Written) | null = null;
  return {
    subscribe(l) {
      listener = l;
      return () => {
        listener = null;
      };
    },
    deliver(e, mark) {
      // Thrown, the feed position stays where it was and the rows are read again.
      if (!listener) throw new Error('the alerting engine is not listening to the seal feed');
      return listener(e, mark);
    },
  };
}

export interface MultiInstanceDeps {
  url: string;
  pool: Pool;
  instance: string;
  instanceUrl: string;
  /** The feed position taken before the live state was loaded: the mirror starts there. */
  loadedAt: FeedPosition;
  registry: Registry;
  pipeline: { mirror(state: SealState): void };
  bus: EventBus<ServiceEvents>;
  alerting: Alerting;
  /** Where the owner's engine takes the feed's messages (createEngineFeed's deliver). */
  deliverToEngine(e: SealCommitted, mark?: FeedMark): Written;
  alertStore: AlertStore;
  /** This instance's own commit groups, held for its engine while it owns alerting. */
  ownFeedGroups: OwnFeedGroups;
  ownerPollMs: number;
  logger: Logger;
  /** The owner lost its lock connection: this process must stop deciding at once. */
  onLostOwnership(err: Error): void;
}

export interface MultiInstance extends AlertingOwner {
  /** Unresolved alerts for the page's counts and /metrics: the engine's own on the owner, relayed elsewhere. */
  openAlerts(): Iterable<{ gridId: string; type: string; status: string }>;
  stats(): MultiInstanceStats;
  stop(): Promise<void>;
}

export interface MultiInstanceStats {
  owner: boolean;
  feedMessagesMirrored: number;
  feedMessagesAlerted: number;
  registryReloads: number;
  listening: boolean;
}

export async function startMultiInstance(d: MultiInstanceDeps): Promise<MultiInstance> {
  const log = d.logger;
  let registryReloads = 0;
  let applyingRemote = false;
  let engineTail: FeedTail | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  let ownerCache: { at: number; url: string | null } | null = null;

  // ---- other instances' commits: live state and page
  const mirrorTail = new FeedTail({
    pool: d.pool,
    from: d.loadedAt,
    exceptInstance: d.instance,
    logger: log,
    onRows(rows) {
      for (const { instance, events } of rows) {
        if (instance === d.instance) continue;
        for (const event of events) {
          if (!d.registry.sensor(event.message.sensorId)) continue;
          d.pipeline.mirror(event.after);
          d.bus.emit('seal.committed', event);
        }
      }
    },
  });

  // ---- registry changes: announce ours, reload on theirs
  let pendingChanges: ServiceEvents['registry.changed'][] = [];
  let reloadTimer: NodeJS.Timeout | null = null;
  const reloadRegistry = () => {
    reloadTimer = null;
    const changes = pendingChanges;
    pendingChanges = [];
    d.registry.reload().then(
      () => {
        registryReloads++;
        applyingRemote = true;
        try {
          for (const c of changes) d.bus.emit('registry.changed', c);
        } finally {
          applyingRemote = false;
        }
      },
      (err: unknown) => log.error({ err }, 'registry reload after another instance changed it failed'),
    );
  };
  const scheduleReload = (change: ServiceEvents['registry.changed'] | null) => {
    if (change) pendingChanges.push(change);
    reloadTimer ??= setTimeout(reloadRegistry, 20);
  };
  const offRegistry = d.bus.on('registry.changed', (change) => {
    if (applyingRemote) return;
    notify(REGISTRY_CHANNEL, JSON.stringify({ instance: d.instance, ...change }));
  });

  // ---- alerting ownership (started last, once this instance listens)
  const lock = new OwnerLock({
    url: d.url,
    instance: d.instance,
    instanceUrl: d.instanceUrl,
    pollMs: d.ownerPollMs,
    logger: log,
    onLost: d.onLostOwnership,
    async onAcquired() {
      const saved = await d.alertStore.getState(FEED_POSITION_KEY);
      const from = (saved === undefined ? null : parsePosition(saved)) ?? d.loadedAt;
      // The stored mark of what was decided matters only for a group read again: the first one after
      // taking over (a crashed owner's), or one whose write failed here. It is read then, not per group.
      let decidedKnown = false;
      let decided: string | undefined;
      d.ownFeedGroups.keep(true);
      engineTail = new FeedTail({
        pool: d.pool,
        from,
        own: { instance: d.instance, groups: d.ownFeedGroups },
        logger: log,
        async onRows(rows) {
          if (!decidedKnown) {
            decided = await d.alertStore.getState(FEED_DECIDED_KEY);
            decidedKnown = true;
          }
          try {
            // One message at a time, each once its predecessor's decisions are written: a failed
            // write stops the group here (the tail reads it again), and no later message's mark can
            // claim an earlier one as decided.
            for (const row of rows)
              for (const { event, mark } of undecided(formatPosition(row.position), row.events, decided))
                await d.deliverToEngine(event, mark);
            // Written after the rows' decisions: after a crash the next owner re-reads at most this
            // commit group, and skips what it had decided.
            const last = rows[rows.length - 1];
            if (last)
              await d.alertStore.apply({ state: { [FEED_POSITION_KEY]: formatPosition(last.position) } });
          } catch (err) {
            decidedKnown = false; // a write may have landed before the failure: read the mark again
            throw err;
          }
          decided = undefined; // every later group is new: nothing of it is decided yet
        },
      });
      await d.alerting.start();
      relayed.clear();
      engineTail.start();
      log.info({ from: formatPosition(from) }, 'alerting reads the seal feed');
      pruneTimer = setInterval(() => {
        if (!engineTail) return;
        pruneFeed(d.pool, engineTail.at, PRUNE_KEEP_MS).then(
          (n) => n > 0 && log.debug({ rows: n }, 'seal feed pruned'),
          (err: unknown) => log.warn({ err }, 'seal feed prune failed'),
        );
      }, PRUNE_EVERY_MS);
      pruneTimer.unref();
    },
  });

  // ---- alert changes: the owner tells, the others relay to their pages
  const relayed = new Map<string, { gridId: string; type: string; status: string }>();
  for (const a of await d.alertStore.loadUnresolved()) {
    relayed.set(a.id, { gridId: a.gridId, type: a.type, status: a.status });
  }
  const offAlerts = d.bus.on('alert.changed', ({ alert, change }) => {
    if (!lock.isOwner) return;
    let payload = JSON.stringify({ instance: d.instance, alert, change });
    if (payload.length > MAX_PAYLOAD) {
      const { id, gridId, type, status } = alert;
      payload = JSON.stringify({ instance: d.instance, alert: { id, gridId, type, status }, change });
    }
    notify(ALERTS_CHANNEL, payload);
  });
  const relayAlert = (alert: AlertSnapshot, change: string) => {
    if (alert.status === 'resolved') relayed.delete(alert.id);
    else relayed.set(alert.id, { gridId: alert.gridId, type: alert.type, status: alert.status });
    d.bus.emit('alert.changed', { alert, change });
  };

  function notify(channel: string, payload: string): void {
    d.pool.query('SELECT pg_notify($1, $2)', [channel, payload]).catch((err: unknown) => {
      log.error({ err, channel }, 'could not tell the other instances');
    });
  }

  const listener = new PgListener({
    url: d.url,
    channels: [SEAL_FEED_CHANNEL, REGISTRY_CHANNEL, ALERTS_CHANNEL],
    logger: log,
    onNotify(channel, payload) {
      if (channel === SEAL_FEED_CHANNEL) {
        mirrorTail.wake();
        engineTail?.wake();
        return;
      }
      let message: { instance?: string } & Record<string, unknown>;
      try {
        message = JSON.parse(payload) as typeof message;
      } catch {
        log.warn({ channel }, 'unreadable notification ignored');
        return;
      }
      if (message.instance === d.instance) return;
      if (channel === REGISTRY_CHANNEL) {
        const { entity, id, removed, secretReplaced, replacedBy } =
          message as unknown as ServiceEvents['registry.changed'];
        scheduleReload({
          entity,
          id,
          ...(removed ? { removed } : {}),
          ...(secretReplaced ? { secretReplaced } : {}),
          ...(replacedBy ? { replacedBy } : {}),
        });
      } else if (channel === ALERTS_CHANNEL && !lock.isOwner) {
        const m = message as unknown as { alert: AlertSnapshot; change: string };
        relayAlert(m.alert, m.change);
      }
    },
    onConnect(first) {
      // Anything announced while this connection was down is read again.
      if (!first) scheduleReload(null);
      mirrorTail.wake();
    },
  });
  await listener.start();
  mirrorTail.start();

  lock.start();

  return {
    isOwner: () => lock.isOwner,
    async ownerUrl() {
      const now = Date.now();
      if (ownerCache === null || now - ownerCache.at > 1_000) {
        ownerCache = { at: now, url: (await currentOwnerUrl(d.pool))?.url ?? null };
      }
      return ownerCache.url;
    },
    openAlerts: () => (lock.isOwner ? d.alerting.engine.unresolved() : relayed.values()),
    stats: () => ({
      owner: lock.isOwner,
      feedMessagesMirrored: mirrorTail.handled,
      feedMessagesAlerted: engineTail?.handled ?? 0,
      registryReloads,
      listening: listener.connected,
    }),
    async stop() {
      offRegistry();
      offAlerts();
      if (reloadTimer) clearTimeout(reloadTimer);
      if (pruneTimer) clearInterval(pruneTimer);
      await mirrorTail.stop();
      await engineTail?.stop();
      d.ownFeedGroups.keep(false);
      await lock.stop();
      await listener.close();
    },
  };
}
