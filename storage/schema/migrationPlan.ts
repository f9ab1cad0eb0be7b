/**
 * Which migrations a database needs, from the versions it has applied. Shared by the SQLite and
 * PostgreSQL runners so both decide alike.
 */
import type { Step } from './stepOps.ts';
import { STEPS } from './steps.ts';

/** An entry of a dialect's frozen hand-written history (versions below 100). */
export interface LegacyMigration {
  version: number;
  name: string;
  sql: string;
}

export type MigrationPlan =
  /** An empty database: create the definition's tables, mark every step as applied. */
  | { kind: 'create'; steps: readonly Step[] }
  /** Finish the frozen history (only a database that began with it), then the missing steps. */
  | { kind: 'upgrade'; legacy: LegacyMigration[]; steps: Step[] };

/** Versions below this belong to the frozen hand-written histories. */
export const FIRST_STEP_VERSION = 100;

/** `steps` is STEPS but for tests of the step operations themselves. */
export function planMigrations(
  applied: ReadonlySet<number>,
  legacy: readonly LegacyMigration[],
  steps: readonly Step[] = STEPS,
): MigrationPlan {
  if (applied.size === 0) return { kind: 'create', steps };
  const beganWithLegacy = [...applied].some((v) => v < FIRST_STEP_VERSION);
  return {
    kind: 'upgrade',
    legacy: beganWithLegacy ? legacy.filter((m) => !applied.has(m.version)) : [],
    steps: steps.filter((s) => !applied.has(s.version)),
  };
}
