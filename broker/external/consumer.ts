import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../../core/logger.ts';
import type { PublishHandler } from '../createBroker.ts';
import { quietDisabledDebugLoggers } from '../quietDebugLoggers.ts';

/** mqtt.js's `connect`. */
export type MqttConnect = (url: string, options: IClientOptions) => MqttClient;

export interface ExternalConsumerOptions {
  /** mqtt.js's `connect`, from loadMqttClient(). */
  connect: MqttConnect;
  /** mqtt://, mqtts://, ws:// or wss:// URL of the external broker. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Stable per instance: the broker keeps this session's queue while the instance is down. */
  clientId: string;
  shareGroup: string;
  /** Topic filters without the `$share/<group>/` prefix. */
  topicFilters: readonly string[];
  sessionExpiryMs: number;
  onPublish: PublishHandler;
  logger: Logger;
  minReconnectMs?: number;
  maxReconnectMs?: number;
  /** Unacknowledged messages the broker may have in flight to us (MQTT 5 Receive Maximum). */
  receiveMaximum?: number;
  /**
   * 'rescue': take over a dead instance's session (its client id) to empty it, rather than to
   * consume: see rescue() below. Default 'consume'.
   */
  mode?: 'consume' | 'rescue';
}

export interface ExternalConsumerStats {
  connected: boolean;
  subscribed: boolean;
  connects: number;
  connectionLosses: number;
  received: number;
  acknowledged: number;
  /** Retained messages the broker replayed on subscribing: old news, acknowledged and skipped. */
  retainedSkipped: number;
  /** Commits that failed: the connection is dropped unacknowledged so the broker redelivers. */
  handlerFailures: number;
  pendingAcks: number;
}

interface PendingAck {
  messageId: number;
  settled: boolean;
  /** The connection the message came on: its PUBACK means nothing on any other. */
  stream: MqttClient['stream'];
}

/** Handed to mqtt.js's handleMessage callback: "do not send the PUBACK, we send it after the commit". */
class AckLater extends Error {}
/** One instance for every message: building an Error (and its stack) per message cost ~20 µs each. */
const ACK_LATER = new AckLater('acknowledged after the commit');

/**
 * mqtt.js, loaded for the consumers: a service on its embedded broker never needs it, and it cost
 * every start ~0.1 s of CPU.
 */
export async function loadMqttClient(): Promise<MqttConnect> {
  quietDisabledDebugLoggers();
  return (await import('mqtt')).connect;
}

/**
 * Ingest from an external broker (Mosquitto, EMQX) instead of the embedded
 * one. Every instance holds one MQTT 5 connection with a persistent session
 * (clean start off, a stable client id, a session expiry) and shared
 * subscriptions `$share/<group>/<filter>` at QoS 1, so instances in one group
 * split the stream and messages published while an instance is down wait in
 * its session.
 *
 * The PUBACK goes out only when the message's handler resolved, i.e. after
 * the SQLite commit and the telemetry spool append, in the order the
 * messages arrived (MQTT-4.6.0-2). mqtt.js sends its PUBACK as soon as
 * `handleMessage` calls back and handles one message at a time until then;
 * waiting there would cost one commit (one fsync) per message. So
 * `handleMessage` hands the message to ingest and calls back at once with
 * AckLater, which makes mqtt.js skip its PUBACK (it only sends one on
 * success), and this class writes the 4-byte PUBACK itself once the commit is
 * done. Messages keep flowing into the current commit group, as with the
 * embedded broker.
 *
 * A failed commit drops the connection without acknowledging: the broker
 * redelivers everything unacknowledged on the next connection, and ingest's
 * de-duplication removes what had been committed after all.
 */
export class ExternalConsumer {
  private client: MqttClient | null = null;
  private acks: PendingAck[] = [];
  private flushScheduled = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelay: number;
  private outageLogged = false;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly counts: Omit<ExternalConsumerStats, 'connected' | 'subscribed' | 'pendingAcks'> = {
    connects: 0,
    connectionLosses: 0,
    received: 0,
    acknowledged: 0,
    retainedSkipped: 0,
    handlerFailures: 0,
  };
  private subscribed = false;
  private wasConnected = false;
  /** Rescue mode: out of the share group; when the last message arrived. */
  private left = false;
  private lastMessageAt = 0;
  private readonly log: Logger;
  private readonly minDelay: number;
  private readonly maxDelay: number;

  constructor(private readonly opts: ExternalConsumerOptions) {
    this.log = opts.logger;
    this.minDelay = opts.minReconnectMs ?? 500;
    this.maxDelay = opts.maxReconnectMs ?? 30_000;
    this.reconnectDelay = this.minDelay;
  }

