/** What the live routes answer: seal states, door history and the counts per grid node. */
import { z } from 'zod';
import { isoTime, isoTimeOrNull } from './common.ts';

/** A sensor's silence: no alerts from it until `until` (POST /api/sensors/:id/silence). */
export const silenceAnswer = z.object({
  sensorId: z.string(),
  until: isoTime.meta({ description: 'the silence ends by itself then' }),
  reason: z.string(),
  by: z.string().meta({ description: "who silenced it: a user, or a token's name" }),
  createdAt: isoTime,
});

export const sealAnswer = z.object({
  sensorId: z.string(),
  householdId: z.string(),
  gridId: z.string().nullable(),
  address: z.string().nullable(),
  model: z.string(),
  door: z.enum(['open', 'closed', 'unknown']),
  online: z.boolean(),
  armed: z.boolean(),
  battery: z.number().nullable().meta({ description: 'percent, as last reported' }),
  rssi: z.number().nullable().meta({ description: 'dBm, as last reported' }),
  tamper: z.boolean(),
  lastSeen: isoTimeOrNull,
  offlineAfter: z.number().int().meta({
    description: "ms of silence after which this seal is offline: its model's interval × missed heartbeats",
  }),
  offlineAt: isoTimeOrNull.meta({
    description: 'lastSeen + offlineAfter: when it counts as offline if still silent',
  }),
  lastDoorChange: isoTimeOrNull,
  commissioning: z.boolean(),
  silenced: silenceAnswer
    .nullable()
    .meta({ description: 'the silence in force (no alerts from this seal until its end); null: none' }),
});

export const doorEventAnswer = z.object({
  sensorId: z.string(),
  householdId: z.string(),
  type: z.enum(['open', 'close', 'tamper']),
  ts: isoTime.meta({ description: 'the device time (clamped to the receive time when implausible)' }),
  receivedAt: isoTime,
  seq: z.number().nullable(),
  dialect: z.string(),
});

export type DoorEventAnswer = z.input<typeof doorEventAnswer>;

export const doorHistoryAnswer = z.object({ items: z.array(doorEventAnswer) });

const nodeCounts = z.object({
  households: z.number().int(),
  sealed: z.number().int().meta({ description: 'sensors on armed households' }),
  open: z.number().int().meta({ description: 'sealed sensors whose door is open now' }),
  offline: z.number().int(),
  lowBattery: z.number().int(),
  alerts: z.record(z.string(), z.number().int()).meta({ description: 'open alerts by type' }),
});

export const overviewAnswer = z.object({
  rootId: z.string().nullable().meta({ description: 'the root of your scope; null: the whole grid' }),
  generatedAt: isoTime,
  nodes: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      parentId: z.string().nullable(),
      level: z.string(),
      // Absent only for a node added while the counts were being computed (they follow within 5 s).
      counts: nodeCounts.optional().meta({ description: "for the node's whole subtree" }),
    }),
  ),
});
