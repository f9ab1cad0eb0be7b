import { describe, expect, it } from 'vitest';
import { apiTargetOption, rangeOption } from '../../../simulator/cli/common.ts';
import { parseDuration, parseDurationExpression } from '../../../simulator/cli/duration.ts';
import { UsageError } from '../../../simulator/cli/usageError.ts';
import { parseCommissionArgs } from '../../../simulator/commission/commissionCli.ts';
import { parseFleetArgs } from '../../../simulator/fleet/fleetCli.ts';
import { parseLoadArgs } from '../../../simulator/load/loadCli.ts';
import { parseScenarioArgs } from '../../../simulator/scenario/scenarioCli.ts';

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('durations', () => {
  it('parses the SPEC syntax', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('10')).toBeNull();
    expect(parseDuration('5 minutes')).toBeNull();
  });

  it('evaluates sums and products in scenario files', () => {
    expect(parseDurationExpression('3 * 10s + 5s')).toBe(35_000);
    expect(parseDurationExpression('2s')).toBe(2000);
    expect(parseDurationExpression('3 * 4')).toBeNull();
    expect(parseDurationExpression('10s * 2s')).toBeNull();
  });
});

describe('fleet options', () => {
  it('has defaults a technician can rely on', () => {
    const o = parseFleetArgs([]);
    expect(o).toMatchObject({
      url: 'mqtt://127.0.0.1:1883',
      heartbeatMs: 60_000,
      qos: 1,
      dialect: 'native',
      flaky: 0,
    });
    expect(o.api).toBeUndefined();
    expect(o.durationMs).toBeUndefined();
  });

  it('parses every option', () => {
    const o = parseFleetArgs([
      '--url',
      'mqtt://broker:1884',
      '--sensors',
      '20',
      '--heartbeat',
      '10s',
      '--storm-at',
      '30s',
      '--flaky',
      '0.1',
      '--flaky-down',
      '2s-4s',
      '--battery',
      '10-30',
      '--qos',
      '0',
      '--seed',
      '7',
      '--start-at',
      '2026-12-06T05:40:00+08:00',
    ]);
    expect(o).toMatchObject({
      url: 'mqtt://broker:1884',
      sensors: 20,
      heartbeatMs: 10_000,
      stormAtMs: 30_000,
      flaky: 0.1,
      flakyDown: [2000, 4000],
      battery: [10, 30],
      qos: 0,
      seed: 7,
      startAt: Date.UTC(2026, 11, 5, 21, 40),
    });
  });

  it('takes the token from --token-file or the environment', () => {
    expect(parseFleetArgs(['--api', 'http://h:8080'], { SEALWATCH_TOKEN: 'abc' }).api).toEqual({
      baseUrl: 'http://h:8080',
      token: 'abc',
    });
    const target = apiTargetOption({ api: 'http://h:8080/', 'token-file': '/x' }, {}, () => 'from-file\n');
    expect(target).toEqual({ baseUrl: 'http://h:8080', token: 'from-file' });
  });

  it('refuses bad options with one specific line', () => {
    expect(usage(() => parseFleetArgs(['--sensors', 'many']))).toBe(
      '--sensors must be a whole number (got "many")',
    );
    expect(usage(() => parseFleetArgs(['--heartbeat', '10']))).toMatch(/--heartbeat must be a duration/);
    expect(usage(() => parseFleetArgs(['--frobnicate']))).toMatch(/frobnicate/);
    expect(usage(() => parseFleetArgs(['--dialect', 'zigbee2mqtt']))).toMatch(
      /--gateway-user and --gateway-password/,
    );
    expect(usage(() => parseFleetArgs(['--api', 'http://h:8080']))).toMatch(/needs a token/);
    expect(
      usage(() => parseFleetArgs(['--api', 'http://h', '--token', 't', '--credentials', 'c.csv'])),
    ).toMatch(/not both/);
    expect(usage(() => parseFleetArgs(['--url', 'http://x']))).toMatch(/--url must use mqtt/);
    expect(usage(() => parseFleetArgs(['--flaky', '2']))).toBe('--flaky must be at most 1 (got 2)');
    expect(usage(() => parseFleetArgs(['--battery', '90-10']))).toMatch(/range like 60-100/);
    expect(usage(() => parseFleetArgs(['--grid-parent', 'x']))).toMatch(/only apply when provisioning/);
    // A time without its zone would mean different instants on machines in different zones.
    expect(usage(() => parseFleetArgs(['--start-at', '2026-12-05T21:40:00']))).toMatch(
      /^--start-at must be a time with its zone/,
    );
    expect(usage(() => parseFleetArgs(['--start-at', '2026-13-45T21:40:00Z']))).toMatch(/with its zone/);
  });

  it('spreads connections over the local addresses given', () => {
    expect(parseFleetArgs(['--source-addresses', '127.0.1.1-3, 10.0.0.7,::1']).sourceAddresses).toEqual([
      '127.0.1.1',
      '127.0.1.2',
      '127.0.1.3',
      '10.0.0.7',
      '::1',
    ]);
    expect(parseFleetArgs([]).sourceAddresses).toBeUndefined();
    for (const bad of ['127.0.1.9-2', '127.0.1.1-256', '300.0.0.1', 'localhost', ''])
      expect(
        usage(() => parseFleetArgs(['--source-addresses', bad])),
        bad,
      ).toMatch(/^--source-addresses must list addresses or ranges like 127.0.1.1-250,10.0.0.7/);
    // Only the TCP path takes a local address (the simulator builds that connection itself).
    expect(
      usage(() => parseFleetArgs(['--url', 'ws://127.0.0.1:8083', '--source-addresses', '127.0.0.2'])),
    ).toBe('--source-addresses needs an mqtt:// --url (got ws://127.0.0.1:8083)');
  });

  it('parses ranges', () => {
    expect(rangeOption('x', '5s-1m', [0, 0], 'duration')).toEqual([5000, 60_000]);
    expect(rangeOption('x', '50', [0, 0], 'number')).toEqual([50, 50]);
  });
});

