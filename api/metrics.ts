import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry as PromRegistry } from 'prom-client';
import type { ExternalConsumerStats } from '../broker/external/consumer.ts';
import type { EventBus } from '../core/eventBus.ts';
import type { ServiceEvents } from '../core/events.ts';
import type { BackupReport } from './backupReport.ts';
import { type VoiceMetrics, voiceMetrics } from './voiceMetrics.ts';

/** Numbers read at scrape time from the parts that own them. */
export interface MetricSources {
  /**
   * SQLite's write-ahead log; null on PostgreSQL. `checkpoints`: made by a worker thread
   * (storage/sqlite/walCheckpointer.ts); `slowSyncs`: ingest's syncs on the event loop over 5 ms
   * (storage/sqlite/walFlush.ts). Either is null for a database that has no such part.
   */
  sqliteWal?(): {
    checkpoints: { checkpoints: number; longestMs: number } | null;
    slowSyncs: { count: number; slowestMs: number } | null;
  } | null;
  broker(): {
    connected: number;
    connectionsOpened: number;
    /** CONNECTs received whose CONNACK is not sent yet. */
    pendingConnects?: number;
    refused: Record<string, number>;
    closed: Record<string, number>;
    redis?: { up: boolean; connectionLosses: number; forwardFailures: number };
    offlineLookupsSkipped?: number;
  } | null;
  /** Several instances on one PostgreSQL (DATABASE_URL); null with SQLite. */
  instances?(): {
    owner: boolean;
    feedMessagesMirrored: number;
    feedMessagesAlerted: number;
    registryReloads: number;
    listening: boolean;
    sessionsRescued: number;
    messagesRescued: number;
  } | null;
  /** The memory given back after login storms (embedded broker only; app/memory/). */
  memoryRelease?(): { releases: number; lastPauseMs: number; lastHeapReleasedBytes: number } | null;
  /** The external broker consumer (MQTT_URL); null with the embedded broker. */
  externalBroker?(): ExternalConsumerStats | null;
  ingest(): {
    accepted: number;
    duplicates: number;
    commits: number;
    commitFailures: number;
    clamped: number;
  };
  seals(): { total: number; open: number; offline: number; lowBattery: number; armed: number };
  /** Unresolved alerts (open and acknowledged). */
  alerts(): Iterable<{ type: string; status: string }>;
  /** Sensors silenced now (no alerts from them until their silence ends); absent: none. */
  silencedSensors?(): number;
  /** Notification outbox rows by status (read from the database: a scrape waits for it, the process does not). */
  outbox(): Promise<Record<string, number>>;
  /** How long the oldest notification still to be sent has waited, ms; 0 when none waits. */
  outboxOldestWaitingMs(): Promise<number>;
  /** Today's time to acknowledge (local day, as the daily report counts it); absent: left out. */
  timeToAckToday?(): Promise<{ medianMs: number | null; maxMs: number | null }>;
  /** What /readyz answers. */
  ready(): boolean;
  telemetry(): {
    kind: string;
    queued: number;
    spooledBytes: number;
    written: number;
    retried: number;
    refused: number;
    dropped: number;
    movedInTime: number;
  };
  /** The scheduled backups (BACKUP_DIR); without it their metrics are left out, not shown as never run. */
  backup?: BackupReport;
  /** The SMS channel (SMS_URL); null when off (its metrics are left out). */
  sms?(): SmsMetrics | null;
  /** The voice channel (VOICE_URL); null when off. */
  voice?(): VoiceMetrics | null;
}

/**
 * Prometheus metrics. Counters that can tick a million times are fed from
 * the event bus; everything else is sampled from its owner when scraped.
 */
