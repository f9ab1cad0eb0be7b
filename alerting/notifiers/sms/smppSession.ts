import type { Logger } from 'pino';
import smpp, { type PDU, type Session } from 'smpp';
import type { SmppTarget } from '../../../core/smsUrl.ts';
import { backoffDelay } from '../../backoff.ts';

/**
 * One SMPP 3.4 transceiver session to the SMSC, kept up for as long as the channel runs:
 * - bind_transceiver (§4.1.5) with system_id and password from SMS_URL; a refused bind is logged with
 *   its command_status and the system_id, never the password;
 * - enquire_link (§4.11) every `enquireLinkMs`; no answer within `requestTimeoutMs` means the link is
 *   dead (a NAT that dropped the connection says nothing), so the socket is dropped and bound again;
 *   the SMSC's own enquire_link and unbind (§4.2) are answered;
 * - reconnect with back-off (full jitter, alerting/backoff.ts) after any loss, for ever, until `stop`;
 * - a window: at most `target.window` submit_sm await their submit_sm_resp at once, each at most
 *   `requestTimeoutMs`; more wait their turn (as long again at most). While unbound a submit waits
 *   `bindWaitMs` (2 s) for a bind, enough to ride out a reconnect, then fails, and the outbox retries
 *   it later: a long SMSC outage must not hold the outbox's other channels for long.
 * Every deliver_sm (§4.6.1) goes to `onDeliver`, whose answer is the deliver_sm_resp's command_status.
 */

/** command_status values used here (SMPP 3.4 §5.1.3). */
export const ESME = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RINVESMCLASS: 0x43,
  RSUBMITFAIL: 0x45,
  RTHROTTLED: 0x58,
  RINVDCS: 0x104,
} as const;

export class SmppUnavailable extends Error {}

export interface SmppSessionOptions {
  target: SmppTarget;
  logger: Logger;
  onDeliver(pdu: PDU): Promise<number>;
  enquireLinkMs?: number;
  requestTimeoutMs?: number;
  bindWaitMs?: number;
  /** Reconnect back-off: first delay and cap. */
  reconnect?: { baseMs: number; capMs: number };
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export interface SmppSessionStats {
  up: boolean;
  binds: number;
  bindFailures: number;
  connectionLosses: number;
}

export class SmppSession {
  private session: Session | null = null;
  private bound = false;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private enquireTimer: NodeJS.Timeout | null = null;
  private outstanding = 0;
  /** Submits waiting for a bind or for room in the window, first come first served. */
  private readonly waiting: Waiter[] = [];
  /** Rejects the submits in flight when their session goes. */
  private readonly inFlight = new Set<(err: Error) => void>();
  private lastProblem = '';
  private readonly counters = { binds: 0, bindFailures: 0, connectionLosses: 0 };
  private readonly requestTimeoutMs: number;

  constructor(private readonly o: SmppSessionOptions) {
    this.requestTimeoutMs = o.requestTimeoutMs ?? 10_000;
  }

  get up(): boolean {
    return this.bound;
  }

  stats(): SmppSessionStats {
    return { up: this.bound, ...this.counters };
  }

  /** Starts connecting; returns at once (an SMSC that is down does not hold up the service). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Unbinds (politely, briefly) and closes; submits still waiting fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failWaiting(new SmppUnavailable('SMS channel stopping'));
    const s = this.session;
    if (!s) return;
    if (this.bound) {
      // unbind (§4.2), answered or not within the request timeout; then the socket closes either way.
      await this.request((cb) => s.unbind({}, cb), 'unbind').catch(() => undefined);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => s.destroy(() => resolve()), 2_000);
      s.close(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** One submit_sm; resolves with its submit_sm_resp (whatever its status). */
  async submit(params: Record<string, unknown>): Promise<PDU> {
    await this.slot();
    const session = this.session;
    try {
      if (!session || !this.bound) throw new SmppUnavailable('SMSC not bound');
      return await this.request((cb) => session.submit_sm(params, cb), 'submit_sm');
    } finally {
      this.outstanding -= 1;
      this.nextWaiter();
    }
  }

  // ---------------------------------------------------------------- the window

