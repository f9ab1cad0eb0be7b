import type { SealState } from '../alertModel.ts';

/**
 * A sensor in commissioning raises nothing and is left out of counts. Half-open like every span:
 * at exactly `commissioningUntil` the sensor is live again.
 */
export function inCommissioning(state: Pick<SealState, 'commissioningUntil'>, now: number): boolean {
  return state.commissioningUntil !== null && now < state.commissioningUntil;
}

/** Default span a technician's "commissioning" lasts before it ends by itself. */
export const COMMISSIONING_MS = 30 * 60_000;

export function commissioningUntil(startedAt: number, spanMs = COMMISSIONING_MS): number {
  return startedAt + spanMs;
}
