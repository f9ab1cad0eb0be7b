/**
 * The configuration grouped per component. The environment stays flat (its names are the SPEC's fixed points,
 * core/config.ts parses and checks them); each component receives only its own section.
 */
import { join } from 'node:path';
import type { AlertingSettings } from '../alerting/engine/createAlerting.ts';
import type { SessionSettings } from '../api/sessionCookie.ts';
import { BUILT_IN_CHANNEL_PLAN, type ChannelPlan } from '../core/channelPlan.ts';
import type { Config } from '../core/config.ts';
import type { TelemetryOptions } from '../ingest/telemetry/createTelemetrySink.ts';
import type { PolicyValues } from '../registry/policy/policyFields.ts';
import type { GenericHeartbeat } from '../registry/sensorModels.ts';

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface ConfigSections {
  /** `policyDefaults`: the root's policy (issue 16.4), from the environment, for the registry's answers. */
  storage: {
    dataDir: string;
    databaseUrl: string | undefined;
    /** HEARTBEAT_INTERVAL × MISSED_HEARTBEATS: the `generic` sensor model follows them. */
    genericHeartbeat: GenericHeartbeat;
    policyDefaults: PolicyValues;
  };
  telemetry: TelemetryOptions;
  /** Everything alerting needs but the acknowledge-link key, which storage provides. */
  alerting: Omit<AlertingSettings, 'ackKey'> & { dataDir: string };
  api: {
    port: number;
    host: string;
    /** Certificate and key when the API speaks HTTPS. */
    tls: TlsFiles | null;
    dataDir: string;
    /** Check every JSON answer against its schema (tests). */
    verifyResponses: boolean;
    /** What EMQX's HTTP hooks (/api/broker/*) are told of the SealWatch login and its share group. */
    brokerHooks: { consumer: { username: string; password: string | undefined } | null; shareGroup: string };
    /** People's sign-in: how long sessions last, and where the page is served from. */
    sessions: SessionSettings;
  };
  cluster: { instanceUrl: string | undefined; httpHost: string; https: boolean };
  retention: { days: number; tz: string };
  /** Scheduled backups of DATA_DIR into `dir` (none when unset). */
  backup: { dir: string | undefined; cron: string; keep: number; dataDir: string; tz: string };
  /** The embedded broker, or the external one whose shared subscriptions ingest consumes (MQTT_URL). */
  ingress: {
    dataDir: string;
    embedded: {
      port: number;
      host: string;
      maxPacketSize: number;
      tls: ({ port: number } & TlsFiles) | null;
      wsPort: number | undefined;
      redisUrl: string | undefined;
      /** Compact the heap after a burst of at least this many logins; 0: never. */
      memoryReleaseAfterLogins: number;
    };
    external: ExternalBrokerSection | null;
  };
}

export interface ExternalBrokerSection {
  url: string;
  username: string | undefined;
  password: string | undefined;
  clientId: string | undefined;
  shareGroup: string;
  sessionExpiryMs: number;
}

