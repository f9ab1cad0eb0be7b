import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SENSOR_ID_PATTERN } from '../../contract/topics.ts';
import { parseDurationExpression } from '../cli/duration.ts';
import { UsageError } from '../cli/usageError.ts';

/**
 * The scenario file format (YAML or JSON): sensors, a timeline of steps at offsets from the start, and
 * expectations checked against the service's API. Every mistake is reported with where it is in the file.
 */
export class ScenarioFileError extends UsageError {
  override readonly name = 'ScenarioFileError';
}

export const ALERT_TYPES = [
  'breach',
  'offline',
  'tamper',
  'lowBattery',
  'outage',
  'openCount',
  'doorLeftOpen',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

const NAME = /^[A-Za-z0-9_-]{1,24}$/;
const name = z.string().regex(NAME, 'names are 1–24 letters, digits, "_" or "-"');

/** Durations after variable substitution; negative offsets are allowed only where said. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : parseDurationExpression(value);
  if (ms === null || ms < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a duration like 500ms, 90s, 5m or "3 * 10s + 5s"`,
    });
    return z.NEVER;
  }
  return ms;
});

/** One sensor name, a list of names, or `all`. */
const targets = z.union([z.literal('all'), name.transform((n) => [n]), z.array(name).min(1)]);

const sensorSchema = z.strictObject({
  name,
  node: name.optional(),
  quarantined: z.boolean().default(true),
  model: z.string().min(1).optional(),
  /** An existing sensor (credentials from --credentials); omit to provision through the API. */
  id: z.string().regex(SENSOR_ID_PATTERN, 'sensor ids must match ^[A-Za-z0-9_-]{1,64}$').optional(),
});

const windowSchema = z
  .strictObject({
    household: name.optional(),
    node: name.optional(),
    from: duration,
    to: duration,
    reason: z.string().min(1).default('scenario window'),
    by: z.string().min(1).default('simulator'),
  })
  .refine((w) => (w.household === undefined) !== (w.node === undefined), {
    message: 'a window names exactly one of household (a sensor name) or node',
  })
  .refine((w) => w.to > w.from, { message: '"to" must be after "from"' });

const announceSchema = z.strictObject({
  household: name,
  for: duration.default(600_000),
  reason: z.string().min(1).default('announced by scenario'),
  /** The API route that records announcements (the SPEC leaves it to the service). */
  path: z.string().startsWith('/').default('/api/announcements'),
});

const apiCallSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  path: z.string().startsWith('/'),
  body: z.unknown().optional(),
  expectStatus: z.number().int().min(100).max(599).optional(),
});

/** Each action and the schema of its value. */
const ACTIONS = {
  open: targets,
  close: targets,
  tamper: targets,
  heartbeat: targets,
  battery: z.strictObject({ sensor: targets, level: z.number().min(0).max(100) }),
  linkDrop: targets,
  linkRestore: targets,
  silence: targets,
  resume: targets,
  brokerRestart: z.strictObject({ down: duration.default(1000) }).default({ down: 1000 }),
  window: windowSchema,
  announce: announceSchema,
  api: apiCallSchema,
} as const;
export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

export type Step = { at: number; line: number } & {
  [K in ActionName]: { action: K; value: z.output<(typeof ACTIONS)[K]> };
}[ActionName];

const expectationSchema = z.union([
  z.strictObject({
    alert: z.enum(ALERT_TYPES),
    sensor: name.optional(),
    node: name.optional(),
    within: duration,
    count: z.number().int().min(1).optional(),
    label: z.string().optional(),
  }),
  z.strictObject({
    noAlert: z.enum(ALERT_TYPES),
    sensor: name.optional(),
    node: name.optional(),
    within: duration,
    label: z.string().optional(),
  }),
  z.strictObject({
    seal: name,
    door: z.enum(['open', 'closed', 'unknown']).optional(),
    online: z.boolean().optional(),
    armed: z.boolean().optional(),
    /** Only observations from this offset on count. */
    after: duration.optional(),
    within: duration,
    label: z.string().optional(),
  }),
]);
export type Expectation = z.output<typeof expectationSchema>;

const fileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  heartbeat: duration.default(10_000),
  nodes: z.array(name).min(1).default(['main']),
  sensors: z.array(sensorSchema).min(1, 'a scenario needs at least one sensor'),
  steps: z.array(z.record(z.string(), z.unknown())).default([]),
  expect: z.array(expectationSchema).default([]),
});

export interface Scenario {
  name: string;
  description: string | undefined;
  heartbeatMs: number;
  nodes: string[];
  sensors: z.output<typeof sensorSchema>[];
  steps: Step[];
  expect: Expectation[];
  /** When the last step or expectation deadline falls. */
  lengthMs: number;
}

