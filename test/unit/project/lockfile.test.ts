import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm ci` refuses a lock that lacks an optional dependency of a locked
 * package (see test/setup/completeLockfile.mjs), and CI starts with `npm ci`.
 */
describe('package-lock.json', () => {
  it('has an entry for every optional dependency it names, so npm ci accepts it', () => {
    const lock = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../package-lock.json'), 'utf8'));
    const packages = lock.packages as Record<string, { optionalDependencies?: Record<string, string> }>;
    const missing: string[] = [];
    for (const [key, entry] of Object.entries(packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = `${key}/node_modules/${name}`;
        if (!packages[nested] && !packages[`node_modules/${name}`])
          missing.push(`${name} (of ${key || 'the project'})`);
      }
    }
    expect(missing, 'run: node test/setup/completeLockfile.mjs').toEqual([]);
  });
});
