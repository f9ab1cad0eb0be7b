import type { Client } from 'aedes';

/**
 * The newest connection that logged in under each client id on this node, from its login until
 * it closes: it tells the will of a connection that a reconnect took over (stale, the device is
 * alive on the new one) from the will of a device that is gone.
 *
 * Aedes' own client table cannot tell: in a takeover (MQTT-3.1.4-2) Aedes closes the old
 * connection, and asks authorizePublish about its will, inside `registerClient` (aedes.js), before
 * the table names the new connection. The new connection has logged in by then (connect.js runs
 * `authenticate` first), so it is recorded here.
 *
 * At most one entry per client id, removed when that connection closes: bounded by the
 * connections logged in on this node.
 */
export class NewestConnections {
  private readonly byClientId = new Map<string, Client>();

  /** At a successful login, before Aedes registers the connection (and takes over an older one). */
  loggedIn(client: Client): void {
    this.byClientId.set(client.id, client);
  }

  /** When the connection closes; a newer connection of the same id stays recorded. */
  closed(client: Client): void {
    if (this.byClientId.get(client.id) === client) this.byClientId.delete(client.id);
  }

  /** Whether a newer connection with this client id logged in and is still open. */
  hasNewerThan(client: Client): boolean {
    const newest = this.byClientId.get(client.id);
    return newest !== undefined && newest !== client && !newest.closed;
  }
}
