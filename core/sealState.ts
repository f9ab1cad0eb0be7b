/** The live state of one seal, as kept by ingest and read by everyone else. */
export interface SealState {
  sensorId: string;
  door: 'open' | 'closed' | 'unknown';
  online: boolean;
  battery: number | null;
  rssi: number | null;
  tamper: boolean;
  /** Receive time of the last accepted message (epoch ms). */
  lastSeen: number | null;
  /** Device time of the last door change (epoch ms). */
  lastDoorChange: number | null;
  /** Device time of the newest message that reported the door position; older door events do not override it. */
  doorObservedAt: number | null;
  /** The last few device sequence numbers, newest last: duplicates are recognised against them. */
  recentSeqs: number[];
  messages: number;
  updatedAt: number;
}

export const initialSealState = (sensorId: string, now: number): SealState => ({
  sensorId,
  door: 'unknown',
  online: false,
  battery: null,
  rssi: null,
  tamper: false,
  lastSeen: null,
  lastDoorChange: null,
  doorObservedAt: null,
  recentSeqs: [],
  messages: 0,
  updatedAt: now,
});

/** A door or tamper event as kept in the household's door history. */
export interface DoorEventRecord {
  sensorId: string;
  householdId: string;
  type: 'open' | 'close' | 'tamper';
  ts: number;
  receivedAt: number;
  seq: number | null;
  dialect: string;
}
