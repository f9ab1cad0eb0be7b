import { createConnection } from 'node:net';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';

/**
 * One MQTT connection of a simulated device or gateway. Reconnecting is left to the caller (reconnectPeriod 0)
 * because how and when a device comes back — back-off, flaky links, storms — is exactly what we simulate.
 */
export interface LinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  keepaliveSec?: number;
  connectTimeoutMs?: number;
  /**
   * mqtt:// only: the local address the TCP connection leaves from. Without one, the kernel picks a
   * source port by searching past every port already connected to the same broker address, which
   * cost a simulator holding 18,000 connections 184 µs of CPU per connect (cpu-prof); spread over
   * 250 addresses (all of 127.0.0.0/8 is local), 52 µs.
   */
  localAddress?: string;
  /** Called when an established connection is lost without us asking for it. */
  onLost?: (reason: string) => void;
}

export type LinkState = 'down' | 'connecting' | 'up';

export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

function ignoreClientLog(): void {}

/** Where a TCP connection goes; null for a URL that is not mqtt:// (TLS and WebSocket go through mqtt.connect). */
function tcpTarget(url: string): { host: string; port: number } | null {
  const broker = new URL(url);
  if (broker.protocol !== 'mqtt:') return null;
  return {
    host: broker.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: broker.port === '' ? 1883 : Number(broker.port),
  };
}

export class Link {
  #client: MqttClient | null = null;
  #state: LinkState = 'down';
  readonly #options: LinkOptions;
  /** With a local address: the broker's host and port, parsed once for every (re)connect. */
  readonly #tcp: { host: string; port: number } | null;

  constructor(options: LinkOptions) {
    this.#options = options;
    this.#tcp = options.localAddress ? tcpTarget(options.url) : null;
  }

  get state(): LinkState {
    return this.#state;
  }

  get clientId(): string {
    return this.#options.clientId;
  }

  connect(): Promise<void> {
    if (this.#state !== 'down')
      return Promise.reject(new LinkError(`${this.clientId} is already ${this.#state}`, false));
    if (this.#options.localAddress && !this.#tcp)
      return Promise.reject(
        new LinkError(`a local address needs an mqtt:// broker URL (got ${this.#options.url})`, false),
      );
    this.#state = 'connecting';
    const o = this.#options;
    const clientOptions: IClientOptions = {
      clientId: o.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: o.keepaliveSec ?? 60,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs ?? 30_000,
      // A sensor whose link is down does not queue: the reading is simply lost, and we count it.
      queueQoSZero: false,
      resubscribe: false,
      // mqtt.js otherwise makes a `debug` logger per client, which asks whether stderr is a terminal:
      // about 4 % of a fleet simulator's CPU while thousands of seals connect (cpu-prof, 9,000 seals).
      log: ignoreClientLog,
    };
    if (o.username !== undefined) clientOptions.username = o.username;
    if (o.password !== undefined) clientOptions.password = o.password;
    if (o.will) clientOptions.will = { ...o.will };
    return new Promise<void>((resolve, reject) => {
      const tcp = this.#tcp;
      const localAddress = o.localAddress;
      // What mqtt.connect() does for an mqtt:// URL, with the TCP connection leaving from localAddress.
      const client =
        tcp && localAddress
          ? new MqttClient(() => createConnection({ ...tcp, localAddress }), {
              ...clientOptions,
              protocol: 'mqtt',
            })
          : mqtt.connect(o.url, clientOptions);
      this.#client = client;
      let settled = false;
      const fail = (message: string, refused: boolean) => {
        if (settled) return;
        settled = true;
        this.#teardown(client);
        reject(new LinkError(message, refused));
      };
      client.once('connect', () => {
        if (settled) return;
        settled = true;
        this.#state = 'up';
        client.on('close', () => {
          if (this.#client !== client) return;
          this.#teardown(client);
          o.onLost?.('connection closed');
        });
        resolve();
      });
      client.on('error', (err: Error & { code?: number | string }) => {
        const refused = typeof err.code === 'number';
        fail(`${o.clientId}: ${err.message}`, refused);
      });
      client.once('close', () => fail(`${o.clientId}: connection closed before CONNACK`, false));
    });
  }

  /** Publishes; resolves on PUBACK for QoS 1 (on write for QoS 0). Rejects when the link is not up. */
  publish(topic: string, payload: string, qos: 0 | 1, retain = false): Promise<void> {
    const client = this.#client;
    if (!client || this.#state !== 'up')
      return Promise.reject(new LinkError(`${this.clientId} is not connected`, false));
    return new Promise<void>((resolve, reject) => {
      client.publish(topic, payload, { qos, retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  subscribe(topics: string[], qos: 0 | 1 = 0): Promise<void> {
    const client = this.#client;
    if (!client || this.#state !== 'up')
      return Promise.reject(new LinkError(`${this.clientId} is not connected`, false));
    return new Promise<void>((resolve, reject) => {
      client.subscribe(topics, { qos }, (err, granted) => {
        if (err) return reject(err);
        const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
        if (refused.length > 0)
          return reject(new LinkError(`subscription refused for ${refused.join(', ')}`, true));
        resolve();
      });
    });
  }

  onMessage(handler: (topic: string, payload: Buffer, retained: boolean) => void): void {
    this.#client?.on('message', (topic, payload, packet) => handler(topic, payload, packet.retain));
  }

  /** Cuts the connection without DISCONNECT, as a dying radio would: the broker publishes the will. */
  drop(): void {
    const client = this.#client;
    if (!client) return;
    this.#teardown(client);
    client.end(true);
  }

  /** Polite close (DISCONNECT), for service clients whose will must not fire. */
  async close(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#teardown(client);
    await client.endAsync(false).catch(() => undefined);
  }

  #teardown(client: MqttClient): void {
    if (this.#client === client) {
      this.#client = null;
      this.#state = 'down';
    }
    client.removeAllListeners('message');
    // mqtt.js emits 'error' after close in some paths; an unhandled 'error' event would crash the process.
    client.on('error', () => undefined);
    if (!client.disconnecting && !client.connected) client.end(true);
  }
}
