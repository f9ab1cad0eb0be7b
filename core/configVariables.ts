/**
 * Every configuration variable: its schema, default, example and help line (what `--help` prints). The names
 * are the SPEC's fixed points; core/config.ts loads and checks them, app/configSections.ts groups them per
 * component.
 */
import { accessSync, constants } from 'node:fs';
import cron from 'node-cron';
import { z } from 'zod';
import { channelPlanSchema } from './channelPlan.ts';
import { parseDuration } from './duration.ts';
import { parseSmsUrl } from './smsUrl.ts';
import { parseVoiceUrl } from './voiceUrl.ts';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: 'is not a duration like 500ms, 90s, 5m or 2h' });
    return z.NEVER;
  }
  return ms;
});

const durationList = z.string().transform((text, ctx) => {
  const steps = text.split(',').map((part) => parseDuration(part));
  if (steps.length === 0 || steps.some((ms) => ms === null || ms <= 0)) {
    ctx.addIssue({ code: 'custom', message: 'is not a comma-separated list of durations like 5m,15m,30m' });
    return z.NEVER;
  }
  const list = steps as number[];
  if (list.some((ms, i) => i > 0 && ms <= (list[i - 1] as number))) {
    ctx.addIssue({
      code: 'custom',
      message: 'must list increasing durations (each step counts from the alert)',
    });
    return z.NEVER;
  }
  return list;
});

/** A duration that may be zero (`0s`: off). */
const durationOrZero = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'is not a duration like 0s, 500ms, 90s or 5m' });
    return z.NEVER;
  }
  return ms;
});

/** A number within bounds, written plainly (`0.5`, `20`). */
const numberIn = (what: string, ok: (n: number) => boolean) =>
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*$/, `is not ${what}`)
    .transform(Number)
    .refine(ok, { message: `is not ${what}` });

const port = z
  .string()
  .regex(/^\s*\d+\s*$/, 'is not a port number')
  .transform(Number)
  .pipe(z.number().max(65535, 'is not a port number (0–65535)'));

