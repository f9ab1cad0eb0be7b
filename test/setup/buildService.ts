import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Tests start the service the way `npm start` does: from the bundle in
 * dist/. Built once per test run (esbuild, well under a second).
 */
export default function buildService(): void {
  execFileSync('npm', ['run', '--silent', 'build'], {
    cwd: resolve(import.meta.dirname, '../..'),
    stdio: 'inherit',
  });
}