export function createMetrics(bus: EventBus<ServiceEvents>, sources: MetricSources) {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry, prefix: 'sealwatch_process_' });

  // Counted in a plain map and handed to prom-client when scraped: its inc() per message (label
  // hashing, value checks) was a cost of its own in the ingest profile (issue 20.1).
  const acceptedByDialect = new Map<string, number>();
  new Counter({
    name: 'sealwatch_messages_total',
    help: 'Messages accepted into the pipeline, by dialect',
    labelNames: ['dialect'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [dialect, n] of acceptedByDialect) this.inc({ dialect }, n);
    },
  });
  const rejected = new Counter({
    name: 'sealwatch_messages_rejected_total',
    help: 'Messages dropped, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  bus.on('message.accepted', (e) =>
    acceptedByDialect.set(e.dialect, (acceptedByDialect.get(e.dialect) ?? 0) + 1),
  );
  bus.on('message.rejected', (e) => rejected.inc({ reason: e.reason }));
  const platformPushes = new Counter({
    name: 'sealwatch_platform_push_total',
    help: 'Carrier platform HTTP pushes (CTWing, OneNET), by platform and result (accepted, verified, or why refused)',
    labelNames: ['platform', 'result'],
    registers: [registry],
  });
  bus.on('platform.push', (e) => platformPushes.inc({ platform: e.platform, result: e.result }));
  const ignored = new Counter({
    name: 'sealwatch_message_fields_ignored_total',
    help: 'Fields left out of accepted messages because their value was unusable, by dialect and field',
    labelNames: ['dialect', 'field'],
    registers: [registry],
  });
  bus.on('message.fieldIgnored', (e) => ignored.inc({ dialect: e.dialect, field: e.field }));
  // Once per commit group, not per message: a group's first message waited longest.
  const groupBuckets = [
    0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1,
  ];
  const groupWait = new Histogram({
    name: 'sealwatch_ingest_group_wait_seconds',
    help: 'Per ingest commit group: from its first message to the group being durable (its PUBACKs go out then), the longest any of its messages waited inside the service',
    buckets: groupBuckets,
    registers: [registry],
  });
  const groupSync = new Histogram({
    name: 'sealwatch_ingest_group_sync_seconds',
    help: "Per ingest commit group: the part after its transaction (SQLite's WAL sync and waiting for the groups before it to be durable, PostgreSQL's round trip)",
    buckets: groupBuckets,
    registers: [registry],
  });
  bus.on('ingest.committed', (e) => {
    groupWait.observe(e.waitedMs / 1000);
    groupSync.observe(e.syncMs / 1000);
  });

  const sampled = (
    name: string,
    help: string,
    labelNames: string[],
    collect: (g: Gauge) => void | Promise<void>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        await collect(this);
      },
    });

  sampled('sealwatch_mqtt_connections', 'Connected MQTT clients', [], (g) =>
    g.set(sources.broker()?.connected ?? 0),
  );
  sampled('sealwatch_mqtt_connections_opened', 'TCP connections accepted since start', [], (g) =>
    g.set(sources.broker()?.connectionsOpened ?? 0),
  );
  sampled(
    'sealwatch_mqtt_connects_pending',
    'CONNECTs received whose CONNACK is not sent yet (authentication and session set-up under way)',
    [],
    (g) => g.set(sources.broker()?.pendingConnects ?? 0),
  );
  sampled(
    'sealwatch_mqtt_offline_lookups_skipped',
    'QoS 1 and 2 messages for which the broker skipped looking for offline persistent sessions to queue them for (none had subscribed); it stops growing for good at the first such subscription, after which every message pays for the lookup',
    [],
    (g) => {
      const skipped = sources.broker()?.offlineLookupsSkipped;
      if (skipped !== undefined) g.set(skipped);
    },
  );
  sampled('sealwatch_mqtt_refused', 'Refusals by the broker since start, by reason', ['reason'], (g) => {
    for (const [reason, n] of Object.entries(sources.broker()?.refused ?? {})) g.set({ reason }, n);
  });
  sampled('sealwatch_mqtt_disconnects', 'Closed connections since start, by reason', ['reason'], (g) => {
    for (const [reason, n] of Object.entries(sources.broker()?.closed ?? {})) g.set({ reason }, n);
  });
  sampled(
    'sealwatch_memory_release',
    "After a burst of logins the process compacts its heap once: releases since start, the last one's pause (ms) and the V8 heap it gave back (bytes)",
    ['counter'],
    (g) => {
      const m = sources.memoryRelease?.();
      if (!m) return;
      g.set({ counter: 'releases' }, m.releases);
      g.set({ counter: 'last_pause_ms' }, m.lastPauseMs);
      g.set({ counter: 'last_heap_released_bytes' }, m.lastHeapReleasedBytes);
    },
  );
  sampled(
    'sealwatch_redis',
    'Embedded broker nodes sharing Redis (REDIS_URL): up (1 while every connection is ready), connection losses and messages not shared since start',
    ['counter'],
    (g) => {
      const redis = sources.broker()?.redis;
      if (!redis) return;
      g.set({ counter: 'up' }, redis.up ? 1 : 0);
      g.set({ counter: 'connection_losses' }, redis.connectionLosses);
      g.set({ counter: 'forward_failures' }, redis.forwardFailures);
    },
  );
  sampled(
    'sealwatch_external_broker_connected',
    'With MQTT_URL: 1 while connected to the external broker with every shared subscription granted',
    [],
    (g) => {
      const ext = sources.externalBroker?.();
      if (ext) g.set(ext.connected && ext.subscribed ? 1 : 0);
    },
  );
  sampled(
    'sealwatch_external_broker',
    'With MQTT_URL: connects, connection losses, messages received, acknowledged after commit, retained replays skipped, failed commits, PUBACKs waiting',
    ['counter'],
    (g) => {
      const ext = sources.externalBroker?.();
      if (!ext) return;
      const { connected: _c, subscribed: _s, ...counters } = ext;
      for (const [counter, n] of Object.entries(counters)) g.set({ counter }, n);
    },
  );
  sampled(
    'sealwatch_alerting_owner',
    'With DATABASE_URL: 1 on the one instance that runs alerting (sweeps, escalations, outbox), 0 on the others',
    [],
    (g) => {
      const inst = sources.instances?.();
      if (inst) g.set(inst.owner ? 1 : 0);
    },
  );
  sampled(
    'sealwatch_instances',
    'With DATABASE_URL: seal-feed messages mirrored from other instances and handed to alerting, registry reloads, LISTEN connected (1/0), broker sessions of gone instances emptied and their messages',
    ['counter'],
    (g) => {
      const inst = sources.instances?.();
      if (!inst) return;
      g.set({ counter: 'feed_messages_mirrored' }, inst.feedMessagesMirrored);
      g.set({ counter: 'feed_messages_alerted' }, inst.feedMessagesAlerted);
      g.set({ counter: 'registry_reloads' }, inst.registryReloads);
      g.set({ counter: 'listening' }, inst.listening ? 1 : 0);
      g.set({ counter: 'sessions_rescued' }, inst.sessionsRescued);
      g.set({ counter: 'messages_rescued' }, inst.messagesRescued);
    },
  );
  sampled('sealwatch_ingest', 'Ingest pipeline counters since start', ['counter'], (g) => {
    for (const [counter, n] of Object.entries(sources.ingest())) g.set({ counter }, n);
  });
  sampled('sealwatch_seals', 'Seals by state', ['state'], (g) => {
    for (const [state, n] of Object.entries(sources.seals())) g.set({ state }, n);
  });
  sampled(
    'sealwatch_telemetry',
    'Telemetry writer: queued, spooled bytes, written, retried, refused, dropped, moved in time (a later ms: its series already had a point at that ms)',
    ['counter'],
    (g) => {
      const { kind: _, ...numbers } = sources.telemetry();
      for (const [counter, n] of Object.entries(numbers)) g.set({ counter }, n);
    },
  );

  sampled('sealwatch_alerts', 'Unresolved alerts by type and status', ['type', 'status'], (g) => {
    const counts = new Map<string, number>();
    for (const a of sources.alerts())
      counts.set(`${a.type}\u0000${a.status}`, (counts.get(`${a.type}\u0000${a.status}`) ?? 0) + 1);
    for (const [key, n] of counts) {
      const [type, status] = key.split('\u0000') as [string, string];
      g.set({ type, status }, n);
    }
  });
  sampled(
    'sealwatch_silenced_sensors',
    'Sensors silenced now: they raise no alert until their silence ends',
    [],
    (g) => g.set(sources.silencedSensors?.() ?? 0),
  );
  sampled('sealwatch_outbox', 'Notification outbox rows by status', ['status'], async (g) => {
    const counts = await sources.outbox();
    // Reset again: another scrape may have filled the gauge while this one waited for the database.
    g.reset();
    for (const [status, n] of Object.entries(counts)) g.set({ status }, n);
  });
  // Both for deploy/prometheus/sealwatch-rules.yml: a stuck outbox, a service that answers but is not ready.
  sampled(
    'sealwatch_outbox_oldest_waiting_seconds',
    'Age of the oldest notification not delivered yet (pending or being sent), 0 when none waits',
    [],
    async (g) => g.set((await sources.outboxOldestWaitingMs()) / 1000),
  );
  sampled(
    'sealwatch_ready',
    '1 while /readyz answers ready, 0 while starting, stopping or not ready',
    [],
    (g) => g.set(sources.ready() ? 1 : 0),
  );
  const { timeToAckToday } = sources;
  if (timeToAckToday) {
    sampled(
      'sealwatch_time_to_ack_today_seconds',
      "Time to acknowledge of the alerts opened today (TZ_LOCAL's day, as the daily report counts it), by stat: median, max; absent until one was acknowledged",
      ['stat'],
      async (g) => {
        const { medianMs, maxMs } = await timeToAckToday();
        // Reset again: another scrape may have filled the gauge while this one waited for the database.
        g.reset();
        if (medianMs !== null) g.set({ stat: 'median' }, medianMs / 1000);
        if (maxMs !== null) g.set({ stat: 'max' }, maxMs / 1000);
      },
    );
  }
  /** A gauge read at scrape time from a part's figures; absent while the part has none (null). */
  const figure = (name: string, help: string, read: () => number | null | undefined) =>
    sampled(name, help, [], (g) => {
      const value = read();
      if (value !== null && value !== undefined) g.set(value);
    });
  if (sources.sqliteWal) {
    const wal = sources.sqliteWal;
    const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
    figure(
      'sealwatch_sqlite_wal_checkpoints',
      "WAL checkpoints that copied pages into SQLite's database file since start (a worker thread makes them)",
      () => wal()?.checkpoints?.checkpoints,
    );
    figure(
      'sealwatch_sqlite_wal_checkpoint_longest_seconds',
      'The longest of those checkpoints since start (the event loop does not wait for it)',
      () => seconds(wal()?.checkpoints?.longestMs),
    );
    figure(
      'sealwatch_sqlite_wal_syncs_slow_on_loop',
      "Ingest's WAL syncs made on the event loop (under a light load) that took over 5 ms since start: each sends the next second's syncs to the thread pool. Growing means a stalling disk",
      () => wal()?.slowSyncs?.count,
    );
    figure(
      'sealwatch_sqlite_wal_sync_slowest_on_loop_seconds',
      'The slowest of those syncs since start (the event loop waited for it)',
      () => seconds(wal()?.slowSyncs?.slowestMs),
    );
  }
  if (sources.backup) backupMetrics(registry, sources.backup);
  if (sources.sms) smsMetrics(registry, sources.sms);
  if (sources.voice) voiceMetrics(registry, sources.voice);
  const http = new Histogram({
    name: 'sealwatch_http_request_duration_seconds',
    help: 'HTTP request latency by route and status class',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    /**
     * All metrics, or only the named ones (`/metrics?name=a,b`): a poller that needs two gauges
     * need not pay for the O(sensors) and O(open files) ones.
     */
    text: async (names?: readonly string[]) => {
      if (!names) return registry.metrics();
      const known = names.filter((n) => registry.getSingleMetric(n) !== undefined);
      const parts = await Promise.all(known.map((n) => registry.getSingleMetricAsString(n)));
      return parts.map((p) => `${p}\n`).join('');
    },
    contentType: registry.contentType,
    /** Called once per answered request; routes are patterns (/api/seals/:sensorId), never raw URLs. */
    observeHttp: (method: string, route: string, statusCode: number, ms: number) =>
      http.observe({ method, route, status: `${Math.floor(statusCode / 100)}xx` }, ms / 1000),
  };
}

