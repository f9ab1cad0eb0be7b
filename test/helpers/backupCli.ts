/**
 * Runs `npm run backup` / `npm run restore` as an administrator would (the same `node --import tsx`
 * command the scripts run), asynchronously, so the test's own sensors keep publishing meanwhile.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(
  name: 'backup' | 'restore',
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, `app/cli/${name}.ts`), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (status) =>
      resolvePromise({ status, stdout, stderr, ms: Math.round(performance.now() - started) }),
    );
  });
}
