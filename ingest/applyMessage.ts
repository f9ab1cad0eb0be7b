import type { SealMessage } from '../core/sealMessage.ts';
import type { DoorEventRecord, SealState } from '../core/sealState.ts';
import { dedupTs, remember, rememberInPlace } from './dedup.ts';

export interface Applied {
  state: SealState;
  /** What goes into the household's door history: usually nothing or one event; a heartbeat may bring a door change and a tamper. */
  doorEvents: readonly Omit<DoorEventRecord, 'householdId'>[];
}

const NO_EVENTS: Applied['doorEvents'] = Object.freeze([]);

function history(m: SealMessage, type: DoorEventRecord['type']): Applied['doorEvents'][number] {
  return { sensorId: m.sensorId, type, ts: m.ts, receivedAt: m.receivedAt, seq: m.seq, dialect: m.dialect };
}

/**
 * The live-state reducer: pure, one message at a time. Door events older than
 * the newest door observation (an event or a heartbeat's position; out of
 * order, or delayed by a gateway) are kept in the history but do not override
 * the newer state. A heartbeat that reports a
 * different door position than we hold means an event was lost: the
 * heartbeat's position wins and is recorded as a door event, so a missed
 * `open` still reaches the rules.
 *
 * `ownsRecentSeqs`: `before` is a state this caller made and nobody else holds; its `recentSeqs` is
 * then extended in place and shared with the result (so `before.recentSeqs` changes too), and the
 * caller trims it (dedup.ts trimWindow) before anyone else sees it.
 */
export function applyMessage(before: SealState, m: SealMessage, ownsRecentSeqs = false): Applied {
  // Every field written out rather than spread from `before`: the spread was one of the hottest
  // lines of the ingest profile (issue 20.1), and SealState has no optional field a literal could miss.
  const state: SealState = {
    sensorId: before.sensorId,
    door: before.door,
    online: m.kind === 'status' ? m.online : true,
    battery: before.battery,
    rssi: before.rssi,
    tamper: before.tamper,
    // A gateway's status relayed for its sensor (ingest/gatewayAvailability.ts) is not a sign of life.
    lastSeen: m.kind === 'status' && m.gatewayId !== undefined ? before.lastSeen : m.receivedAt,
    lastDoorChange: before.lastDoorChange,
    doorObservedAt: before.doorObservedAt,
    // A commit group applying a sensor's second message on (ingestPipeline.ts) owns the array the first
    // one copied: it grows in place, one copy per sensor and group instead of one per message.
    recentSeqs: ownsRecentSeqs
      ? rememberInPlace(before.recentSeqs, m.seq, dedupTs(m))
      : remember(before.recentSeqs, m.seq, dedupTs(m)),
    messages: before.messages + 1,
    updatedAt: m.receivedAt,
  };
  const isNewer = before.doorObservedAt === null || m.ts >= before.doorObservedAt;

  switch (m.kind) {
    case 'door': {
      if (isNewer) {
        if (m.door !== before.door) state.lastDoorChange = m.ts;
        state.door = m.door;
        state.doorObservedAt = m.ts;
      }
      return { state, doorEvents: [history(m, m.door === 'open' ? 'open' : 'close')] };
    }
    case 'tamper':
      state.tamper = true;
      return { state, doorEvents: [history(m, 'tamper')] };
    case 'heartbeat': {
      if (m.battery !== null) state.battery = m.battery;
      if (m.rssi !== null) state.rssi = m.rssi;
      if (m.tamper !== undefined) state.tamper = m.tamper;
      if (m.door !== null && isNewer) state.doorObservedAt = m.ts;
      // Most heartbeats change nothing: they share one empty list (issue 20.1).
      let events: Applied['doorEvents'] = NO_EVENTS;
      if (m.door !== null && m.door !== before.door && isNewer) {
        state.door = m.door;
        state.lastDoorChange = m.ts;
        events = [history(m, m.door === 'open' ? 'open' : 'close')];
      }
      // Dialects without a separate tamper event report it as a flag.
      if (m.tamper === true && !before.tamper) events = [...events, history(m, 'tamper')];
      return { state, doorEvents: events };
    }
    case 'status':
      return { state, doorEvents: NO_EVENTS };
  }
}
