import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioFileError } from '../../../simulator/scenario/scenarioSchema.ts';

const valid = `
name: breach
vars:
  interval: 10s
heartbeat: \${interval}
nodes: [main, annex]
sensors:
  - name: door
  - name: back
    node: annex
    quarantined: false
steps:
  - at: 5s
    close: door
  - at: 2s
    open: [door, back]
  - at: 1s
    window: { household: door, from: 0s, to: 30s, reason: test }
  - at: 3s
    battery: { sensor: all, level: 15 }
  - at: 4s
    brokerRestart: {}
expect:
  - alert: breach
    sensor: door
    within: 3 * \${interval}
  - noAlert: offline
    within: 20s
  - seal: door
    door: closed
    within: 15s
`;

const fails = (text: string, overrides: Record<string, string> = {}) => {
  try {
    parseScenarioText(text, 'bad.yaml', overrides);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioFileError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioFileError');
};

const edit = (from: string, to: string) => {
  expect(valid).toContain(from);
  return valid.replace(from, to);
};

describe('scenario files', () => {
  it('parses a valid file, sorts steps by time and applies variables', () => {
    const s = parseScenarioText(valid, 'ok.yaml');
    expect(s.heartbeatMs).toBe(10_000);
    expect(s.steps.map((x) => [x.at, x.action])).toEqual([
      [1000, 'window'],
      [2000, 'open'],
      [3000, 'battery'],
      [4000, 'brokerRestart'],
      [5000, 'close'],
    ]);
    expect(s.steps[1]!.value).toEqual(['door', 'back']);
    expect(s.expect[0]).toMatchObject({ alert: 'breach', within: 30_000 });
    expect(s.sensors[0]).toMatchObject({ name: 'door', quarantined: true });
    expect(s.lengthMs).toBe(30_000);
  });

  it('lets --set override a variable', () => {
    expect(parseScenarioText(valid, 'ok.yaml', { interval: '2s' }).expect[0]).toMatchObject({ within: 6000 });
  });

  it('reads JSON too', () => {
    const s = parseScenarioText(
      JSON.stringify({ name: 'j', sensors: [{ name: 'a' }], steps: [{ at: '1s', tamper: 'a' }], expect: [] }),
      'x.json',
    );
    expect(s.steps[0]).toMatchObject({ action: 'tamper', value: ['a'] });
  });

  it('says exactly what is wrong', () => {
    expect(fails('name: [')).toMatch(/^bad\.yaml: not valid YAML/);
    expect(fails('- just\n- a list')).toMatch(/expected a mapping/);
    expect(fails(edit('name: breach\n', ''))).toBe(
      'bad.yaml: name: Invalid input: expected string, received undefined',
    );
    expect(fails(edit('    close: door', '    opne: door'))).toMatch(
      /steps\[0\]: unknown action "opne"; expected one of open, close/,
    );
    expect(fails(edit('  - at: 5s\n', '  - at: 5 seconds\n'))).toMatch(
      /steps\[0\]\.at: "5 seconds" is not a duration/,
    );
    expect(fails(edit('  - at: 5s\n    close: door', '  - at: 5s\n    close: door\n    open: door'))).toMatch(
      /steps\[0\]: needs exactly one action besides "at" \(got close, open\)/,
    );
    expect(fails(edit('    close: door', '    close: front'))).toBe(
      'bad.yaml: steps[0].close: unknown sensor "front"',
    );
    expect(fails(edit('    node: annex', '    node: cellar'))).toMatch(
      /sensors\[1\]\.node: unknown node "cellar"/,
    );
    expect(fails(edit('  - alert: breach', '  - alert: burglary'))).toMatch(
      /expect\[0\]\.alert: Invalid option/,
    );
    expect(fails(edit('    within: 20s', '    within: soon'))).toMatch(
      /expect\[1\]\.within: "soon" is not a duration/,
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: scenario files spell variables as ${name}
    expect(fails(edit('heartbeat: ${interval}', 'heartbeat: ${period}'))).toMatch(
      /unknown variable \$\{period\}/,
    );
    expect(fails(edit('  - name: back', '  - name: door'))).toMatch(/sensor name "door" is used twice/);
    expect(
      fails(edit('battery: { sensor: all, level: 15 }', 'battery: { sensor: all, level: 150 }')),
    ).toMatch(/steps\[3\]\.battery\.level: Too big/);
    expect(fails(edit('from: 0s, to: 30s', 'from: 30s, to: 10s'))).toMatch(/"to" must be after "from"/);
    expect(fails(edit('name: breach', 'name: breach\ncolour: red'))).toMatch(/unknown field\(s\) "colour"/);
    expect(fails(edit('sensors:\n  - name: door\n', 'sensors:\n  - name: door\n    id: real-1\n'))).toMatch(
      /either every sensor has an "id"/,
    );
  });
});
