import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApiClient } from '../api/apiClient.ts';
import { API_HELP, apiArgs, apiTargetOption } from '../cli/common.ts';
import { formatDuration } from '../cli/duration.ts';
import { brokerUrlOption, choiceOption, intOption, parseOrUsage } from '../cli/options.ts';
import { ProgressLine } from '../cli/progress.ts';
import { UsageError } from '../cli/usageError.ts';
import { readCredentialsFile } from '../fleet/credentials.ts';
import { runScenario, type ScenarioReport } from './runScenario.ts';
import { parseScenarioText, ScenarioFileError } from './scenarioSchema.ts';

export const SCENARIO_HELP = `Usage: npm run simulate -- scenario <file.yaml|file.json> [options]

Plays a scripted timeline against the service and checks its expectations through the API, then prints PASS
or FAIL for each. Exit code 0 only when every expectation held. See scenarios/ for examples and
simulator/README.md for the file format.

Options:
  --url URL            broker (default: the API's host, port 1883)
${API_HELP}
                       (admin token: the scenario provisions its own grid node, households and sensors)
  --credentials FILE   when the scenario's sensors name existing ids: CSV sensorId,secret[,householdId,gridId]
  --grid-parent ID     provision under this grid node (default: a new root node)
  --set NAME=VALUE     override a variable declared under vars: (repeatable), e.g. --set interval=10s
  --qos 0|1            publish QoS (default 1)
  --poll-ms N          how often the API is read (default 500)
  --check              only validate the file and print its timeline; connect to nothing
  --json FILE          also write the report as JSON
  -h, --help           show this help

Example:
  npm run simulate -- scenario scenarios/breach-during-quarantine.yaml --api http://127.0.0.1:8080 --token-file data/admin-token
`;

export function parseScenarioArgs(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const parsed = parseOrUsage(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        url: { type: 'string' },
        ...apiArgs,
        credentials: { type: 'string' },
        'grid-parent': { type: 'string' },
        set: { type: 'string', multiple: true },
        qos: { type: 'string' },
        'poll-ms': { type: 'string' },
        check: { type: 'boolean' },
        json: { type: 'string' },
      },
    }),
  );
  const v = parsed.values;
  if (v.help) return 'help' as const;
  if (parsed.positionals.length !== 1) {
    throw new UsageError(`scenario needs exactly one file (got ${parsed.positionals.length})`);
  }
  const vars: Record<string, string> = {};
  for (const pair of v.set ?? []) {
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(pair);
    if (!m) throw new UsageError(`--set must look like name=value (got "${pair}")`);
    vars[m[1]!] = m[2]!;
  }
  const api = apiTargetOption(v, env);
  const check = v.check ?? false;
  if (!api && !check)
    throw new UsageError('scenario needs --api URL and a token to provision and to check expectations');
  return {
    file: parsed.positionals[0]!,
    api,
    url: brokerUrlOption(v.url, api ? `mqtt://${new URL(api.baseUrl).hostname}:1883` : undefined),
    credentials: v.credentials,
    gridParent: v['grid-parent'] ?? null,
    vars,
    qos: Number(choiceOption('qos', v.qos, ['0', '1'] as const, '1')) as 0 | 1,
    pollMs: intOption('poll-ms', v['poll-ms'], 500, { min: 50, max: 60_000 }),
    check,
    json: v.json,
  };
}

export function formatReport(r: ScenarioReport): string {
  const lines = [`scenario "${r.name}" (run ${r.runId}) after ${formatDuration(r.elapsedMs)}:`];
  for (const x of r.results) {
    const mark = x.verdict === 'pass' ? 'PASS' : x.verdict === 'fail' ? 'FAIL' : '----';
    lines.push(`  ${mark}  ${x.label} — ${x.detail}`);
  }
  if (r.problems.length > 0) lines.push(`  problems during the run: ${r.problems.length} (see above)`);
  const failed = r.results.filter((x) => x.verdict !== 'pass').length;
  lines.push(
    r.passed
      ? `PASS: all ${r.results.length} expectation(s) held`
      : `FAIL: ${failed} of ${r.results.length} expectation(s) did not hold${r.interrupted ? ' (interrupted)' : ''}`,
  );
  return lines.join('\n');
}

export async function runScenarioCli(argv: string[]): Promise<number> {
  const o = parseScenarioArgs(argv, process.env);
  if (o === 'help') {
    process.stdout.write(SCENARIO_HELP);
    return 0;
  }
  let text: string;
  try {
    text = await readFile(o.file, 'utf8');
  } catch (err) {
    throw new ScenarioFileError(`cannot read ${o.file}: ${(err as Error).message}`);
  }
  const scenario = parseScenarioText(text, o.file, o.vars);
  const progress = new ProgressLine({ stream: process.stdout });
  const print = (line: string) => progress.println(line);
  if (o.check) {
    print(
      `${o.file}: "${scenario.name}" is valid: ${scenario.sensors.length} sensor(s), ${scenario.steps.length} step(s), ${scenario.expect.length} expectation(s), up to ${formatDuration(scenario.lengthMs)}`,
    );
    for (const s of scenario.steps)
      print(`  ${formatDuration(s.at).padStart(7)}  ${s.action} ${JSON.stringify(s.value)}`);
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    const report = await runScenario({
      scenario,
      url: o.url,
      ...(o.api ? { api: new ApiClient(o.api) } : {}),
      ...(o.credentials ? { credentials: await readCredentialsFile(o.credentials) } : {}),
      gridParent: o.gridParent,
      qos: o.qos,
      pollMs: o.pollMs,
      print,
      progress: (text) => progress.update(text),
      signal: controller.signal,
    });
    progress.done();
    print(formatReport(report));
    if (o.json) await writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`);
    return report.passed ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
