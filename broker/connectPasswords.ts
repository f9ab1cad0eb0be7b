import type { Client } from 'aedes';

/** The part of a CONNECT packet (Aedes' preConnect gets the packet) this file touches. */
interface ConnectPacketPassword {
  password?: Buffer | undefined;
}

/**
 * Erases each CONNECT's password once the login is decided. The password is a view into the socket
 * chunk it arrived in, which outlives the CONNECT packet when the will's payload is a view into the
 * same chunk (the parser no longer keeps the packet itself: aedesInternals.ts forgetConnectPacket).
 * Aedes reads the password once, to call authenticate (connect.js `authenticate`). Only the packet
 * object Aedes hands to preConnect is touched, no Aedes or mqtt-packet internals: the reference is
 * dropped and the bytes are zeroed, so no heap dump of a running broker holds the secrets of its
 * connected devices.
 */
export class ConnectPasswords {
  /** Between preConnect and the end of authenticate. */
  private readonly pending = new WeakMap<Client, ConnectPacketPassword>();

  /** At preConnect: the packet whose password to erase later. */
  received(client: Client, packet: ConnectPacketPassword): void {
    if (packet.password) this.pending.set(client, packet);
  }

  /** Once the authenticator is done with the password (accepted, refused or failed). */
  erase(client: Client): void {
    const packet = this.pending.get(client);
    if (!packet) return;
    this.pending.delete(client);
    packet.password?.fill(0);
    packet.password = undefined;
  }
}
