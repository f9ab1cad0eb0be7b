// smpp (node-smpp 0.5.1) ships no types: the part of its API the SMPP channel (smppSession.ts) and the
// test's loopback SMSC (test/helpers/smppServer.ts) use. Names follow the SMPP specification, as the
// package does (lib/smpp.js, lib/defs.js).
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer } from 'node:net';

  /** A PDU: its header and, by name, the parameters and TLVs of its command (lib/pdu.js). */
  export interface PDU {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    isResponse(): boolean;
    /** The response to this request (status 0 unless given). */
    response(options?: Record<string, unknown>): PDU;
    // Parameters by name (system_id, short_message, message_id, receipted_message_id, …).
    [param: string]: unknown;
  }

  export interface Session extends EventEmitter {
    /** false when the socket is not writable (the PDU was not sent). */
    send(pdu: PDU, responseCallback?: (resp: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    bind_transceiver(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    submit_sm(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    deliver_sm(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    enquire_link(options?: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    unbind(options?: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    readonly socket: import('node:net').Socket;
  }

  export interface Server extends NetServer {
    readonly sessions: Session[];
  }

  export interface ConnectOptions {
    url?: string;
    host?: string;
    port?: number;
    tls?: boolean;
    /** Sends enquire_link every so many ms while connected. */
    auto_enquire_link_period?: number;
    connectTimeout?: number;
  }

  export function connect(options: ConnectOptions, listener?: () => void): Session;
  export function createServer(
    options: Record<string, unknown>,
    listener?: (session: Session) => void,
  ): Server;

  /** The module object (CommonJS): what `import smpp from 'smpp'` gives under Node's ESM. */
  const smpp: {
    connect: typeof connect;
    createServer: typeof createServer;
    PDU: new (command: string, options?: Record<string, unknown>) => PDU;
  };
  export default smpp;
}
