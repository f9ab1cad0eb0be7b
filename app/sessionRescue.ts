import type { ExternalConsumer } from '../broker/external/consumer.ts';
import type { Logger } from '../core/logger.ts';
import { claimOrphanedSessions } from '../storage/postgres/consumerSessions.ts';
import type { Pool } from '../storage/postgres/openPool.ts';

/** Nothing arriving for this long (and everything acknowledged): the rescued session is empty. */
const QUIET_MS = 1_000;
const MAX_RESCUE_MS = 120_000;

export interface SessionRescueStats {
  sessionsRescued: number;
  messagesRescued: number;
}

/**
 * Several instances behind an external broker (MQTT_URL with DATABASE_URL): the broker keeps
 * routing a dead instance's share of the messages to its persistent session, where they would
 * wait until it returns, a breach among them. The alerting owner looks every `everyMs` for
 * sessions whose instance is gone and empties them (ExternalConsumer.rescue) through its own
 * ingest: nothing the broker acknowledged to a sensor waits on a dead machine.
 */
export function startSessionRescue(o: {
  pool: Pool;
  ownClientId: string;
  isOwner(): boolean;
  rescuer(clientId: string): ExternalConsumer;
  everyMs: number;
  logger: Logger;
}): { stats(): SessionRescueStats; stop(): Promise<void> } {
  const stats: SessionRescueStats = { sessionsRescued: 0, messagesRescued: 0 };
  let running: Promise<void> | null = null;
  let stopped = false;
  const round = async () => {
    for (const claim of await claimOrphanedSessions(o.pool, o.ownClientId)) {
      if (stopped) {
        await claim.release(false);
        continue;
      }
      const started = Date.now();
      try {
        const messages = await o.rescuer(claim.clientId).rescue(QUIET_MS, MAX_RESCUE_MS);
        stats.sessionsRescued++;
        stats.messagesRescued += messages;
        o.logger.warn(
          { clientId: claim.clientId, messages, ms: Date.now() - started },
          'emptied the broker session of a gone instance',
        );
        await claim.release(true);
      } catch (err) {
        o.logger.error({ err, clientId: claim.clientId }, 'session rescue failed; retrying later');
        await claim.release(false).catch(() => undefined);
      }
    }
  };
  const timer = setInterval(() => {
    if (running || stopped || !o.isOwner()) return;
    running = round()
      .catch((err: unknown) => o.logger.warn({ err }, 'looking for sessions of gone instances failed'))
      .finally(() => {
        running = null;
      });
  }, o.everyMs);
  timer.unref();
  return {
    stats: () => ({ ...stats }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
