/**
 * `node --import tsx bench/lib/cpuProfileTop.ts <file.cpuprofile> [count] [perMessages]`: the top self-time
 * costs of a V8 CPU profile (`node --cpu-prof`), by function and by module, as a markdown table. With
 * perMessages (the messages the profiled process handled), each row also shows microseconds per message.
 * Relative costs stay meaningful on a loaded machine; absolute ones do not.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A short module name: the package under node_modules, or the path from the repository root. */
function moduleOf(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

export function topCosts(profile: CpuProfile, count: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // Each sample's time delta belongs to the sample before it: attribute deltas[i+1] to samples[i].
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    // Idle is waiting for I/O, not a cost.
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const m = moduleOf(url);
    const key = `${functionName || '(anonymous)'} ${m}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    mod.set(m, (mod.get(m) ?? 0) + us);
  }
  const total = [...mod.values()].reduce((a, b) => a + b, 0);
  const top = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
  return { totalUs: total, functions: top(fn), modules: top(mod) };
}

function main(): void {
  const [file, countArg, perArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: cpuProfileTop.ts <file.cpuprofile> [count] [messages]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { totalUs, functions, modules } = topCosts(profile, Number(countArg ?? 10));
  const messages = perArg ? Number(perArg) : 0;
  const row = ([name, us]: [string, number]) =>
    `| ${name.replaceAll('|', '\\|')} | ${((us / totalUs) * 100).toFixed(1)} % |${messages ? ` ${(us / messages).toFixed(2)} |` : ''}`;
  const head = messages ? '| self | % | µs/msg |\n| --- | --- | --- |' : '| self | % |\n| --- | --- |';
  process.stdout.write(
    `profile: ${(totalUs / 1e6).toFixed(1)} s busy (idle left out)\n\n### functions\n${head}\n`,
  );
  process.stdout.write(`${functions.map(row).join('\n')}\n\n### modules\n${head}\n`);
  process.stdout.write(`${modules.map(row).join('\n')}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) main();
