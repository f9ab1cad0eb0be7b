/**
 * The layer rules of .dependency-cruiser.cjs (run by `npm run check`) catch what they are meant to catch: each
 * case is a tiny tree in a temporary folder with one forbidden import, cruised with the project's own rules.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../core/projectRoot.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Cruises a tree of `files` (path → source) with the project's rules; returns "rule: from → to" lines. */
async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-layers-'));
  dirs.push(dir);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const options = await extractDepcruiseOptions(join(projectRoot(), '.dependency-cruiser.cjs'));
  // Rule paths are relative to baseDir, as they are to the project's root in `npm run check`.
  const { output } = await cruise(Object.keys(files), {
    ...options,
    baseDir: dir,
    tsConfig: undefined,
    validate: true,
    outputType: 'json',
  });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  it('pass imports that point down the layers', async () => {
    expect(
      await violations({
        'contract/topics.ts': 'export const t = 1;\n',
        'core/clock.ts': 'export const c = 1;\n',
        'registry/registry.ts':
          "import { t } from '../contract/topics.ts';\nimport { c } from '../core/clock.ts';\nexport const r = c + t;\n",
        'alerting/engine.ts': "import { r } from '../registry/registry.ts';\nexport const e = r;\n",
        'storage/store.ts': "import { e } from '../alerting/engine.ts';\nexport const s = e;\n",
        'app/main.ts': "import { s } from '../storage/store.ts';\nexport const m = s;\n",
        'simulator/cli.ts': "import { t } from '../contract/topics.ts';\nexport const x = t;\n",
      }),
    ).toEqual([]);
  });

  it('fail an import that points up a layer (the registry reaching into the API)', async () => {
    expect(
      await violations({
        'api/app.ts': 'export const a = 1;\n',
        'registry/registry.ts': "import { a } from '../api/app.ts';\nexport const r = a;\n",
      }),
    ).toEqual(['layer-registry: registry/registry.ts → api/app.ts']);
  });

  it('fail ingest and alerting importing each other (they meet on the bus)', async () => {
    expect(
      await violations({
        'ingest/pipeline.ts': 'export const p = 1;\n',
        'alerting/engine.ts': "import { p } from '../ingest/pipeline.ts';\nexport const e = p;\n",
      }),
    ).toEqual(['layer-alerting: alerting/engine.ts → ingest/pipeline.ts']);
  });

  it('fail the simulator importing anything but the wire contract', async () => {
    expect(
      await violations({
        'registry/csv.ts': 'export const c = 1;\n',
        'simulator/fleet.ts': "import { c } from '../registry/csv.ts';\nexport const f = c;\n",
      }),
    ).toEqual(['layer-simulator: simulator/fleet.ts → registry/csv.ts']);
  });

  it('fail product code importing bench/ or test/', async () => {
    expect(
      await violations({
        'test/helpers/clock.ts': 'export const h = 1;\n',
        'core/clock.ts': "import { h } from '../test/helpers/clock.ts';\nexport const c = h;\n",
      }),
    ).toEqual([
      'layer-core: core/clock.ts → test/helpers/clock.ts',
      'no-product-imports-of-bench-or-test: core/clock.ts → test/helpers/clock.ts',
    ]);
  });

  it('fail a cycle of imports inside a layer', async () => {
    const found = await violations({
      'core/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'core/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    });
    expect(found).toContain('no-circular: core/a.ts → core/b.ts');
  });
});