  private slot(): Promise<void> {
    if (this.stopped) return Promise.reject(new SmppUnavailable('SMS channel stopped'));
    if (this.bound && this.outstanding < this.o.target.window && this.waiting.length === 0) {
      this.outstanding += 1;
      return Promise.resolve();
    }
    const wait = this.bound ? this.requestTimeoutMs : (this.o.bindWaitMs ?? 2_000);
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new SmppUnavailable(this.bound ? 'SMPP window full for too long' : 'SMSC not bound'));
        }, wait),
      };
      this.waiting.push(w);
    });
  }

  private nextWaiter(): void {
    while (this.bound && this.outstanding < this.o.target.window && this.waiting.length > 0) {
      const w = this.waiting.shift() as Waiter;
      clearTimeout(w.timer);
      this.outstanding += 1;
      w.resolve();
    }
  }

  private failWaiting(err: Error): void {
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  /** A request with its own timeout; the session going away fails it at once. */
  private request(send: (cb: (resp: PDU) => void) => boolean, what: string): Promise<PDU> {
    return new Promise<PDU>((resolve, reject) => {
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.inFlight.delete(fail);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new SmppUnavailable(`${what} unanswered after ${this.requestTimeoutMs} ms`)),
        this.requestTimeoutMs,
      );
      this.inFlight.add(fail);
      const sent = send((resp) => {
        clearTimeout(timer);
        this.inFlight.delete(fail);
        resolve(resp);
      });
      if (!sent) fail(new SmppUnavailable('SMPP connection not writable'));
    });
  }

  // ---------------------------------------------------------------- connection

  private connect(): void {
    const { target, logger } = this.o;
    const session = smpp.connect({ host: target.host, port: target.port, tls: target.tls });
    this.session = session;
    const bindTimer = setTimeout(() => {
      this.problem(`no bind within ${this.requestTimeoutMs} ms`);
      session.destroy();
    }, this.requestTimeoutMs + 5_000);
    session.on(target.tls ? 'secureConnect' : 'connect', () => {
      this.request(
        (cb) =>
          session.bind_transceiver(
            {
              system_id: target.systemId,
              password: target.password,
              system_type: target.systemType,
              interface_version: 0x34,
            },
            cb,
          ),
        'bind_transceiver',
      ).then(
        (resp) => {
          clearTimeout(bindTimer);
          if (resp.command_status !== ESME.ROK) {
            this.counters.bindFailures += 1;
            logger.error(
              {
                commandStatus: `0x${resp.command_status.toString(16).padStart(8, '0')}`,
                systemId: target.systemId,
                host: target.host,
                port: target.port,
              },
              'SMPP bind refused by the SMSC (check the system_id and password in SMS_URL)',
            );
            session.destroy();
            return;
          }
          this.onBound(session);
        },
        (err: Error) => {
          clearTimeout(bindTimer);
          this.problem(err.message);
          session.destroy();
        },
      );
    });
    session.on('error', (err: Error & { code?: string }) => this.problem(err.code ?? err.message));
    session.on('close', () => {
      clearTimeout(bindTimer);
      this.onClosed(session);
    });
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => {
      session.send(pdu.response());
      logger.warn({ host: target.host }, 'SMSC unbound the SMPP session; binding again');
      session.close();
    });
    session.on('unknown', (pdu: PDU) => session.send(pdu.response()));
    session.on('deliver_sm', (pdu: PDU) => {
      this.o.onDeliver(pdu).then(
        (status) => session.send(pdu.response({ command_status: status })),
        (err: unknown) => {
          logger.error({ err }, 'deliver_sm not handled; the SMSC will send it again');
          session.send(pdu.response({ command_status: ESME.RSYSERR }));
        },
      );
    });
  }

  private onBound(session: Session): void {
    const { target, logger } = this.o;
    this.bound = true;
    this.attempt = 0;
    this.lastProblem = '';
    this.counters.binds += 1;
    logger.info(
      { host: target.host, port: target.port, systemId: target.systemId, window: target.window },
      'SMPP session bound (transceiver)',
    );
    this.enquireTimer = setInterval(() => {
      this.request((cb) => session.enquire_link({}, cb), 'enquire_link').catch((err: Error) => {
        this.problem(err.message);
        session.destroy();
      });
    }, this.o.enquireLinkMs ?? 30_000);
    this.nextWaiter();
  }

  private onClosed(session: Session): void {
    if (this.session !== session) return;
    if (this.enquireTimer) clearInterval(this.enquireTimer);
    this.enquireTimer = null;
    const wasBound = this.bound;
    this.bound = false;
    this.session = null;
    for (const fail of [...this.inFlight]) fail(new SmppUnavailable('SMPP connection lost'));
    if (wasBound) {
      this.counters.connectionLosses += 1;
      if (!this.stopped) this.o.logger.warn({ host: this.o.target.host }, 'SMPP session lost; reconnecting');
    }
    if (this.stopped) return;
    const r = this.o.reconnect ?? { baseMs: 1_000, capMs: 30_000 };
    const delay = Math.max(250, backoffDelay(this.attempt++, { baseMs: r.baseMs, capMs: r.capMs }));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  /** One warning per new kind of trouble, not one per reconnect attempt. */
  private problem(what: string): void {
    if (what === this.lastProblem) return;
    this.lastProblem = what;
    this.o.logger.warn(
      { host: this.o.target.host, port: this.o.target.port, problem: what },
      'SMPP session not available; retrying with back-off',
    );
  }
}