  /** Starts connecting; it keeps trying with back-off until close(). */
  start(): void {
    const { opts } = this;
    const client = opts.connect(opts.url, {
      protocolVersion: 5,
      clientId: opts.clientId,
      clean: false,
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      keepalive: 30,
      connectTimeout: 10_000,
      // Reconnection with back-off is ours (mqtt.js retries at a fixed period).
      reconnectPeriod: 0,
      // Subscriptions are renewed on every connect below.
      resubscribe: false,
      properties: {
        sessionExpiryInterval: Math.floor(opts.sessionExpiryMs / 1000),
        receiveMaximum: opts.receiveMaximum ?? 1000,
      },
    });
    this.client = client;
    client.handleMessage = (packet, callback) => this.onMessage(packet, callback);
    client.on('connect', (connack) => this.onConnect(client, connack.sessionPresent));
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.onError(err));
    client.on('disconnect', (packet) => {
      // 142: another client connected with our client id; two instances must not share one.
      const reasonCode = packet.reasonCode ?? 0;
      if (reasonCode === 142)
        this.log.error(
          { clientId: opts.clientId, reasonCode },
          'external broker: another client took over this session (MQTT_CLIENT_ID must differ per instance)',
        );
      else this.log.warn({ clientId: opts.clientId, reasonCode }, 'external broker disconnected us');
    });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connected and every shared subscription granted. */
  get ready(): boolean {
    return this.connected && this.subscribed;
  }

  stats(): ExternalConsumerStats {
    return {
      connected: this.connected,
      subscribed: this.subscribed,
      pendingAcks: this.acks.length,
      ...this.counts,
    };
  }

  /**
   * Stops taking messages, lets those in flight commit and acknowledges them
   * (up to `timeoutMs`), then disconnects; the session stays on the broker
   * and queues for this instance until it returns.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await client.endAsync(!client.connected);
  }

  private shared(filter: string): string {
    return `$share/${this.opts.shareGroup}/${filter}`;
  }

  /**
   * Empties the session of an instance that is gone, whose share of the messages would otherwise
   * wait in the broker until it returns (the broker keeps routing a persistent member's share to
   * its session). Connects with its client id (mode 'rescue'), leaves the share group at once so
   * nothing new is routed here, takes what was queued through the normal path (commit, then
   * PUBACK), and once nothing has arrived for `quietMs` with every message acknowledged, ends
   * the session for good (DISCONNECT with session expiry 0). Resolves with the messages taken.
   */
  async rescue(quietMs: number, maxMs: number): Promise<number> {
    const started = Date.now();
    this.start();
    for (;;) {
      await new Promise((r) => setTimeout(r, Math.min(quietMs, 200)));
      const quiet = Date.now() - this.lastMessageAt >= quietMs;
      if (this.left && quiet && this.acks.length === 0 && this.inflight.size === 0) break;
      if (Date.now() - started > maxMs) {
        await this.close();
        throw new Error(
          `session ${this.opts.clientId} not emptied within ${maxMs} ms; left for a later rescue`,
        );
      }
    }
    this.closing = true;
    const client = this.client as MqttClient;
    await client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
    return this.counts.acknowledged;
  }

  private onConnect(client: MqttClient, sessionPresent: boolean): void {
    if (this.opts.mode === 'rescue') {
      this.lastMessageAt = Date.now();
      const filters = this.opts.topicFilters.map((f) => this.shared(f));
      // Out of the group first: what is already queued still comes, nothing new is added.
      client.unsubscribe(filters, (err) => {
        if (err) this.log.error({ err: err.message }, 'external broker: leaving the share group failed');
        else this.left = true;
      });
      this.log.info(
        { clientId: this.opts.clientId, sessionPresent },
        'rescuing the session of a gone instance',
      );
      return;
    }
    this.counts.connects++;
    this.wasConnected = true;
    this.reconnectDelay = this.minDelay;
    this.outageLogged = false;
    this.log.info(
      { url: redactUrl(this.opts.url), clientId: this.opts.clientId, sessionPresent },
      'external broker connected',
    );
    const filters = this.opts.topicFilters.map((f) => this.shared(f));
    // rh 2: no retained messages on subscribing (they are old news, and a
    // replayed `online` would make a dead seal look alive).
    client.subscribe(filters, { qos: 1, rh: 2 }, (err, granted) => {
      if (err) {
        this.log.error({ err: err.message }, 'external broker: subscribing failed');
        return;
      }
      // SUBACK reason codes of 0x80 and above are refusals.
      const refused = (granted ?? []).filter((g) => g.qos >= 0x80);
      this.subscribed = refused.length === 0;
      if (refused.length > 0) {
        this.log.error(
          { refused: refused.map((g) => g.topic), reasonCodes: refused.map((g) => g.qos) },
          'external broker refused subscriptions: check its ACL for the service user',
        );
      } else {
        this.log.info({ subscriptions: filters }, 'external broker subscriptions granted');
      }
    });
  }

