import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../simulator/api/apiClient.ts';
import { runScenario } from '../../../simulator/scenario/runScenario.ts';
import { parseScenarioText } from '../../../simulator/scenario/scenarioSchema.ts';
import { type RunningService, startService } from '../../helpers/service.ts';

let svc: RunningService & { cleanup(): Promise<void> };
beforeAll(async () => {
  svc = await startService();
});
afterAll(async () => {
  await svc?.cleanup();
});

const play = (text: string) =>
  runScenario({
    scenario: parseScenarioText(text, 'test.yaml'),
    url: svc.mqttUrl,
    api: new ApiClient({ baseUrl: svc.httpUrl, token: svc.adminToken }),
    pollMs: 200,
    print: () => undefined,
  });

describe('scenario runner against the real service', () => {
  it('provisions, plays steps (window, open, close) and checks seal expectations', async () => {
    const report = await play(`
name: seal states
heartbeat: 1s
nodes: [main]
sensors:
  - name: front
  - name: back
    quarantined: false
steps:
  - at: 0s
    window: { household: front, from: 0s, to: 1m, reason: test visit, by: nurse }
  - at: 500ms
    open: front
  - at: 1500ms
    close: front
  - at: 500ms
    open: back
expect:
  - seal: front
    door: open
    within: 1400ms
  - seal: front
    door: closed
    within: 5s
  - seal: back
    door: open
    armed: false
    within: 5s
`);
    expect(report.problems).toEqual([]);
    expect(report.results.map((r) => [r.label, r.verdict])).toEqual([
      ['seal front is door open within 1.4s', 'pass'],
      ['seal front is door closed within 5s', 'pass'],
      ['seal back is door open, disarmed within 5s', 'pass'],
    ]);
    expect(report.passed).toBe(true);
  });

  it('fails an expectation that does not hold and says what it saw', async () => {
    const report = await play(`
name: wrong expectation
heartbeat: 1s
sensors: [{ name: door }]
steps: []
expect:
  - seal: door
    door: open
    within: 1500ms
`);
    expect(report.passed).toBe(false);
    expect(report.results[0]).toMatchObject({
      verdict: 'fail',
      detail: 'last seen: door closed, online, armed',
    });
  });
});
