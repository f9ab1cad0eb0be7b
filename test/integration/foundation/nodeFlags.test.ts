/**
 * The service warns at start when node was started without one of app/nodeFlags.ts's options (a
 * hand-written unit or container command, say), and is silent when started as `npm start` starts it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from '../../../app/nodeFlags.ts';
import { type RunningService, startService } from '../../helpers/service.ts';

describe('the Node.js options at start', () => {
  let svc: (RunningService & { cleanup(): Promise<void> }) | null = null;
  afterEach(async () => {
    await svc?.cleanup();
    svc = null;
  });

  it('started without them, the service runs and says which are missing, once', async () => {
    svc = await startService({ nodeFlags: [] });
    const warning = await svc.waitForLog((l) => l.code === 'node_flags_missing');
    expect(warning).toMatchObject({ level: 40, missing: [...SERVICE_NODE_FLAGS] });
    expect(String(warning.msg)).toContain('--min-semi-space-size=16');
    expect(String(warning.msg)).toContain('--heap-growing-percent=100');
    expect(svc.logs.filter((l) => typeof l === 'object' && l.code === 'node_flags_missing')).toHaveLength(1);
    expect((await svc.api('GET', '/healthz')).status).toBe(200);
  });

  it('started with them, it says nothing about them', async () => {
    svc = await startService();
    expect((await svc.api('GET', '/healthz')).status).toBe(200);
    expect(svc.logs.some((l) => typeof l === 'object' && l.code === 'node_flags_missing')).toBe(false);
  });
});