/** `tlsFiles`: the certificate and key read once (MQTT TLS and HTTPS share them). */
export function configSections(config: Config, tlsFiles: TlsFiles | null): ConfigSections {
  const dataDir = config.DATA_DIR;
  return {
    storage: {
      dataDir,
      databaseUrl: config.DATABASE_URL,
      genericHeartbeat: {
        heartbeatIntervalMs: config.HEARTBEAT_INTERVAL,
        missedHeartbeats: config.MISSED_HEARTBEATS,
      },
      policyDefaults: rootPolicy(config),
    },
    telemetry: {
      url: config.INFLUX_URL,
      api: config.INFLUX_API,
      token: config.INFLUX_TOKEN,
      org: config.INFLUX_ORG,
      bucket: config.INFLUX_BUCKET,
      db: config.INFLUX_DB,
      rp: config.INFLUX_RP,
      username: config.INFLUX_USERNAME,
      password: config.INFLUX_PASSWORD,
      spoolDir: join(dataDir, 'telemetry-spool'),
    },
    alerting: {
      dataDir,
      smtpUrl: config.SMTP_URL,
      mailFrom: config.MAIL_FROM,
      smsUrl: config.SMS_URL,
      voiceUrl: config.VOICE_URL,
      channelPlan: rootChannelPlan(config),
      publicUrl: config.PUBLIC_URL,
      tz: config.TZ_LOCAL,
      locale: config.LOCALE,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL,
      missedBeats: config.MISSED_HEARTBEATS,
      escalateAfter: config.ESCALATE_AFTER,
      // The same root policy in the rules' terms; nodes' policies are laid over it per node.
      policy: {
        graceSeconds: config.BREACH_GRACE / 1000,
        maxOpensPerDay: config.OPENS_PER_DAY,
        announceMinutes: config.ANNOUNCE_SPAN / 60_000,
        doorOpenLimitMs: config.DOOR_OPEN_LIMIT,
        lowBatteryPct: config.LOW_BATTERY_PERCENT,
        outageMinSensors: config.OUTAGE_MIN_SILENT,
        outageMinFraction: config.OUTAGE_FRACTION,
      },
      dailyReportCron: config.DAILY_REPORT_CRON,
    },
    api: {
      port: config.HTTP_PORT,
      host: config.HTTP_HOST,
      tls: config.HTTP_TLS ? tlsFiles : null,
      dataDir,
      verifyResponses: config.API_VERIFY_RESPONSES,
      brokerHooks: {
        consumer:
          config.MQTT_USERNAME === undefined
            ? null
            : { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD },
        shareGroup: config.MQTT_SHARE_GROUP,
      },
      sessions: {
        idleMs: config.SESSION_IDLE,
        maxMs: config.SESSION_MAX,
        publicOrigin: new URL(config.PUBLIC_URL).origin,
        secureCookie: config.HTTP_TLS || new URL(config.PUBLIC_URL).protocol === 'https:',
      },
    },
    cluster: { instanceUrl: config.INSTANCE_URL, httpHost: config.HTTP_HOST, https: config.HTTP_TLS },
    retention: { days: config.RETENTION_DAYS, tz: config.TZ_LOCAL },
    backup: {
      dir: config.BACKUP_DIR,
      cron: config.BACKUP_CRON,
      keep: config.BACKUP_KEEP,
      dataDir,
      tz: config.TZ_LOCAL,
    },
    ingress: {
      dataDir,
      embedded: {
        port: config.MQTT_PORT,
        host: config.MQTT_HOST,
        maxPacketSize: config.MQTT_MAX_PACKET_SIZE,
        tls:
          config.MQTT_TLS_PORT !== undefined && tlsFiles ? { port: config.MQTT_TLS_PORT, ...tlsFiles } : null,
        wsPort: config.MQTT_WS_PORT,
        redisUrl: config.REDIS_URL,
        memoryReleaseAfterLogins: config.MEMORY_RELEASE_AFTER_LOGINS,
      },
      external:
        config.MQTT_URL === undefined
          ? null
          : {
              url: config.MQTT_URL,
              username: config.MQTT_USERNAME,
              password: config.MQTT_PASSWORD,
              clientId: config.MQTT_CLIENT_ID,
              shareGroup: config.MQTT_SHARE_GROUP,
              sessionExpiryMs: config.MQTT_SESSION_EXPIRY,
            },
    },
  };
}

/** The root of every grid policy: the environment's values (README "Policy per grid node"). */
function rootPolicy(config: Config): PolicyValues {
  return {
    breachGrace: config.BREACH_GRACE,
    opensPerDay: config.OPENS_PER_DAY,
    announceSpan: config.ANNOUNCE_SPAN,
    doorOpenLimit: config.DOOR_OPEN_LIMIT,
    escalateAfter: config.ESCALATE_AFTER,
    lowBatteryPercent: config.LOW_BATTERY_PERCENT,
    outageMinSilent: config.OUTAGE_MIN_SILENT,
    outageFraction: config.OUTAGE_FRACTION,
    channelPlan: rootChannelPlan(config),
  };
}

/** CHANNEL_PLAN over the built-in plan: a severity it does not list keeps the built-in steps. */
function rootChannelPlan(config: Config): Required<ChannelPlan> {
  return { ...BUILT_IN_CHANNEL_PLAN, ...config.CHANNEL_PLAN };
}