/** The scheduled backups: what an alert on "no backup for a day" and a dashboard need. */
function backupMetrics(registry: PromRegistry, report: BackupReport): void {
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  gauge(
    'sealwatch_backup_last_success_timestamp_seconds',
    'When the last scheduled backup succeeded (Unix time; 0 before the first)',
    () => (report.lastSuccessAt ?? 0) / 1000,
  );
  gauge(
    'sealwatch_backup_last_duration_seconds',
    'How long the last successful scheduled backup took',
    () => (report.lastDurationMs ?? 0) / 1000,
  );
  gauge(
    'sealwatch_backup_last_bytes',
    'Size of the last successful backup file',
    () => report.lastBytes ?? 0,
  );
  new Counter({
    name: 'sealwatch_backup_failures_total',
    help: 'Scheduled backups that failed since start',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(report.failures);
    },
  });
}

/** What the SMS channel counts (alerting/notifiers/sms/smsChannel.ts SmsStats). */
export interface SmsMetrics {
  gateway: string;
  up: boolean;
  sent: number;
  failed: number;
  receipts: Record<string, number>;
  replies: Record<string, number>;
}

/** The SMS channel: session up, messages handed over or not, receipts and replies by result. */
function smsMetrics(registry: PromRegistry, stats: () => SmsMetrics | null): void {
  const counter = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (c: Counter, s: SmsMetrics) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const s = stats();
        if (s) fill(this, s);
      },
    });
  new Gauge({
    name: 'sealwatch_sms_up',
    help: 'SMS gateway reachable: SMPP session bound (1/0); for the clouds, the last call reached the API',
    labelNames: ['gateway'],
    registers: [registry],
    collect() {
      this.reset();
      const s = stats();
      if (s) this.set({ gateway: s.gateway }, s.up ? 1 : 0);
    },
  });
  counter('sealwatch_sms_sent_total', 'SMS deliveries the gateway accepted since start', [], (c, s) =>
    c.inc(s.sent),
  );
  counter(
    'sealwatch_sms_failed_total',
    'SMS delivery attempts the gateway refused or that could not be handed over (retried by the outbox) since start',
    [],
    (c, s) => c.inc(s.failed),
  );
  counter(
    'sealwatch_sms_receipts_total',
    'SMS delivery receipts since start, by what they said (delivered, failed, pending) or unmatched',
    ['result'],
    (c, s) => {
      for (const [result, n] of Object.entries(s.receipts)) c.inc({ result }, n);
    },
  );
  counter(
    'sealwatch_sms_replies_total',
    'SMS replies since start, by result (acknowledged, already_acknowledged, unknown_number, unknown_code, no_code)',
    ['result'],
    (c, s) => {
      for (const [result, n] of Object.entries(s.replies)) c.inc({ result }, n);
    },
  );
}