describe('load options', () => {
  it('defaults to a bounded max-rate run', () => {
    const o = parseLoadArgs([]);
    expect(o.load).toMatchObject({ connections: 10, qos: 1, durationMs: 10_000 });
    expect(o.load.rate).toBeUndefined();
  });

  it('lets --count alone bound the run', () => {
    const o = parseLoadArgs([
      '--count',
      '1000',
      '--rate',
      '5000',
      '--connections',
      '50',
      '--json',
      'out.json',
    ]);
    expect(o.load).toMatchObject({ count: 1000, rate: 5000, connections: 50 });
    expect(o.load.durationMs).toBeUndefined();
    expect(o.json).toBe('out.json');
  });

  it('refuses bad values', () => {
    expect(usage(() => parseLoadArgs(['--qos', '2']))).toBe('--qos must be one of 0, 1 (got "2")');
    expect(usage(() => parseLoadArgs(['--rate', '0']))).toBe('--rate must be at least 1 (got 0)');
    expect(usage(() => parseLoadArgs(['extra']))).toMatch(/extra/);
  });
});

describe('commission options', () => {
  it('needs a sensor id and the API', () => {
    expect(usage(() => parseCommissionArgs([]))).toMatch(/exactly one sensor id/);
    expect(usage(() => parseCommissionArgs(['s1']))).toMatch(/needs --api/);
    expect(usage(() => parseCommissionArgs(['bad/id', '--api', 'http://h', '--token', 't']))).toMatch(
      /must match/,
    );
  });

  it('derives the broker from the API host', () => {
    const o = parseCommissionArgs([
      'door-1',
      '--api',
      'http://10.1.2.3:8080',
      '--token',
      't',
      '--timeout',
      '30s',
    ]);
    expect(o).toMatchObject({ sensorId: 'door-1', url: 'mqtt://10.1.2.3:1883', timeoutMs: 30_000 });
    expect(parseCommissionArgs(['--help'])).toBe('help');
  });
});

describe('scenario options', () => {
  it('collects --set overrides', () => {
    const o = parseScenarioArgs([
      'f.yaml',
      '--api',
      'http://h:8080',
      '--token',
      't',
      '--set',
      'interval=2s',
      '--set',
      'n=3',
    ]);
    expect(o).not.toBe('help');
    if (o !== 'help') expect(o.vars).toEqual({ interval: '2s', n: '3' });
  });

  it('allows --check without the API and refuses malformed --set', () => {
    expect(parseScenarioArgs(['f.yaml', '--check'])).toMatchObject({ check: true });
    expect(usage(() => parseScenarioArgs(['f.yaml', '--check', '--set', 'oops']))).toMatch(/name=value/);
    expect(usage(() => parseScenarioArgs(['a.yaml', 'b.yaml', '--check']))).toMatch(/exactly one file/);
  });
});
