import { describe, expect, it } from 'vitest';
import { type Component, Lifecycle } from '../../../app/lifecycle.ts';
import { createLogger } from '../../../core/logger.ts';

const silent = createLogger('silent');

describe('Lifecycle (app/lifecycle.ts)', () => {
  const part = (name: string, log: string[], failStop = false): Component => ({
    name,
    stop() {
      log.push(`stop ${name}`);
      if (failStop) throw new Error(`${name} would not stop`);
    },
  });

  it('starts parts in order and stops them in reverse', async () => {
    const log: string[] = [];
    const parts = new Lifecycle(silent);
    for (const name of ['storage', 'ingest', 'ingress']) {
      await parts.start(name, () => {
        log.push(`start ${name}`);
        return part(name, log);
      });
    }
    await parts.stopAll();
    expect(log).toEqual([
      'start storage',
      'start ingest',
      'start ingress',
      'stop ingress',
      'stop ingest',
      'stop storage',
    ]);
  });

  it('a part that fails to start stops the ones before it, and its own error is the one thrown', async () => {
    const log: string[] = [];
    const parts = new Lifecycle(silent);
    await parts.start('storage', () => part('storage', log));
    await parts.start('api', () => part('api', log, true));
    await expect(
      parts.start('ingress', async () => {
        throw new Error('port in use');
      }),
    ).rejects.toThrow('port in use');
    expect(log).toEqual(['stop api', 'stop storage']);
  });

  it('stops every part even when one fails to stop, then reports the failure', async () => {
    const log: string[] = [];
    const parts = new Lifecycle(silent);
    await parts.start('storage', () => part('storage', log));
    await parts.start('telemetry', () => part('telemetry', log, true));
    await parts.start('api', () => part('api', log));
    await expect(parts.stopAll()).rejects.toThrow('telemetry would not stop');
    expect(log).toEqual(['stop api', 'stop telemetry', 'stop storage']);
  });
});
