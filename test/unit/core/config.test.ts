import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, VARIABLES } from '../../../core/config.ts';
import { VARIABLE_GROUPS } from '../../../core/configVariables.ts';
import { MAX_DURATION_MS } from '../../../core/duration.ts';

const NAMES = Object.keys(VARIABLES) as (keyof typeof VARIABLES)[];
const DEFAULTED = NAMES.filter((n) => 'default' in VARIABLES[n]);

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig: defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c.MQTT_PORT).toBe(1883);
    expect(c.HTTP_PORT).toBe(8080);
    expect(c.DATA_DIR).toBe('./data');
    expect(c.INFLUX_API).toBe('v2');
    expect(c.PUBLIC_URL).toBe('http://localhost:8080');
    expect(c.TZ_LOCAL).toBe('Asia/Shanghai');
    expect(c.LOCALE).toBe('zh-CN');
    expect(c.HEARTBEAT_INTERVAL).toBe(60_000);
    expect(c.MISSED_HEARTBEATS).toBe(3);
    expect(c.ESCALATE_AFTER).toEqual([5 * 60_000, 15 * 60_000, 30 * 60_000]);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.MQTT_URL).toBeUndefined();
    expect(c.INFLUX_URL).toBeUndefined();
  });

  it('parses ports and counts to numbers', () => {
    const c = loadConfig({
      MQTT_PORT: '18830',
      HTTP_PORT: '9090',
      MISSED_HEARTBEATS: '5',
      RETENTION_DAYS: '14',
    });
    expect([c.MQTT_PORT, c.HTTP_PORT, c.MISSED_HEARTBEATS, c.RETENTION_DAYS]).toEqual([18830, 9090, 5, 14]);
  });
});

describe('loadConfig: durations', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
  ])('HEARTBEAT_INTERVAL=%s → %d ms', (text, ms) => {
    expect(loadConfig({ HEARTBEAT_INTERVAL: text }).HEARTBEAT_INTERVAL).toBe(ms);
  });

  it.each(['90', '5 minutes', '5M', '-5m', '0s', '0ms', 'm', '1.5.2h', '0.4ms'])(
    'HEARTBEAT_INTERVAL=%s is refused naming the variable',
    (text) => {
      const err = configError({ HEARTBEAT_INTERVAL: text });
      expect(err.variable).toBe('HEARTBEAT_INTERVAL');
      expect(err.code).toBe('config');
      expect(err.message).toContain('HEARTBEAT_INTERVAL');
      expect(err.message).toContain('example: HEARTBEAT_INTERVAL=60s');
    },
  );

  it('ESCALATE_AFTER accepts an increasing list', () => {
    expect(loadConfig({ ESCALATE_AFTER: '5m,15m,30m' }).ESCALATE_AFTER).toEqual([
      300_000, 900_000, 1_800_000,
    ]);
    expect(loadConfig({ ESCALATE_AFTER: '90s, 2h' }).ESCALATE_AFTER).toEqual([90_000, 7_200_000]);
    expect(loadConfig({ ESCALATE_AFTER: '10m' }).ESCALATE_AFTER).toEqual([600_000]);
  });

  it.each(['15m,5m', '5m,5m', '5m,,15m', '5m,15m,', ',5m', '5m;15m', '5m,0s'])(
    'ESCALATE_AFTER=%s is refused (not a strictly increasing list of durations)',
    (text) => {
      expect(configError({ ESCALATE_AFTER: text }).variable).toBe('ESCALATE_AFTER');
    },
  );
});