const url = (protocols: string[]) =>
  z.string().refine(
    (text) => {
      try {
        return protocols.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    { message: `is not a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}` },
  );

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not an IANA time zone' },
);

const readableFile = z.string().refine(
  (path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a readable file' },
);

const flag = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');

/** A whole number written in digits, at least `min`. */
const wholeNumber = (what: string, min = 0) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, `is not ${what}`)
    .transform(Number)
    .pipe(z.number().min(min, `is not ${what}`));

const positiveInt = (what: string) => wholeNumber(what, 1);

export interface VariableSpec {
  schema: z.ZodType;
  default?: string;
  example: string;
  help: string;
  secret?: boolean;
}

/** Every variable the service reads. `--help` prints this table. */
export const VARIABLES = {
  MQTT_PORT: { schema: port, default: '1883', example: '1883', help: 'embedded broker TCP port' },
  MQTT_HOST: {
    schema: z.string().min(1),
    default: '0.0.0.0',
    example: '127.0.0.1',
    help: 'embedded broker bind address',
  },
  MQTT_URL: {
    schema: url(['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
    example: 'mqtt://broker.example:1883',
    help: 'use an external broker instead of the embedded one (see broker/EXTERNAL.md)',
  },
  MQTT_SHARE_GROUP: {
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a share group name (1–64 of A–Z a–z 0–9 _ -)'),
    default: 'sealwatch',
    example: 'sealwatch',
    help: 'with MQTT_URL: shared-subscription group; instances in one group split the messages',
  },
  MQTT_USERNAME: {
    schema: z.string().min(1),
    example: 'sealwatch',
    help: "with MQTT_URL: the service's own login at the external broker",
  },
  MQTT_PASSWORD: {
    schema: z.string().min(1),
    example: 'a-long-random-password',
    help: 'with MQTT_URL: password of MQTT_USERNAME',
    secret: true,
  },
  MQTT_CLIENT_ID: {
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a client id (1–64 of A–Z a–z 0–9 _ -)'),
    example: 'sealwatch-node-1',
    help: 'with MQTT_URL: persistent-session client id, one per instance (default: generated once into DATA_DIR)',
  },
  MQTT_SESSION_EXPIRY: {
    schema: duration,
    default: '7d',
    example: '7d',
    help: 'with MQTT_URL: how long the broker keeps queuing for this instance while it is down',
  },
  MQTT_MAX_PACKET_SIZE: {
    schema: positiveInt('a size in bytes'),
    default: '4096',
    example: '4096',
    help: 'largest MQTT packet a sensor or gateway may send (bytes)',
  },
  MEMORY_RELEASE_AFTER_LOGINS: {
    schema: wholeNumber('a number of logins'),
    default: '1000',
    example: '1000',
    help: 'after a burst of at least this many MQTT logins, compact the heap once to give its memory back (a pause of 14–23 ms per 1,000 seals connected, measured); 0: never',
  },
  MQTT_TLS_PORT: {
    schema: port,
    example: '8883',
    help: 'also listen for MQTT over TLS on this port (needs TLS_CERT_FILE, TLS_KEY_FILE)',
  },
  MQTT_WS_PORT: {
    schema: port,
    example: '8083',
    help: 'also listen for MQTT over WebSocket (path /mqtt) on this port',
  },
  REDIS_URL: {
    schema: url(['redis:', 'rediss:']),
    example: 'redis://redis:6379',
    help: 'several embedded-broker nodes: share MQTT sessions, retained messages and forwarding through this Redis (needs DATABASE_URL)',
    secret: true,
  },
  DATABASE_URL: {
    schema: url(['postgres:', 'postgresql:']),
    example: 'postgres://sealwatch:secret@db:5432/sealwatch',
    help: 'several instances: registry, seal state, alerts and outbox in this PostgreSQL instead of DATA_DIR/sealwatch.db (see README, Beyond one machine)',
    secret: true,
  },
  INSTANCE_URL: {
    schema: url(['http:', 'https:']),
    example: 'http://sealwatch-1:8080',
    help: "with DATABASE_URL: where the other instances reach this one's API (default http://<HTTP_HOST, or the host name when bound to all>:<HTTP_PORT>)",
  },
  TLS_CERT_FILE: {
    schema: readableFile,
    example: '/etc/sealwatch/cert.pem',
    help: 'PEM certificate (chain) for TLS listeners',
  },
  TLS_KEY_FILE: {
    schema: readableFile,
    example: '/etc/sealwatch/key.pem',
    help: 'PEM private key for TLS listeners',
  },
  HTTP_TLS: {
    schema: flag,
    default: 'false',
    example: 'true',
    help: 'serve HTTPS (API, page) with TLS_CERT_FILE and TLS_KEY_FILE',
  },
  API_VERIFY_RESPONSES: {
    schema: flag,
    default: 'false',
    example: 'true',
    help: 'check every JSON answer against its schema before sending (the test suite turns it on; costs a second serialization)',
  },
  SESSION_IDLE: {
    schema: duration,
    default: '12h',
    example: '30m',
    help: "a person's sign-in ends after this long without a request",
  },
  SESSION_MAX: {
    schema: duration,
    default: '7d',
    example: '24h',
    help: "a person's sign-in ends this long after it began, however busy",
  },
  HTTP_PORT: { schema: port, default: '8080', example: '8080', help: 'API, dashboard and metrics port' },
  HTTP_HOST: {
    schema: z.string().min(1),
    default: '0.0.0.0',
    example: '127.0.0.1',
    help: 'HTTP bind address',
  },
  DATA_DIR: {
    schema: z.string().min(1),
    default: './data',
    example: '/var/lib/sealwatch',
    help: 'SQLite database, spool, generated secrets',
  },
  INFLUX_URL: {
    schema: url(['http:', 'https:']),
    example: 'http://localhost:8086',
    help: 'InfluxDB base URL',
  },
  INFLUX_TOKEN: {
    schema: z.string().min(1),
    example: 'my-token',
    help: 'InfluxDB 2.x/3.x token',
    secret: true,
  },
  INFLUX_ORG: { schema: z.string().min(1), example: 'sealwatch', help: 'InfluxDB 2.x organisation' },
  INFLUX_BUCKET: { schema: z.string().min(1), example: 'seals', help: 'InfluxDB 2.x bucket' },
  INFLUX_API: {
    schema: z.enum(['v1', 'v2'], { message: 'must be v1 or v2' }),
    default: 'v2',
    example: 'v1',
    help: 'v2 write API, or v1 for InfluxDB 1.x',
  },
  INFLUX_DB: { schema: z.string().min(1), example: 'seals', help: 'InfluxDB 1.x database' },
  INFLUX_RP: { schema: z.string().min(1), example: 'autogen', help: 'InfluxDB 1.x retention policy' },
  INFLUX_USERNAME: { schema: z.string().min(1), example: 'sealwatch', help: 'InfluxDB 1.x user' },
  INFLUX_PASSWORD: {
    schema: z.string().min(1),
    example: 'secret',
    help: 'InfluxDB 1.x password',
    secret: true,
  },
  SMTP_URL: { schema: url(['smtp:', 'smtps:']), example: 'smtp://mail.example:587', help: 'e-mail channel' },
  SMS_URL: {
    schema: z.string().superRefine((text, ctx) => {
      try {
        parseSmsUrl(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
    example: 'smpp://system_id:password@smsc.example:2775',
    help: 'SMS channel: smpp://system_id:password@host:port, aliyun-sms://AccessKeyId:AccessKeySecret@dysmsapi.aliyuncs.com?sign=…&template=… or tencent-sms://SecretId:SecretKey@sms.tencentcloudapi.com?appId=…&sign=…&template=… (README, SMS)',
    secret: true,
  },
  VOICE_URL: {
    schema: z.string().superRefine((text, ctx) => {
      try {
        parseVoiceUrl(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
    example: 'aliyun-voice://AccessKeyId:AccessKeySecret@dyvmsapi.aliyuncs.com?template=TTS_123456789',
    help: 'voice call channel: aliyun-voice://AccessKeyId:AccessKeySecret@dyvmsapi.aliyuncs.com?template=…&calledShowNumber=… or tencent-voice://SecretId:SecretKey@vms.tencentcloudapi.com?appId=…&template=… (README, Voice calls)',
    secret: true,
  },
  CHANNEL_PLAN: {
    schema: z.string().transform((text, ctx) => {
      const r = channelPlanSchema.safeParse(text);
      if (!r.success) {
        const i = r.error.issues[0];
        ctx.addIssue({
          code: 'custom',
          message: `is not a channel plan: ${i?.path.length ? `${i.path.join('.')}: ` : ''}${i?.message ?? 'invalid'}`,
        });
        return z.NEVER;
      }
      return r.data;
    }),
    example:
      '{"critical":[{"after":"0s","channels":["webhook","sms"]},{"after":"2m","channels":["voice"],"ifUnacknowledged":true}]}',
    help: 'root policy: which channels when, per severity, as JSON (README, Channel plan); default: all at once, voice at +2m for unacknowledged critical alerts',
  },
  MAIL_FROM: {
    schema: z.string().min(3),
    example: 'SealWatch <alerts@example.org>',
    help: 'sender of e-mails',
  },
  PUBLIC_URL: {
    schema: url(['http:', 'https:']),
    default: 'http://localhost:8080',
    example: 'https://seals.example.org',
    help: 'base of links in notifications',
  },
  TZ_LOCAL: {
    schema: timeZone,
    default: 'Asia/Shanghai',
    example: 'Asia/Shanghai',
    help: 'time zone for windows, reports and messages',
  },
  LOCALE: {
    schema: z.enum(['zh-CN', 'en'], { message: 'must be zh-CN or en' }),
    default: 'zh-CN',
    example: 'en',
    help: 'language of messages and the page',
  },
  HEARTBEAT_INTERVAL: {
    schema: duration,
    default: '60s',
    example: '60s',
    help: 'expected heartbeat interval',
  },
  MISSED_HEARTBEATS: {
    schema: positiveInt('a whole number ≥ 1'),
    default: '3',
    example: '3',
    help: 'missed heartbeats before a seal is offline',
  },
  ESCALATE_AFTER: {
    schema: durationList,
    default: '5m,15m,30m',
    example: '5m,15m,30m',
    help: 'unacknowledged time before each step up the grid',
  },
  BREACH_GRACE: {
    schema: durationOrZero.refine((ms) => ms <= 3_600_000, { message: 'is longer than 1h' }),
    default: '0s',
    example: '30s',
    help: 'root policy: an open while armed waits this long before the breach is raised (0s: at once)',
  },
  OPENS_PER_DAY: {
    schema: numberIn('a whole number 0–1000', (n) => Number.isInteger(n) && n <= 1000),
    default: '5',
    example: '5',
    help: 'root policy: opens per local day per household before an openCount alert',
  },
  ANNOUNCE_SPAN: {
    schema: duration.refine((ms) => ms <= 86_400_000, { message: 'is longer than 24h' }),
    default: '10m',
    example: '10m',
    help: 'root policy: how long an announced opening lasts',
  },
  DOOR_OPEN_LIMIT: {
    schema: duration.refine((ms) => ms <= 43_200_000, { message: 'is longer than 12h' }),
    default: '10m',
    example: '10m',
    help: 'root policy: a door still open this long after its announced opening or window ended raises doorLeftOpen',
  },
  LOW_BATTERY_PERCENT: {
    schema: numberIn('a percent above 0 and below 50', (n) => n > 0 && n < 50),
    default: '20',
    example: '20',
    help: 'root policy: battery below this percent raises a low-battery alert',
  },
  OUTAGE_MIN_SILENT: {
    schema: positiveInt('a whole number ≥ 1'),
    default: '5',
    example: '5',
    help: 'root policy: an outage needs at least this many silent sensors under one node',
  },
  OUTAGE_FRACTION: {
    schema: numberIn('a fraction in (0, 1]', (n) => n > 0 && n <= 1),
    default: '0.5',
    example: '0.5',
    help: "root policy: …and at least this fraction of the node's monitored sensors silent",
  },
  RETENTION_DAYS: {
    schema: positiveInt('a whole number of days'),
    default: '30',
    example: '30',
    help: 'days after a quarantine ends before personal data is purged',
  },
  DAILY_REPORT_CRON: {
    schema: z
      .string()
      .refine((text) => cron.validate(text), { message: 'is not a cron expression like 0 8 * * *' }),
    default: '0 8 * * *',
    example: '0 8 * * *',
    help: 'cron schedule of the daily report (in TZ_LOCAL)',
  },
  BACKUP_DIR: {
    schema: z.string().min(1),
    example: '/var/backups/sealwatch',
    help: 'scheduled backups of DATA_DIR go here (SQLite only; README, Backup and restore); unset: none',
  },
  BACKUP_CRON: {
    schema: z
      .string()
      .refine((text) => cron.validate(text), { message: 'is not a cron expression like 45 3 * * *' }),
    // After the retention purge at 03:30: a backup never carries data already past retention.
    default: '45 3 * * *',
    example: '45 3 * * *',
    help: 'with BACKUP_DIR: cron schedule of the backups (in TZ_LOCAL)',
  },
  BACKUP_KEEP: {
    schema: positiveInt('a whole number of backups'),
    default: '7',
    example: '7',
    help: 'with BACKUP_DIR: how many backups to keep; the oldest are deleted after a new one succeeds',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
    default: 'info',
    example: 'info',
    help: 'pino log level',
  },
} satisfies Record<string, VariableSpec>;

/** The variables per component, as `--help` lists them and app/configSections.ts hands them out. */
export const VARIABLE_GROUPS: readonly (readonly [string, readonly (keyof typeof VARIABLES)[]])[] = [
  ['storage', ['DATA_DIR', 'DATABASE_URL']],
  [
    'broker (embedded)',
    [
      'MQTT_PORT',
      'MQTT_HOST',
      'MQTT_MAX_PACKET_SIZE',
      'MQTT_TLS_PORT',
      'MQTT_WS_PORT',
      'MEMORY_RELEASE_AFTER_LOGINS',
    ],
  ],
  [
    'broker (external, instead of the embedded one)',
    [
      'MQTT_URL',
      'MQTT_SHARE_GROUP',
      'MQTT_USERNAME',
      'MQTT_PASSWORD',
      'MQTT_CLIENT_ID',
      'MQTT_SESSION_EXPIRY',
    ],
  ],
  ['cluster (several instances or broker nodes)', ['REDIS_URL', 'INSTANCE_URL']],
  ['TLS (MQTT and HTTPS)', ['TLS_CERT_FILE', 'TLS_KEY_FILE']],
  [
    'API and page',
    ['HTTP_PORT', 'HTTP_HOST', 'HTTP_TLS', 'API_VERIFY_RESPONSES', 'SESSION_IDLE', 'SESSION_MAX'],
  ],
  [
    'telemetry',
    [
      'INFLUX_URL',
      'INFLUX_API',
      'INFLUX_TOKEN',
      'INFLUX_ORG',
      'INFLUX_BUCKET',
      'INFLUX_DB',
      'INFLUX_RP',
      'INFLUX_USERNAME',
      'INFLUX_PASSWORD',
    ],
  ],
  [
    'alerting',
    [
      'HEARTBEAT_INTERVAL',
      'MISSED_HEARTBEATS',
      'ESCALATE_AFTER',
      'BREACH_GRACE',
      'OPENS_PER_DAY',
      'ANNOUNCE_SPAN',
      'DOOR_OPEN_LIMIT',
      'LOW_BATTERY_PERCENT',
      'OUTAGE_MIN_SILENT',
      'OUTAGE_FRACTION',
      'SMTP_URL',
      'MAIL_FROM',
      'SMS_URL',
      'VOICE_URL',
      'CHANNEL_PLAN',
      'PUBLIC_URL',
      'TZ_LOCAL',
      'LOCALE',
      'DAILY_REPORT_CRON',
    ],
  ],
  ['retention', ['RETENTION_DAYS']],
  ['backups', ['BACKUP_DIR', 'BACKUP_CRON', 'BACKUP_KEEP']],
  ['logging', ['LOG_LEVEL']],
];
