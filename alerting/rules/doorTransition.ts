import type { SealMessage } from '../../core/sealMessage.ts';
import type { SealState } from '../alertModel.ts';

/**
 * What a message means for the door, given the state before it.
 *
 * - `stale`: device time older than the last accepted door change (out-of-order delivery, a late
 *   QoS 1 redelivery, a replayed buffer). It must not change state nor raise anything.
 * - `duplicate`: same door state at the same device time as the last accepted change.
 * - A door *event* `open` is a transition even when the state already says open: the close in
 *   between was lost, and the sensor only sends events on change. A heartbeat only reports state,
 *   so a heartbeat saying "open" while the state is open is `none` (no new opening).
 * - `unknown` → open counts as an opening (we would rather ask than miss one).
 */
export type DoorTransition =
  | { kind: 'opened'; at: number; via: 'event' | 'heartbeat' }
  | { kind: 'closed'; at: number; via: 'event' | 'heartbeat' }
  | { kind: 'none' }
  | { kind: 'stale' }
  | { kind: 'duplicate' };

export function doorTransition(
  before: Pick<SealState, 'door' | 'lastDoorChange'>,
  msg: SealMessage,
): DoorTransition {
  let door: 'open' | 'closed';
  let via: 'event' | 'heartbeat';
  if (msg.kind === 'door') {
    door = msg.door;
    via = 'event';
  } else if (msg.kind === 'heartbeat' && msg.door !== null) {
    door = msg.door;
    via = 'heartbeat';
  } else {
    return { kind: 'none' };
  }
  const last = before.lastDoorChange;
  if (last !== null && msg.ts < last) return { kind: 'stale' };
  if (last !== null && msg.ts === last && door === before.door) return { kind: 'duplicate' };
  if (door === 'open') {
    if (via === 'heartbeat' && before.door === 'open') return { kind: 'none' };
    return { kind: 'opened', at: msg.ts, via };
  }
  if (before.door === 'closed') return { kind: 'none' };
  return { kind: 'closed', at: msg.ts, via };
}
