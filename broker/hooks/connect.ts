import type { AedesOptions, Client } from 'aedes';
import type { Logger } from '../../core/logger.ts';
import { forgetConnectPacket } from '../aedesInternals.ts';
import type { SessionLedger } from '../aedesPatches.ts';
import type { Authenticator } from '../authenticator.ts';
import type { RedisBackplane } from '../cluster.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import { ConnectPasswords } from '../connectPasswords.ts';
import type { Identity } from '../identity.ts';
import type { NewestConnections } from '../newestConnections.ts';
import { packetGuardOf } from '../packetGuard.ts';
import type { RedeliveryMarker } from '../redeliveryMarker.ts';
import { topicProblem } from '../topicValidation.ts';

export interface ConnectHookDeps {
  authenticator: Authenticator;
  /** Filled here at an accepted CONNECT; the other hooks read it. */
  identities: WeakMap<Client, Identity>;
  accounting: ConnectionAccounting;
  /** Filled here at an accepted CONNECT, emptied as connections close; the publish hook reads it. */
  newestConnections: NewestConnections;
  sessions: SessionLedger;
  redeliveries: RedeliveryMarker;
  /** With REDIS_URL: where persistent sessions are shared with the other nodes. */
  backplane: RedisBackplane | null;
  /** The packet size limit of gateways and service clients, once logged in. */
  trustedPacketSize: number;
  log: Logger;
}

type AuthenticateDone = Parameters<Required<AedesOptions>['authenticate']>[3];

/**
 * CONNECT (Aedes' lib/handlers/connect.js): `preConnect` checks what Aedes would accept although
 * MQTT 3.1.1 forbids it; `authenticate` decides who the client is and sets up what our patches
 * need to know of its session before Aedes reads it.
 */
export function connectHooks(
  deps: ConnectHookDeps,
): Required<Pick<AedesOptions, 'preConnect' | 'authenticate'>> {
  const { accounting, log } = deps;
  /** CONNECTs with an empty client id and CleanSession=0, refused at authenticate (MQTT-3.1.3-8). */
  const emptyPersistentId = new WeakSet<Client>();
  const passwords = new ConnectPasswords();

  return {
    preConnect(client, packet, done) {
      // MQTT-3.1.3-10, MQTT-4.7.3-1, MQTT-1.5.3-2: Aedes takes any will topic, even "" or one with NUL.
      const willProblem = packet.will ? topicProblem(packet.will.topic) : null;
      if (willProblem) {
        accounting.refused('bad_will_topic');
        return done(new Error(`will topic refused: ${willProblem}`), false);
      }
      // Aedes would make up an id; the CONNACK must say 2 (MQTT-3.1.3-8), so refused at authenticate.
      if (packet.clientId.length === 0 && !packet.clean) emptyPersistentId.add(client);
      accounting.connectStarted(client);
      passwords.received(client, packet);
      forgetConnectPacket(client);
      done(null, true);
    },

    authenticate(client, username, password, done) {
      // The packet guard on the connection: its address, and the size limit to raise.
      const guard = packetGuardOf(client.conn);
      const address = guard?.remoteAddress ?? 'unknown';
      if (emptyPersistentId.has(client)) {
        passwords.erase(client);
        accounting.refused('empty_client_id');
        accounting.closing(client, 'empty_client_id');
        const err = Object.assign(new Error('empty client id with CleanSession=0'), {
          returnCode: 2 as const,
        });
        return done(err, false);
      }
      deps.authenticator.authenticate(client.id, username, password, address).then(
        (outcome) => {
          passwords.erase(client);
          if (!outcome.ok) {
            accounting.refused(`auth_${outcome.reason}`);
            accounting.closing(client, `auth_${outcome.reason}`);
            log.info(
              { clientId: client.id, username: username ?? null, address, reason: outcome.reason },
              'mqtt login refused',
            );
            const returnCode =
              outcome.reason === 'client_id_mismatch' ? 2 : outcome.reason === 'throttled' ? 3 : 4;
            const err = Object.assign(new Error(`login refused: ${outcome.reason}`), { returnCode });
            return done(err as Error & { returnCode: 2 | 3 | 4 }, false);
          }
          deps.identities.set(client, outcome.identity);
          if (outcome.identity.kind !== 'sensor') guard?.setMaxPacketSize(deps.trustedPacketSize);
          // Before Aedes registers this connection, which closes an older one of the same client id.
          // (hooks/accept.ts removes it when the connection closes; one already closed never will.)
          if (!client.conn.closed) deps.newestConnections.loggedIn(client);
          openSession(deps, client, done);
        },
        (err: Error) => {
          passwords.erase(client);
          log.error({ err, clientId: client.id }, 'mqtt authentication failed');
          done(Object.assign(err, { returnCode: 3 as const }), false);
        },
      );
    },
  };
}

/**
 * After a successful login, before Aedes reads the session: tells the session ledger (for
 * Session Present) whether this CONNECT resumes a session, and with REDIS_URL which messages the
 * session was already sent elsewhere (for DUP). Then lets Aedes go on.
 */
function openSession(deps: ConnectHookDeps, client: Client, done: AuthenticateDone): void {
  const { backplane, sessions } = deps;
  if (!backplane) {
    sessions.connected(client.id, client.clean);
    done(null, true);
    return;
  }
  if (client.clean) {
    sessions.connected(client.id, true);
    backplane.endSession(client.id);
    done(null, true);
    return;
  }
  // A persistent session may have been opened, and sent messages, by another node (or an earlier start).
  const redisFailed = (what: string) => (err: Error) => {
    deps.log.warn({ clientId: client.id, err: err.message }, `could not read ${what} from Redis`);
    return null;
  };
  void Promise.all([
    backplane.loadDelivered(client.id).catch(redisFailed('delivered messages')),
    backplane.openSession(client.id).catch(redisFailed('the session marker')),
  ]).then(([keys, held]) => {
    if (keys) deps.redeliveries.merge(client.id, keys);
    sessions.connected(client.id, false, held ?? undefined);
    done(null, true);
  });
}