describe('loadConfig: single values', () => {
  it.each([
    ['MQTT_PORT', 'abc'],
    ['MQTT_PORT', '70000'],
    ['MQTT_PORT', '-1'],
    ['HTTP_PORT', '80.5'],
    ['MQTT_URL', 'http://broker:1883'],
    ['MQTT_URL', 'not a url'],
    ['INFLUX_URL', 'ftp://influx:8086'],
    ['SMTP_URL', 'http://mail'],
    ['PUBLIC_URL', 'seals.example.org'],
    ['TZ_LOCAL', 'Mars/Olympus_Mons'],
    ['LOCALE', 'fr'],
    ['LOG_LEVEL', 'verbose'],
    ['INFLUX_API', 'v3'],
    ['MISSED_HEARTBEATS', '0'],
    ['MISSED_HEARTBEATS', '2.5'],
    ['RETENTION_DAYS', '-30'],
    ['MQTT_MAX_PACKET_SIZE', '0'],
    ['MQTT_SHARE_GROUP', 'a/b'],
    ['MQTT_SHARE_GROUP', 'g+'],
    ['MQTT_CLIENT_ID', 'two words'],
    ['MQTT_SESSION_EXPIRY', '30d'],
  ])('%s=%s is refused with a ConfigError naming it and an example', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message.startsWith(name)).toBe(true);
    expect(err.message).toContain(`'${value}'`);
    expect(err.message).toContain(`example: ${name}=`);
  });

  it("the line reads NAME='value' problem, without a stray space before the =", () => {
    expect(configError({ MQTT_PORT: 'abc' }).message).toBe(
      "MQTT_PORT='abc' is not a port number; example: MQTT_PORT=1883",
    );
  });

  it('accepts the schemes the spec names', () => {
    const c = loadConfig({
      MQTT_URL: 'mqtts://broker.example:8883',
      SMTP_URL: 'smtps://mail.example:465',
      PUBLIC_URL: 'https://seals.example.org',
      TZ_LOCAL: 'Europe/Berlin',
      LOCALE: 'en',
    });
    expect(c.MQTT_URL).toBe('mqtts://broker.example:8883');
    expect(c.LOCALE).toBe('en');
  });

  it('the external broker: a default share group and session expiry; a password needs a username; not with REDIS_URL', () => {
    const c = loadConfig({ MQTT_URL: 'mqtt://broker:1883', MQTT_USERNAME: 'sw', MQTT_PASSWORD: 'pw' });
    expect(c.MQTT_SHARE_GROUP).toBe('sealwatch');
    expect(c.MQTT_SESSION_EXPIRY).toBe(7 * 86_400_000);
    expect(configError({ MQTT_PASSWORD: 'hunter2' }).variable).toBe('MQTT_USERNAME');
    const both = configError({ MQTT_URL: 'mqtt://broker:1883', REDIS_URL: 'redis://redis:6379' });
    expect(both.variable).toBe('REDIS_URL');
  });

  it("REDIS_URL needs DATABASE_URL: nodes on their own SQLite would raise offline alerts for each other's sensors", () => {
    const alone = configError({ REDIS_URL: 'redis://redis:6379' });
    expect(alone.variable).toBe('DATABASE_URL');
    expect(alone.message).toContain('REDIS_URL');
    expect(alone.message).toMatch(/offline alerts for sensors connected to the other nodes/);
    expect(
      loadConfig({ REDIS_URL: 'redis://redis:6379', DATABASE_URL: 'postgres://sw@db/sealwatch' }).REDIS_URL,
    ).toBe('redis://redis:6379');
  });

  it('several instances: DATABASE_URL is a postgres URL that never appears in the error; INSTANCE_URL is http(s)', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://sw:s3cret@db:5432/sealwatch',
      INSTANCE_URL: 'http://sealwatch-1:8080',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(c.DATABASE_URL).toBe('postgres://sw:s3cret@db:5432/sealwatch');
    const bad = configError({ DATABASE_URL: 'mysql://sw:s3cret@db/sealwatch' });
    expect(bad.variable).toBe('DATABASE_URL');
    expect(bad.message).toMatch(/postgres/);
    expect(bad.message).not.toContain('s3cret');
    expect(configError({ INSTANCE_URL: 'sealwatch-1:8080' }).variable).toBe('INSTANCE_URL');
  });

  it.each(['every morning', '0 25 * * *', '61 8 * * *', '0 8 * * * * *'])(
    'DAILY_REPORT_CRON=%s is refused at start-up, not when the schedule is created',
    (text) => {
      expect(configError({ DAILY_REPORT_CRON: text }).variable).toBe('DAILY_REPORT_CRON');
    },
  );

  it('DAILY_REPORT_CRON accepts cron expressions', () => {
    expect(loadConfig({ DAILY_REPORT_CRON: '30 7 * * 1-5' }).DAILY_REPORT_CRON).toBe('30 7 * * 1-5');
  });

  it('a blank port is refused, not read as port 0 (an ephemeral port)', () => {
    // Number(' ') is 0: z.coerce turns a blank value into a valid port.
    expect(configError({ MQTT_PORT: ' ' }).variable).toBe('MQTT_PORT');
    expect(configError({ HTTP_PORT: '\t' }).variable).toBe('HTTP_PORT');
  });

  it('a variable set to the empty string keeps its default (or is refused), never goes missing', () => {
    // An empty value (`MQTT_PORT=` in an env file) must not leave a key the Config type promises undefined.
    const defaults = loadConfig({}) as Record<string, unknown>;
    const missing = DEFAULTED.filter((name) => {
      try {
        const value = (loadConfig({ [name]: '' }) as Record<string, unknown>)[name];
        return JSON.stringify(value) !== JSON.stringify(defaults[name]);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return false;
      }
    });
    expect(missing).toEqual([]);
  });
});