function formatIssue(prefix: string, issue: z.core.$ZodIssue): string {
  const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))]
    .join('')
    .replace(/^\./, '');
  if (issue.code === 'unrecognized_keys')
    return `${path || 'file'}: unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest rather than zod's generic "invalid input".
    const best = issue.errors.reduce((a, b) => (a.length <= b.length ? a : b));
    const first = best[0];
    if (first) return formatIssue(path, first);
  }
  return `${path || 'file'}: ${issue.message}`;
}

/** Replaces `${name}` in every string with vars (file defaults, then --set overrides). */
function substitute(value: unknown, vars: Record<string, string>, where: string): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([A-Za-z0-9_]+)\}$/.exec(value);
    const replaced = value.replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, key: string) => {
      if (key in vars) return vars[key]!;
      if (/^(sensor|household|node|time)$/.test(key)) return m;
      throw new ScenarioFileError(
        `${where}: unknown variable \${${key}} (declare it under vars: or pass --set ${key}=…)`,
      );
    });
    // A value that is exactly one variable keeps the variable's type when it looks like a number or boolean.
    if (whole && /^-?\d+(\.\d+)?$/.test(replaced)) return Number(replaced);
    if (whole && (replaced === 'true' || replaced === 'false')) return replaced === 'true';
    return replaced;
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, vars, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === 'vars' ? v : substitute(v, vars, where ? `${where}.${k}` : k),
      ]),
    );
  }
  return value;
}

export function parseScenarioText(
  text: string,
  source: string,
  overrides: Record<string, string> = {},
): Scenario {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ScenarioFileError(
      `${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ScenarioFileError(`${source}: expected a mapping with name, sensors, steps and expect`);
  }
  const declared = (raw as { vars?: unknown }).vars;
  const vars: Record<string, string> = {};
  if (declared && typeof declared === 'object') {
    for (const [k, v] of Object.entries(declared)) vars[k] = String(v);
  }
  Object.assign(vars, overrides);
  const result = fileSchema.safeParse(substitute(raw, vars, ''));
  if (!result.success) throw new ScenarioFileError(`${source}: ${formatIssue('', result.error.issues[0]!)}`);
  const file = result.data;

  const sensorNames = new Set<string>();
  const nodes = new Set(file.nodes);
  file.sensors.forEach((s, i) => {
    if (sensorNames.has(s.name))
      throw new ScenarioFileError(`${source}: sensors[${i}]: sensor name "${s.name}" is used twice`);
    sensorNames.add(s.name);
    if (s.node !== undefined && !nodes.has(s.node)) {
      throw new ScenarioFileError(
        `${source}: sensors[${i}].node: unknown node "${s.node}" (declared: ${file.nodes.join(', ')})`,
      );
    }
  });
  const withIds = file.sensors.filter((s) => s.id !== undefined).length;
  if (withIds !== 0 && withIds !== file.sensors.length) {
    throw new ScenarioFileError(
      `${source}: either every sensor has an "id" (existing sensors) or none does (provisioned)`,
    );
  }
  const checkSensors = (where: string, value: unknown) => {
    const names = value === 'all' ? [] : Array.isArray(value) ? value : [];
    for (const n of names as string[]) {
      if (!sensorNames.has(n)) throw new ScenarioFileError(`${source}: ${where}: unknown sensor "${n}"`);
    }
  };
  const checkNode = (where: string, n: string | undefined) => {
    if (n !== undefined && !nodes.has(n))
      throw new ScenarioFileError(`${source}: ${where}: unknown node "${n}"`);
  };

  const steps: Step[] = file.steps.map((rawStep, i) => {
    const where = `steps[${i}]`;
    const keys = Object.keys(rawStep).filter((k) => k !== 'at');
    if (!('at' in rawStep))
      throw new ScenarioFileError(`${source}: ${where}: missing "at" (offset from the start, e.g. 5s)`);
    if (keys.length !== 1) {
      throw new ScenarioFileError(
        `${source}: ${where}: needs exactly one action besides "at" (got ${keys.length ? keys.join(', ') : 'none'}); actions: ${ACTION_NAMES.join(', ')}`,
      );
    }
    const action = keys[0] as string;
    if (!(action in ACTIONS)) {
      throw new ScenarioFileError(
        `${source}: ${where}: unknown action "${action}"; expected one of ${ACTION_NAMES.join(', ')}`,
      );
    }
    const at = duration.safeParse(rawStep.at);
    if (!at.success)
      throw new ScenarioFileError(`${source}: ${formatIssue(`${where}.at`, at.error.issues[0]!)}`);
    const schema = ACTIONS[action as ActionName] as z.ZodType;
    const value = schema.safeParse(rawStep[action] ?? undefined);
    if (!value.success)
      throw new ScenarioFileError(`${source}: ${formatIssue(`${where}.${action}`, value.error.issues[0]!)}`);
    const v = value.data as Record<string, unknown> | string[] | 'all';
    if (action === 'battery') checkSensors(`${where}.battery.sensor`, (v as { sensor: unknown }).sensor);
    else if (action === 'window') {
      const w = v as { household?: string; node?: string };
      if (w.household !== undefined) checkSensors(`${where}.window.household`, [w.household]);
      checkNode(`${where}.window.node`, w.node);
    } else if (action === 'announce')
      checkSensors(`${where}.announce.household`, [(v as { household: string }).household]);
    else if (action !== 'brokerRestart' && action !== 'api') checkSensors(`${where}.${action}`, v);
    return { at: at.data, line: i, action, value: value.data } as Step;
  });
  steps.sort((a, b) => a.at - b.at || a.line - b.line);

  file.expect.forEach((e, i) => {
    const where = `expect[${i}]`;
    if ('seal' in e) checkSensors(`${where}.seal`, [e.seal]);
    else {
      if (e.sensor !== undefined) checkSensors(`${where}.sensor`, [e.sensor]);
      checkNode(`${where}.node`, e.node);
      if (e.sensor !== undefined && e.node !== undefined) {
        throw new ScenarioFileError(`${source}: ${where}: name a sensor or a node, not both`);
      }
    }
  });

  const lengthMs = Math.max(0, ...steps.map((s) => s.at), ...file.expect.map((e) => e.within));
  return {
    name: file.name,
    description: file.description,
    heartbeatMs: file.heartbeat,
    nodes: file.nodes,
    sensors: file.sensors,
    steps,
    expect: file.expect,
    lengthMs,
  };
}
