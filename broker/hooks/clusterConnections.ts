import type { Aedes } from 'aedes';
import type { ConnectionLedger } from '../cluster.ts';

/**
 * With REDIS_URL: keeps the ledger of the node each client id connected to last, from this
 * node's connections and every node's `$SYS/<node>/new/clients` announcement. Call before
 * `aedes.listen()`: then this listener runs before Aedes' own on the same topic (registered in
 * `listen`), which closes the local connection of a client id that connected to another node,
 * so the ledger knows before that connection's will is published.
 */
export function followClientsAcrossNodes(aedes: Aedes, ledger: ConnectionLedger): void {
  aedes.on('client', (client) => ledger.connected(client.id, aedes.id));
  aedes.subscribe(
    '$SYS/+/new/clients',
    (packet, done) => {
      const node = packet.topic.split('/')[1];
      if (node) ledger.connected(packet.payload.toString(), node);
      done();
    },
    () => undefined,
  );
}
