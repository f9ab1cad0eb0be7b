import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingNodeFlags, SERVICE_NODE_FLAGS } from '../../../app/nodeFlags.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');

/** The options between `node` and the bundle in a command line. */
const optionsBeforeBundle = (command: string[]) =>
  command.slice(
    1,
    command.findIndex((a) => a.endsWith('dist/main.js')),
  );

/**
 * Every way the service is started gives node the options of app/nodeFlags.ts (the tests' and the
 * benches' service takes them from there: test/helpers/service.ts), so what is measured is what runs.
 */
describe('the Node.js options the service runs with', () => {
  it('npm start gives them', () => {
    const start = JSON.parse(read('package.json')).scripts.start as string;
    expect(optionsBeforeBundle(start.split(' '))).toEqual([...SERVICE_NODE_FLAGS]);
  });

  it("the Dockerfile's CMD gives them", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(cmd, 'a CMD in exec form').toBeDefined();
    expect(optionsBeforeBundle(JSON.parse(cmd as string))).toEqual([...SERVICE_NODE_FLAGS]);
  });

  it('the systemd unit gives them', () => {
    const execStart = /^ExecStart=(.*)$/m.exec(read('deploy/systemd/sealwatch.service'))?.[1];
    expect(execStart).toBeDefined();
    expect(optionsBeforeBundle((execStart as string).split(' '))).toEqual([...SERVICE_NODE_FLAGS]);
  });

  it('names those missing from what node was started with, and none when all are there', () => {
    expect(missingNodeFlags([])).toEqual([...SERVICE_NODE_FLAGS]);
    expect(missingNodeFlags(['--cpu-prof', ...SERVICE_NODE_FLAGS])).toEqual([]);
    expect(missingNodeFlags(['--enable-source-maps', '--heap-growing-percent=100'])).toEqual([
      '--min-semi-space-size=16',
    ]);
    // Another size is another option: the check is for exactly this one.
    expect(
      missingNodeFlags(['--enable-source-maps', '--min-semi-space-size=8', '--heap-growing-percent=20']),
    ).toEqual(['--min-semi-space-size=16', '--heap-growing-percent=100']);
  });
});
