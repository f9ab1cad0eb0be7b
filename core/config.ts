/**
 * Configuration: environment variables, optionally under a JSON config file
 * (CONFIG_FILE), parsed once with zod at start. A bad value stops start-up
 * with one line naming the variable, the problem and an example.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { VARIABLE_GROUPS, VARIABLES, type VariableSpec } from './configVariables.ts';
import { ServiceError } from './errors.ts';

export { VARIABLES } from './configVariables.ts';

type Variables = typeof VARIABLES;
type Parsed<K extends keyof Variables> = z.output<Variables[K]['schema']>;
type Required<K extends keyof Variables> = Variables[K] extends { default: string } ? K : never;

/** The validated configuration: variables with a default are always present. */
export type Config = { [K in keyof Variables as Required<K>]: Parsed<K> } & {
  [K in keyof Variables as Exclude<K, Required<K>>]?: Parsed<K>;
};

/** One line: `NAME='value' problem; example: NAME=example`. Secrets are not echoed. */
export class ConfigError extends ServiceError {
  constructor(
    readonly variable: string,
    problem: string,
    example: string,
    value?: string | null,
  ) {
    const line = `${variable}${shownValue(value)} ${problem}; example: ${variable}=${example}`;
    super('config', line.replace(/[\r\n]+/g, ' '), { variable });
  }
}

/** Control characters are escaped so the error stays one line. */
function shownValue(value: string | null | undefined): string {
  if (value === undefined) return '';
  if (value === null) return '=(hidden)';
  return `='${JSON.stringify(value).slice(1, -1)}'`;
}

/**
 * Parses environment (and optional CONFIG_FILE JSON, which the environment
 * overrides). Throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const fromFile = env.CONFIG_FILE ? readConfigFile(env.CONFIG_FILE) : {};
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(VARIABLES) as [string, VariableSpec][]) {
    // An empty value (`MQTT_PORT=` in an env file) means "not set": the default applies.
    const given = [env[name], fromFile[name]].find((v) => v !== undefined && v !== '');
    const raw = given ?? spec.default;
    if (raw === undefined) continue;
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const problem = result.error.issues[0]?.message ?? 'is invalid';
      throw new ConfigError(name, problem, spec.example, spec.secret ? null : raw);
    }
    out[name] = result.data;
  }
  checkCombinations(out);
  return out as Config;
}

function readConfigFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      'CONFIG_FILE',
      `cannot be read as JSON (${(err as Error).message})`,
      'sealwatch.json',
      path,
    );
  }
  const shape = z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).safeParse(parsed);
  if (!shape.success) {
    throw new ConfigError(
      'CONFIG_FILE',
      'must hold one JSON object of variable names to values',
      'sealwatch.json',
      path,
    );
  }
  for (const name of Object.keys(shape.data)) {
    if (!(name in VARIABLES))
      throw new ConfigError('CONFIG_FILE', `names unknown variable ${name}`, 'sealwatch.json', path);
  }
  return shape.data;
}

/** Variables that only make sense together. */
function checkCombinations(c: Record<string, unknown>): void {
  if (c.MQTT_TLS_PORT !== undefined || c.HTTP_TLS === true) {
    const needs = c.HTTP_TLS === true ? 'HTTP_TLS=true' : 'MQTT_TLS_PORT';
    for (const name of ['TLS_CERT_FILE', 'TLS_KEY_FILE'] as const) {
      if (!c[name]) throw new ConfigError(name, `is required with ${needs}`, VARIABLES[name].example);
    }
  }
  if (c.MQTT_URL !== undefined && c.REDIS_URL !== undefined) {
    throw new ConfigError(
      'REDIS_URL',
      'joins embedded-broker nodes, and with MQTT_URL there is no embedded broker: set one of the two',
      VARIABLES.REDIS_URL.example,
      null,
    );
  }
  if (c.REDIS_URL !== undefined && c.DATABASE_URL === undefined) {
    // Each node would keep its own SQLite and track every armed sensor for silence, so every node
    // would raise offline alerts for the sensors connected to the others.
    throw new ConfigError(
      'DATABASE_URL',
      'is required with REDIS_URL: without one shared PostgreSQL every node judges silence alone and raises offline alerts for sensors connected to the other nodes',
      VARIABLES.DATABASE_URL.example,
    );
  }
  if (c.MQTT_PASSWORD !== undefined && c.MQTT_USERNAME === undefined) {
    throw new ConfigError('MQTT_USERNAME', 'is required with MQTT_PASSWORD', VARIABLES.MQTT_USERNAME.example);
  }
  if (c.BACKUP_DIR !== undefined && c.DATABASE_URL !== undefined) {
    throw new ConfigError(
      'BACKUP_DIR',
      'backs up the SQLite file in DATA_DIR, and with DATABASE_URL the data is in PostgreSQL: back that up with pg_dump and unset BACKUP_DIR',
      VARIABLES.BACKUP_DIR.example,
    );
  }
  if (!c.INFLUX_URL) return;
  if (c.INFLUX_API === 'v2') {
    for (const name of ['INFLUX_ORG', 'INFLUX_BUCKET'] as const) {
      if (!c[name])
        throw new ConfigError(
          name,
          'is required when INFLUX_URL is set with INFLUX_API=v2',
          VARIABLES[name].example,
        );
    }
  } else if (!c.INFLUX_DB) {
    throw new ConfigError(
      'INFLUX_DB',
      'is required when INFLUX_URL is set with INFLUX_API=v1',
      VARIABLES.INFLUX_DB.example,
    );
  }
}

export function configHelp(): string {
  const specs = VARIABLES as Record<string, VariableSpec>;
  // The longest name sets the column, so that every meaning starts in the same place.
  const width = Math.max(...Object.keys(specs).map((name) => name.length));
  const groups = VARIABLE_GROUPS.flatMap(([component, names]) => [
    '',
    `${component}:`,
    ...names.map(
      (name) =>
        `  ${name.padEnd(width)} ${(specs[name]?.default ?? '(unset)').padEnd(16)} ${specs[name]?.help}`,
    ),
  ]);
  return [
    'Usage: npm start            (npm start -- --help prints this)',
    '',
    'SealWatch reads its configuration from environment variables, and from the',
    'JSON file named by CONFIG_FILE (environment wins). Durations: 500ms, 90s, 5m, 2h.',
    '',
    `  ${'VARIABLE'.padEnd(width)} ${'DEFAULT'.padEnd(16)} MEANING`,
    ...groups,
    '',
    'A bad value stops start-up with exit code 2.',
  ].join('\n');
}
