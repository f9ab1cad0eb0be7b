import type { Aedes, Client } from 'aedes';
import type { Logger } from '../../core/logger.ts';
import { endedWithDisconnect } from '../aedesInternals.ts';
import type { ConnectionAccounting } from '../connectionAccounting.ts';
import type { Identity } from '../identity.ts';
import type { ServiceSessions } from '../serviceSessions.ts';

export interface ConnectionEventDeps {
  accounting: ConnectionAccounting;
  identities: WeakMap<Client, Identity>;
  serviceSessions: ServiceSessions;
  log: Logger;
}

/**
 * A connection's life after CONNECT, from Aedes' events: counted as connected, then closed under
 * the reason noted by whoever closed it, or else how it ended (DISCONNECT, lost, error).
 */
export function watchConnections(aedes: Aedes, deps: ConnectionEventDeps): void {
  const { accounting, log } = deps;
  aedes.on('connackSent', (_packet, client) => accounting.connectEnded(client));
  aedes.on('clientReady', (client) => {
    accounting.stats.connected++;
    const identity = deps.identities.get(client);
    log.debug({ clientId: client.id, kind: identity?.kind }, 'mqtt client connected');
    deps.serviceSessions.started(client, identity);
  });
  aedes.on('clientDisconnect', (client) => {
    deps.serviceSessions.ended(client);
    accounting.stats.connected--;
    accounting.closed(
      accounting.closeReason(client) ??
        (endedWithDisconnect(client) ? 'client_disconnect' : 'connection_lost'),
    );
  });
  aedes.on('keepaliveTimeout', (client) => accounting.closing(client, 'keepalive_timeout'));
  aedes.on('clientError', (client, err) => {
    accounting.closingIfFirst(client, 'client_error');
    log.debug({ clientId: client.id, err: err.message }, 'mqtt client error');
  });
  aedes.on('connectionError', (client, err) => {
    accounting.closed(accounting.closeReason(client) ?? 'connection_error');
    log.debug({ err: err.message }, 'mqtt connection error before CONNECT completed');
  });
}