describe('loadConfig: combinations', () => {
  it('INFLUX_URL with v2 (the default) needs INFLUX_ORG, then INFLUX_BUCKET', () => {
    expect(configError({ INFLUX_URL: 'http://influx:8086', INFLUX_BUCKET: 'seals' }).variable).toBe(
      'INFLUX_ORG',
    );
    expect(configError({ INFLUX_URL: 'http://influx:8086', INFLUX_ORG: 'sw' }).variable).toBe(
      'INFLUX_BUCKET',
    );
    const c = loadConfig({
      INFLUX_URL: 'http://influx:8086',
      INFLUX_ORG: 'sw',
      INFLUX_BUCKET: 'seals',
      INFLUX_TOKEN: 't',
    });
    expect(c.INFLUX_BUCKET).toBe('seals');
  });

  it('INFLUX_URL with v1 needs INFLUX_DB and not ORG/BUCKET', () => {
    expect(configError({ INFLUX_URL: 'http://influx:8086', INFLUX_API: 'v1' }).variable).toBe('INFLUX_DB');
    const c = loadConfig({ INFLUX_URL: 'http://influx:8086', INFLUX_API: 'v1', INFLUX_DB: 'seals' });
    expect(c.INFLUX_API).toBe('v1');
    expect(c.INFLUX_DB).toBe('seals');
  });

  it('ORG/BUCKET without INFLUX_URL are not required together', () => {
    expect(loadConfig({ INFLUX_ORG: 'sw' }).INFLUX_ORG).toBe('sw');
  });
});

describe('loadConfig: properties', () => {
  const anyValue = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '',
      ' ',
      '0',
      '-1',
      '1e3',
      'NaN',
      'Infinity',
      '5m',
      '0ms',
      'v1',
      'en',
      'http://x',
      '5m,1m',
    ),
    fc.nat().map(String),
  );
  const anyEnv = fc.dictionary(fc.constantFrom(...NAMES), anyValue, { maxKeys: NAMES.length });

  it('never throws anything but a ConfigError naming a known variable', () => {
    fc.assert(
      fc.property(anyEnv, (env) => {
        try {
          loadConfig(env);
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          const variable = (err as ConfigError).variable;
          expect(NAMES as string[]).toContain(variable);
          expect((err as ConfigError).message.startsWith(variable)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a ConfigError is one line, whatever the value holds (the spec asks for one clear line)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), fc.string({ maxLength: 20 }), (name, value) => {
        try {
          loadConfig({ [name]: `${value}\nINJECTED` });
        } catch (err) {
          expect((err as Error).message).not.toMatch(/[\r\n]/);
        }
      }),
    );
  });

  const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  const validDuration = fc
    .tuple(
      fc.integer({ min: 1, max: 100_000 }),
      fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])),
    )
    .map(([n, unit]) => ({ text: `${n}${unit}`, ms: n * UNITS[unit] }))
    // Durations are capped at a week (timers cannot wait longer than 2^31-1 ms).
    .filter(({ ms }) => ms <= MAX_DURATION_MS);

  it('accepts any generated valid duration', () => {
    fc.assert(
      fc.property(validDuration, ({ text, ms }) => {
        expect(loadConfig({ HEARTBEAT_INTERVAL: text }).HEARTBEAT_INTERVAL).toBe(ms);
      }),
    );
  });

  it('accepts any generated strictly increasing ESCALATE_AFTER list', () => {
    fc.assert(
      fc.property(fc.array(validDuration, { minLength: 1, maxLength: 6 }), (steps) => {
        const sorted = [...new Map(steps.map((s) => [s.ms, s])).values()].sort((a, b) => a.ms - b.ms);
        const text = sorted.map((s) => s.text).join(',');
        expect(loadConfig({ ESCALATE_AFTER: text }).ESCALATE_AFTER).toEqual(sorted.map((s) => s.ms));
      }),
    );
  });
});

describe('configuration groups', () => {
  it('every variable is listed in exactly one component group of --help', () => {
    const grouped = VARIABLE_GROUPS.flatMap(([, names]) => names);
    expect([...grouped].sort()).toEqual(Object.keys(VARIABLES).sort());
    expect(new Set(grouped).size).toBe(grouped.length);
  });
});