  private onClose(): void {
    this.subscribed = false;
    // PUBACKs of the lost connection cannot be sent any more: the broker redelivers those messages.
    this.acks = [];
    if (this.wasConnected) {
      this.wasConnected = false;
      this.counts.connectionLosses++;
      if (!this.closing) this.log.warn({ clientId: this.opts.clientId }, 'external broker connection lost');
    }
    if (this.closing) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.maxDelay, this.reconnectDelay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closing) this.client?.reconnect();
    }, delay);
  }

  private onError(err: Error & { code?: string | number }): void {
    // One line per outage; the attempts in between only at debug level.
    const fields = { url: redactUrl(this.opts.url), err: err.message, code: err.code };
    if (this.outageLogged || this.closing)
      this.log.debug(fields, 'external broker: connection attempt failed');
    else this.log.error(fields, 'external broker unreachable or refused the login; retrying with back-off');
    this.outageLogged = true;
  }

  private onMessage(packet: IPublishPacket, callback: (error?: Error) => void): void {
    const client = this.client;
    if (!client || this.closing) {
      // Not acknowledged: redelivered to this session (or, if it ends, another member) later.
      callback(ACK_LATER);
      return;
    }
    this.counts.received++;
    this.lastMessageAt = Date.now();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (packet.retain) {
      // Only a replay on subscribing carries RETAIN to a subscriber (MQTT-3.3.1-9; RAP off).
      this.counts.retainedSkipped++;
      callback();
      return;
    }
    if (packet.qos === 0) {
      this.track(this.opts.onPublish(null, packet.topic, payload));
      callback();
      return;
    }
    const entry: PendingAck = { messageId: packet.messageId ?? 0, settled: false, stream: client.stream };
    this.acks.push(entry);
    this.track(
      this.opts.onPublish(null, packet.topic, payload).then(
        () => {
          // Accepted or dropped with a counted reason: either way the broker may forget it.
          entry.settled = true;
          this.scheduleFlush();
        },
        (err: unknown) => this.commitFailed(entry, err as Error),
      ),
    );
    callback(ACK_LATER);
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined);
    this.inflight.add(settled);
    void settled.finally(() => this.inflight.delete(settled));
  }

  /**
   * One flush after every message that settled in this turn (a commit group settles all of its
   * messages at once): their PUBACKs leave in one write, not one write and one queue walk each
   * (issue 20.4: 22 % of a PostgreSQL instance's CPU with groups of ~1,500 messages).
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushAcks();
    });
  }

  /** PUBACKs leave in arrival order: one waits for every message before it. */
  private flushAcks(): void {
    const client = this.client;
    // Counted, then spliced once: shift() per entry moves the whole queue (up to Receive Maximum).
    let done = 0;
    while (done < this.acks.length && this.acks[done]?.settled) done++;
    if (done === 0) return;
    const settled = this.acks.splice(0, done);
    if (!client?.connected || client.stream.destroyed) return;
    // Only the current connection's: the broker redelivers a lost one's messages.
    const stream = client.stream;
    const out = Buffer.allocUnsafe(settled.length * PUBACK_LENGTH);
    let n = 0;
    for (const entry of settled) {
      if (entry.stream !== stream) continue;
      writePuback(out, n * PUBACK_LENGTH, entry.messageId);
      n++;
    }
    if (n === 0) return;
    stream.write(n === settled.length ? out : out.subarray(0, n * PUBACK_LENGTH));
    this.counts.acknowledged += n;
  }

  private commitFailed(entry: PendingAck, err: Error): void {
    this.counts.handlerFailures++;
    this.log.error(
      { err: err.message },
      'ingest could not commit a message from the external broker; reconnecting so it is redelivered',
    );
    const client = this.client;
    if (client && entry.stream === client.stream && !entry.stream.destroyed) entry.stream.destroy();
  }
}

const PUBACK_LENGTH = 4;

/** QoS 1 PUBACK, reason Success: with remaining length 2 the reason code is implied (MQTT 5 §3.4.2.1). */
function writePuback(out: Buffer, at: number, messageId: number): void {
  out[at] = 0x40;
  out[at + 1] = 0x02;
  out[at + 2] = messageId >> 8;
  out[at + 3] = messageId & 0xff;
}

/** The URL without credentials, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
