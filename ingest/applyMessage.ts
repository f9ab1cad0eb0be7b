import type { SealMessage } from '../core/sealMessage.ts';
import type { DoorEventRecord, SealState } from '../core/sealState.ts';
import { remember } from './dedup.ts';

export interface Applied {
  state: SealState;
  /** What goes into the household's door history, if anything. */
  doorEvent: Omit<DoorEventRecord, 'householdId'> | null;
}

/**
 * The live-state reducer: pure, one message at a time. Door events older than
 * the last door change (out of order, or delayed by a gateway) are kept in the
 * history but do not override the newer state. A heartbeat that reports a
 * different door position than we hold means an event was lost: the
 * heartbeat's position wins and is recorded as a door event, so a missed
 * `open` still reaches the rules.
 */
export function applyMessage(before: SealState, m: SealMessage): Applied {
  const state: SealState = {
    ...before,
    lastSeen: m.receivedAt,
    online: m.kind === 'status' ? m.online : true,
    messages: before.messages + 1,
    updatedAt: m.receivedAt,
    recentSeqs: remember(before.recentSeqs, m.seq, m.ts),
  };
  const history = (type: DoorEventRecord['type']): Applied['doorEvent'] => ({
    sensorId: m.sensorId,
    type,
    ts: m.ts,
    receivedAt: m.receivedAt,
    seq: m.seq,
    dialect: m.dialect,
  });
  const isNewer = before.lastDoorChange === null || m.ts >= before.lastDoorChange;

  switch (m.kind) {
    case 'door': {
      if (isNewer) {
        state.door = m.door;
        state.lastDoorChange = m.ts;
      }
      return { state, doorEvent: history(m.door === 'open' ? 'open' : 'close') };
    }
    case 'tamper':
      state.tamper = true;
      return { state, doorEvent: history('tamper') };
    case 'heartbeat': {
      if (m.battery !== null) state.battery = m.battery;
      if (m.rssi !== null) state.rssi = m.rssi;
      if (m.tamper !== undefined) state.tamper = m.tamper;
      if (m.door !== null && m.door !== before.door && isNewer) {
        state.door = m.door;
        state.lastDoorChange = m.ts;
        return { state, doorEvent: history(m.door === 'open' ? 'open' : 'close') };
      }
      // Dialects without a separate tamper event report it as a flag.
      return { state, doorEvent: m.tamper === true && !before.tamper ? history('tamper') : null };
    }
    case 'status':
      return { state, doorEvent: null };
  }
}
