import type { RunningService } from './service.ts';

/**
 * A `post(path, body)` for a test's set-up: each POST must create (201); it answers the created
 * record, or throws naming the path and what the service said.
 */
export function creating(svc: Pick<RunningService, 'api'>) {
  // biome-ignore lint/suspicious/noExplicitAny: set-ups read the created record loosely, as svc.api does
  return async (path: string, body: unknown): Promise<any> => {
    const answer = await svc.api('POST', path, body);
    if (answer.status !== 201) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
}
