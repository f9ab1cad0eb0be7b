import { invalid, type ServiceError } from '../core/errors.ts';

/** The one refusal of a move that would make the grid a cycle, from the registry and the stores alike. */
export function cycleRefusal(id: string, parentId: string): ServiceError {
  return invalid(`grid node '${id}' cannot move under itself or its own descendant '${parentId}'`);
}
