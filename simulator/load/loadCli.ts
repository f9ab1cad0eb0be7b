import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatDuration } from '../cli/duration.ts';
import { brokerUrlOption, choiceOption, durationOption, intOption, parseOrUsage } from '../cli/options.ts';
import { ProgressLine } from '../cli/progress.ts';
import { UsageError } from '../cli/usageError.ts';
import { readCredentialsFile } from '../fleet/credentials.ts';
import { type LoadOptions, type LoadSnapshot, type LoadSummary, runLoad } from './runLoad.ts';

export const LOAD_HELP = `Usage: npm run simulate -- load [options]

Publishes valid heartbeats over many connections, at a fixed total rate or as fast as the broker acknowledges,
and shows live sent/acknowledged rates and PUBACK latency (p50, p99, p99.9). Prints a summary at the end.

Options:
  --url URL            broker (default mqtt://127.0.0.1:1883)
  --connections N      connections, one simulated sensor each (default 10)
  --rate N             total messages per second (default: maximum rate)
  --qos 0|1            publish QoS (default 1)
  --duration D         how long to send (default 10s unless --count is given)
  --count N            stop after this many messages
  --inflight N         unacknowledged messages allowed per connection (default 64 at max rate, 1000 at --rate)
  --credentials FILE   CSV sensorId,secret, one row per connection (needed against SealWatch itself)
  --connect-rate N     new connections per second while setting up (default 500)
  --json FILE          also write the summary as JSON
  -h, --help           show this help

Examples:
  npm run simulate -- load --connections 50 --qos 1 --duration 30s
  npm run simulate -- load --rate 5000 --connections 50 --credentials sim-credentials.csv --json load.json
`;

export interface LoadCliOptions {
  load: Omit<LoadOptions, 'credentials'>;
  credentialsFile: string | undefined;
  json: string | undefined;
  help: boolean;
}

export function parseLoadArgs(argv: string[]): LoadCliOptions {
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        url: { type: 'string' },
        connections: { type: 'string' },
        rate: { type: 'string' },
        qos: { type: 'string' },
        duration: { type: 'string' },
        count: { type: 'string' },
        inflight: { type: 'string' },
        credentials: { type: 'string' },
        'connect-rate': { type: 'string' },
        json: { type: 'string' },
      },
    }),
  );
  const str = (k: keyof typeof values) => values[k] as string | undefined;
  const count = intOption('count', str('count'), undefined, { min: 1 });
  const durationMs =
    count === undefined
      ? durationOption('duration', str('duration'), 10_000)
      : durationOption('duration', str('duration'));
  const rate = intOption('rate', str('rate'), undefined, { min: 1 });
  const inflight = intOption('inflight', str('inflight'), undefined, { min: 1, max: 65_000 });
  const load: LoadCliOptions['load'] = {
    url: brokerUrlOption(str('url')),
    connections: intOption('connections', str('connections'), 10, { min: 1, max: 100_000 }),
    qos: Number(choiceOption('qos', str('qos'), ['0', '1'] as const, '1')) as 0 | 1,
    connectRatePerSec: intOption('connect-rate', str('connect-rate'), 500, { min: 1 }),
  };
  if (rate !== undefined) load.rate = rate;
  if (count !== undefined) load.count = count;
  if (durationMs !== undefined) load.durationMs = durationMs;
  if (inflight !== undefined) load.inflight = inflight;
  return { load, credentialsFile: str('credentials'), json: str('json'), help: values.help === true };
}

const fmtRate = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

export function formatLoadStatus(s: LoadSnapshot): string {
  if (s.phase === 'connecting') return `load connecting ${s.connected}/${s.connections} | errors ${s.errors}`;
  const l = s.recentLatencyMs;
  return (
    `load ${s.phase} ${formatDuration(s.elapsedMs)} | sent ${fmtRate(s.sentPerSec)}/s acked ${fmtRate(s.ackedPerSec)}/s` +
    ` | PUBACK ms p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} | total ${s.sent}/${s.acked}` +
    ` | conn ${s.connected}/${s.connections} reconnects ${s.reconnects} | errors ${s.errors}` +
    (s.skipped ? ` | skipped ${s.skipped}` : '')
  );
}

export function formatLoadSummary(s: LoadSummary): string {
  const l = s.pubackLatencyMs;
  return [
    `load summary: ${s.connections} connections, QoS ${s.qos}, ${s.targetRate === null ? 'max rate' : `target ${s.targetRate}/s`}, sent for ${formatDuration(s.sendMs)}${s.interrupted ? ' (interrupted)' : ''}`,
    `  sent ${s.sent} (${s.sentPerSec}/s), acknowledged ${s.acked} (${s.ackedPerSec}/s), unacknowledged ${s.unacked}, skipped ${s.skipped}`,
    l
      ? `  PUBACK latency ms: p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}`
      : '  PUBACK latency: n/a at QoS 0',
    `  connect ${s.connectMs} ms (${s.connectsPerSec}/s), reconnects ${s.reconnects}, errors ${s.errors}${s.lastError ? ` (last: ${s.lastError})` : ''}`,
  ].join('\n');
}

export async function runLoadCli(argv: string[]): Promise<number> {
  const o = parseLoadArgs(argv);
  if (o.help) {
    process.stdout.write(LOAD_HELP);
    return 0;
  }
  const options: LoadOptions = { ...o.load };
  if (o.credentialsFile) {
    const credentials = await readCredentialsFile(o.credentialsFile);
    if (credentials.length < o.load.connections) {
      throw new UsageError(
        `--connections ${o.load.connections} but ${o.credentialsFile} lists only ${credentials.length} sensors`,
      );
    }
    options.credentials = credentials;
  }
  const progress = new ProgressLine({ ttyIntervalMs: 0, plainIntervalMs: 5000 });
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  options.signal = controller.signal;
  options.onProgress = (snap) => progress.update(formatLoadStatus(snap));
  const summary = await runLoad(options);
  process.off('SIGINT', onSigint);
  progress.done();
  process.stdout.write(`${formatLoadSummary(summary)}\n`);
  if (o.json) await writeFile(o.json, `${JSON.stringify(summary, null, 2)}\n`);
  return summary.acked > 0 ? 0 : 1;
}
