import type { SealMessage } from '../../core/sealMessage.ts';

/** The device time of seq 0 in `heartbeat`'s messages. */
export const HEARTBEAT_T0 = Date.UTC(2026, 0, 10, 2, 0, 0);

/** A native heartbeat, door closed, sent and received `seq` ms after HEARTBEAT_T0: each seq a message of its own. */
export const heartbeat = (sensorId: string, seq: number): SealMessage => ({
  kind: 'heartbeat',
  sensorId,
  dialect: 'native',
  ts: HEARTBEAT_T0 + seq,
  receivedAt: HEARTBEAT_T0 + seq,
  seq,
  door: 'closed',
  battery: 90,
  rssi: -60,
});
