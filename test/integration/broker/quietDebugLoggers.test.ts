import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

/**
 * In a fresh process (the module caches are per process): quiet the loggers, then load mqtt-packet
 * and parse and write one PUBLISH, as Aedes does. Prints what the `debug` mqtt-packet loads hands out.
 */
const child = `
  const { createRequire } = await import('node:module');
  const { PassThrough } = await import('node:stream');
  const { quietDisabledDebugLoggers } = await import(${JSON.stringify(join(root, 'broker/quietDebugLoggers.ts'))});
  quietDisabledDebugLoggers();
  quietDisabledDebugLoggers(); // a second call (createBroker, then the consumer) changes nothing
  const mqtt = (await import('mqtt-packet')).default;
  const publish = { cmd: 'publish', topic: 'seal/s-1/event', payload: Buffer.from('{}'), qos: 1, messageId: 7, retain: false, dup: false };
  const parser = mqtt.parser();
  let parsed = 0;
  parser.on('packet', () => parsed++);
  parser.parse(mqtt.generate(publish));
  mqtt.writeToStream(publish, new PassThrough());
  const debug = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'))('debug');
  const logger = debug('mqtt-packet:parser');
  console.log(JSON.stringify({ parsed, real: 'useColors' in logger, enabled: logger.enabled, namespace: logger.namespace,
    extended: debug('mqtt-packet').extend('parser').namespace, enableIsForwarded: typeof debug.enable === 'function' }));
`;

async function run(
  env: Record<string, string>,
): Promise<{ report: Record<string, unknown>; stderr: string }> {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', child],
    { cwd: root, env: { ...process.env, DEBUG: '', ...env }, timeout: 30_000 },
  );
  return { report: JSON.parse(stdout.trim()) as Record<string, unknown>, stderr };
}

describe('quietDisabledDebugLoggers', () => {
  it('hands mqtt-packet a do-nothing logger for a namespace that is off', async () => {
    const { report, stderr } = await run({});
    expect(report).toEqual({
      parsed: 1,
      real: false,
      enabled: false,
      namespace: 'mqtt-packet:parser',
      extended: 'mqtt-packet:parser',
      enableIsForwarded: true,
    });
    expect(stderr).toBe('');
  });

  it('still logs the namespaces DEBUG names at start, and only those', async () => {
    const { report, stderr } = await run({ DEBUG: 'mqtt-packet:parser', DEBUG_COLORS: 'no' });
    expect(report).toMatchObject({ parsed: 1, real: true, enabled: true });
    expect(stderr).toMatch(/mqtt-packet:parser parse: current state: _parseHeader/);
    // The writer's namespace was not named: its logger is the silent one.
    expect(stderr).not.toMatch(/mqtt-packet:writeToStream/);
  });
});
