/**
 * `npm run simulate -- <mode> [options]`: the technician's and load tester's entry point. Each mode parses its
 * own options; a usage mistake prints one line and exits 2, a failed check exits 1.
 */

import { UsageError } from './cli/usageError.ts';
import { runCommissionCli } from './commission/commissionCli.ts';
import { runFleetCli } from './fleet/fleetCli.ts';
import { runLoadCli } from './load/loadCli.ts';
import { runScenarioCli } from './scenario/scenarioCli.ts';

const TOP_HELP = `Usage: npm run simulate -- <mode> [options]

SealWatch simulator and commissioning tool.

Modes:
  fleet                 run N simulated door seals (heartbeats, door habits, battery, flaky links, storms)
  scenario <file>       play a scripted timeline (YAML/JSON) and check the service's alerts against it
  load                  publish at a fixed or maximum rate and report throughput and PUBACK latency
  commission <sensorId> check one real sensor at the door: heartbeat, open and close, then PASS or FAIL

Run "npm run simulate -- <mode> --help" for a mode's options.
Exit codes: 0 success, 1 a check failed, 2 bad usage.
`;

const MODES: Record<string, (argv: string[]) => Promise<number>> = {
  fleet: runFleetCli,
  scenario: runScenarioCli,
  load: runLoadCli,
  commission: runCommissionCli,
};

export async function main(argv: string[]): Promise<number> {
  const [mode, ...rest] = argv;
  if (mode === undefined || mode === '--help' || mode === '-h' || mode === 'help') {
    process.stdout.write(TOP_HELP);
    return mode === undefined ? 2 : 0;
  }
  const run = MODES[mode];
  if (!run) throw new UsageError(`unknown mode "${mode}"; expected one of ${Object.keys(MODES).join(', ')}`);
  return run(rest);
}

// `simulate … | head` closes stdout early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Sockets the broker has not closed yet must not keep a finished run alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`simulate: ${err.message} (see --help)\n`);
      process.exit(2);
    }
    process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
