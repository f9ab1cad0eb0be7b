import { parseArgs } from 'node:util';
import { SENSOR_ID_PATTERN } from '../../contract/topics.ts';
import { ApiClient } from '../api/apiClient.ts';
import { API_HELP, type ApiTarget, apiArgs, apiTargetOption } from '../cli/common.ts';
import { formatDuration } from '../cli/duration.ts';
import { brokerUrlOption, durationOption, parseOrUsage } from '../cli/options.ts';
import { UsageError } from '../cli/usageError.ts';
import { commission, describeMissing } from './commission.ts';

export const COMMISSION_HELP = `Usage: npm run simulate -- commission <sensorId> --api URL --token TOKEN [options]

Checks one installed sensor at the door. Puts it in commissioning (no alerts while testing), then waits for a
heartbeat, an open and a close, printing each message as it arrives, and ends with PASS or FAIL naming exactly
what was missing. Commissioning is ended again in every case. Exit code 0 on PASS, 1 on FAIL.

Options:
${API_HELP}
                       (a technician or admin token)
  --url URL            broker (default: the API's host, port 1883)
  --timeout D          how long to wait (default 120s)
  --friendly-name N    Zigbee2MQTT / Shelly sensors: the friendly name or Shelly device id the gateway
                       publishes under (default: the sensor's friendlyName from the registry, else its id)
  -h, --help           show this help

Example:
  npm run simulate -- commission door-0042 --api http://10.0.0.5:8080 --token-file ~/sealwatch-token
`;

export interface CommissionCliOptions {
  sensorId: string;
  api: ApiTarget;
  url: string;
  timeoutMs: number;
  friendlyName: string | undefined;
}

export function parseCommissionArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): CommissionCliOptions | 'help' {
  const parsed = parseOrUsage(() =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...apiArgs,
        url: { type: 'string' },
        timeout: { type: 'string' },
        'friendly-name': { type: 'string' },
      },
    }),
  );
  const v = parsed.values;
  if (v.help) return 'help';
  if (parsed.positionals.length !== 1) {
    throw new UsageError(`commission needs exactly one sensor id (got ${parsed.positionals.length})`);
  }
  const sensorId = parsed.positionals[0]!;
  if (!SENSOR_ID_PATTERN.test(sensorId))
    throw new UsageError(`sensor id "${sensorId}" must match ^[A-Za-z0-9_-]{1,64}$`);
  const api = apiTargetOption(v, env);
  if (!api) throw new UsageError('commission needs --api URL and a technician or admin token');
  const timeoutMs = durationOption('timeout', v.timeout, 120_000);
  if (timeoutMs < 1000) throw new UsageError(`--timeout must be at least 1s (got ${v.timeout})`);
  return {
    sensorId,
    api,
    url: brokerUrlOption(v.url, `mqtt://${new URL(api.baseUrl).hostname}:1883`),
    timeoutMs,
    friendlyName: v['friendly-name'],
  };
}

export async function runCommissionCli(argv: string[]): Promise<number> {
  const o = parseCommissionArgs(argv, process.env);
  if (o === 'help') {
    process.stdout.write(COMMISSION_HELP);
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const result = await commission({
      sensorId: o.sensorId,
      api: new ApiClient(o.api),
      token: o.api.token,
      brokerUrl: o.url,
      timeoutMs: o.timeoutMs,
      ...(o.friendlyName ? { friendlyName: o.friendlyName } : {}),
      print,
      signal: controller.signal,
    });
    if (result.passed) {
      print(`PASS ${o.sensorId}: heartbeat, open and close all seen in ${formatDuration(result.elapsedMs)}`);
      for (const p of result.problems) print(`  note: ${p}`);
      return 0;
    }
    const why = result.interrupted ? 'interrupted' : `nothing more within ${formatDuration(o.timeoutMs)}`;
    print(`FAIL ${o.sensorId}: missing ${describeMissing(result.missing) || 'nothing'} (${why})`);
    for (const p of result.problems) print(`  problem: ${p}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
