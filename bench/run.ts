/**
 * `npm run bench [-- <name>…] [--quick]`: runs every bench/*.bench.ts (or the named ones), records the machine
 * it ran on, and writes bench/results/<timestamp>.{json,md} plus latest.{json,md}.
 */
import { execFileSync } from 'node:child_process';
import { readdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchContext, BenchResult } from './lib/types.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(benchDir, 'results');

const HELP = `Usage: npm run bench [-- <name>…] [--quick]

Runs bench/<name>.bench.ts for each name given (default: all), then writes JSON and a markdown table under
bench/results/ (timestamped, plus latest.json and latest.md).

  --quick      shorter runs (smoke test of the benches, numbers are rougher)
  -h, --help   show this help
`;

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  platform: string;
  loadAverage: number[];
  hostname: string;
  gitCommit: string | null;
}

export function machineFacts(): MachineFacts {
  let gitCommit: string | null = null;
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: benchDir,
      encoding: 'utf8',
    }).trim();
  } catch {
    gitCommit = null;
  }
  const gib = (b: number) => Math.round((b / 1024 ** 3) * 10) / 10;
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: gib(os.totalmem()),
    freeMemoryGiB: gib(os.freemem()),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    hostname: os.hostname(),
    gitCommit,
  };
}

interface BenchRecord extends BenchResult {
  file: string;
  ok: boolean;
  seconds: number;
}

const escapeCell = (v: unknown) => String(v).replaceAll('|', '\\|');

export function toMarkdown(
  startedAt: string,
  quick: boolean,
  machine: MachineFacts,
  records: BenchRecord[],
): string {
  const lines = [
    `# Benchmarks ${startedAt}${quick ? ' (quick)' : ''}`,
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${machine.cpus} × ${escapeCell(machine.cpuModel)} |`,
    `| memory | ${machine.memoryGiB} GiB (${machine.freeMemoryGiB} GiB free) |`,
    `| node | ${machine.node} |`,
    `| platform | ${escapeCell(machine.platform)} |`,
    `| load average (1/5/15 min) at start | ${machine.loadAverage.join(' / ')} |`,
    `| commit | ${machine.gitCommit ?? 'unknown'} |`,
    '',
  ];
  for (const r of records) {
    lines.push(
      `## ${r.name}${r.ok ? '' : ' — FAILED'}`,
      '',
      `\`${r.file}\`, ${r.seconds} s`,
      '',
      '| metric | value |',
      '| --- | --- |',
    );
    for (const [k, v] of Object.entries(r.metrics)) lines.push(`| ${escapeCell(k)} | ${escapeCell(v)} |`);
    if (r.notes?.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
    lines.push('');
  }
  return lines.join('\n');
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

async function main(argv: string[]): Promise<number> {
  const parsed = (() => {
    try {
      return parseArgs({
        args: argv,
        allowPositionals: true,
        options: { quick: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      });
    } catch (err) {
      return err as Error;
    }
  })();
  if (parsed instanceof Error) {
    process.stderr.write(`bench: ${parsed.message.split('\n')[0]} (see --help)\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const quick = parsed.values.quick ?? false;
  const available = (await readdir(benchDir)).filter((f) => f.endsWith('.bench.ts')).sort();
  const names = available.map((f) => f.replace(/\.bench\.ts$/, ''));
  const unknown = parsed.positionals.filter((n) => !names.includes(n.replace(/\.bench\.ts$/, '')));
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: no bench named ${unknown.join(', ')}; available: ${names.join(', ') || 'none'}\n`,
    );
    return 2;
  }
  const chosen = parsed.positionals.length
    ? available.filter((f) =>
        parsed.positionals.some((n) => f === `${n.replace(/\.bench\.ts$/, '')}.bench.ts`),
      )
    : available;
  // Benches start the service the way `npm start` does, from the bundle: build it from this tree first.
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: join(benchDir, '..'), stdio: 'inherit' });
  const startedAt = new Date().toISOString();
  const machine = machineFacts();
  process.stdout.write(
    `bench: ${chosen.length} bench(es) on ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, load ${machine.loadAverage.join('/')}${quick ? ', quick' : ''}\n`,
  );
  const records: BenchRecord[] = [];
  for (const file of chosen) {
    const name = file.replace(/\.bench\.ts$/, '');
    const ctx: BenchContext = { quick, log: (line) => process.stdout.write(`[${name}] ${line}\n`) };
    const t0 = performance.now();
    try {
      const mod = (await import(pathToFileURL(join(benchDir, file)).href)) as {
        default?: (ctx: BenchContext) => Promise<BenchResult>;
      };
      if (typeof mod.default !== 'function') throw new Error(`${file} has no default export run(ctx)`);
      const result = await mod.default(ctx);
      records.push({
        ...result,
        file: `bench/${file}`,
        ok: true,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
      });
    } catch (err) {
      ctx.log(`FAILED: ${(err as Error).stack ?? String(err)}`);
      records.push({
        name,
        metrics: { error: (err as Error).message },
        file: `bench/${file}`,
        ok: false,
        seconds: Math.round((performance.now() - t0) / 100) / 10,
      });
    }
  }
  const stamp = startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify({ startedAt, quick, machine, results: records }, null, 2)}\n`;
  const md = toMarkdown(startedAt, quick, machine, records);
  await writeAtomically(join(resultsDir, `${stamp}.json`), json);
  await writeAtomically(join(resultsDir, `${stamp}.md`), md);
  await writeAtomically(join(resultsDir, 'latest.json'), json);
  await writeAtomically(join(resultsDir, 'latest.md'), md);
  process.stdout.write(`\n${md}\nbench: results in bench/results/${stamp}.{json,md} and latest.{json,md}\n`);
  return records.every((r) => r.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
