import type { z } from 'zod';
import { createAbsenceBody, createRosterBody } from '../duty/dutySchemas.ts';
import { gridPolicyRow, POLICY_FIELDS, writtenPolicy } from '../policy/policyFields.ts';
import type { Registry } from '../registry.ts';
import {
  createGridNodeBody,
  createHouseholdBody,
  createQuarantineBody,
  createSensorBody,
  createWindowBody,
  createWorkerBody,
} from '../schemas.ts';
import { maskWebhook } from '../webhookMask.ts';

/**
 * One entry per importable entity: its columns (the export writes the same
 * ones, so an export can be edited and imported elsewhere; webhooks leave masked and must be filled in again), the zod body it
 * must satisfy (the same schema as the API's), and the records to export.
 */
export interface CsvEntity {
  columns: readonly string[];
  /** Columns a file may leave out. */
  optional: readonly string[];
  schema: z.ZodType;
  /** Turns a CSV row (strings) into the body the schema checks: empty cells are absent. */
  toBody(values: Record<string, string>): Record<string, unknown>;
  /** Each row with the grid node that decides who may export it. */
  exportRows(registry: Registry): Array<{ scope: string | null; row: Record<string, unknown> }>;
}

const present = (values: Record<string, string>, keys: readonly string[]) =>
  Object.fromEntries(
    keys.filter((k) => values[k] !== undefined && values[k] !== '').map((k) => [k, values[k]]),
  );

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

export const CSV_ENTITIES = {
  grid: {
    columns: ['id', 'name', 'parentId', 'level'],
    optional: [],
    schema: createGridNodeBody,
    toBody: (v) => ({ ...present(v, ['id', 'name', 'level']), parentId: v.parentId ? v.parentId : null }),
    exportRows: (r) => r.tree.all().map((n) => ({ scope: n.id, row: { ...n } })),
  },
  workers: {
    columns: ['id', 'name', 'gridId', 'role', 'email', 'phone', 'webhook', 'chatUserId'],
    optional: ['email', 'phone', 'webhook', 'chatUserId'],
    schema: createWorkerBody,
    toBody: (v) => present(v, ['id', 'name', 'gridId', 'role', 'email', 'phone', 'webhook', 'chatUserId']),
    // The webhook's URL holds the robot's key: exported masked, and a masked one is refused on import.
    exportRows: (r) =>
      r
        .allWorkers()
        .map((w) => ({ scope: w.gridId, row: { ...w, webhook: w.webhook && maskWebhook(w.webhook) } })),
  },
  households: {
    columns: ['id', 'gridId', 'address', 'contact'],
    optional: ['contact'],
    schema: createHouseholdBody,
    toBody: (v) => present(v, ['id', 'gridId', 'address', 'contact']),
    exportRows: (r) => r.allHouseholds().map((h) => ({ scope: h.gridId, row: { ...h } })),
  },
  sensors: {
    columns: ['id', 'householdId', 'model', 'friendlyName'],
    optional: ['model', 'friendlyName'],
    schema: createSensorBody,
    toBody: (v) => present(v, ['id', 'householdId', 'model', 'friendlyName']),
    exportRows: (r) =>
      r.allSensors().map((s) => ({ scope: r.household(s.householdId)?.gridId ?? null, row: { ...s } })),
  },
  quarantines: {
    columns: ['householdId', 'start', 'end'],
    optional: ['end'],
    schema: createQuarantineBody,
    toBody: (v) => present(v, ['householdId', 'start', 'end']),
    exportRows: (r) =>
      r.allHouseholds().flatMap((h) =>
        r.armingInputs(h.id).quarantines.map((q) => ({
          scope: h.gridId,
          row: { householdId: q.householdId, start: iso(q.start), end: iso(q.end) },
        })),
      ),
  },
  windows: {
    columns: ['gridId', 'householdId', 'start', 'end', 'reason', 'by'],
    optional: ['gridId', 'householdId'],
    schema: createWindowBody,
    toBody: (v) => present(v, ['gridId', 'householdId', 'start', 'end', 'reason', 'by']),
    exportRows: (r) => {
      const seen = new Set<string>();
      return r.allHouseholds().flatMap((h) =>
        r
          .armingInputs(h.id)
          .windows.filter((w) => !seen.has(w.id) && seen.add(w.id))
          .map((w) => ({
            scope: w.gridId ?? h.gridId,
            row: {
              gridId: w.gridId,
              householdId: w.householdId,
              start: iso(w.start),
              end: iso(w.end),
              reason: w.reason,
              by: w.by,
            },
          })),
      );
    },
  },
  // Duty rosters and absences (issue 17.4): times as in the API, RFC 3339 with an offset.
  rosters: {
    columns: ['gridId', 'workerId', 'start', 'end'],
    optional: [],
    schema: createRosterBody,
    toBody: (v) => present(v, ['gridId', 'workerId', 'start', 'end']),
    exportRows: (r) =>
      r.allRosters().map((x) => ({
        scope: x.gridId,
        row: { gridId: x.gridId, workerId: x.workerId, start: iso(x.start), end: iso(x.end) },
      })),
  },
  absences: {
    columns: ['workerId', 'start', 'end', 'substituteId'],
    optional: [],
    schema: createAbsenceBody,
    toBody: (v) => present(v, ['workerId', 'start', 'end', 'substituteId']),
    exportRows: (r) =>
      r.allAbsences().map((a) => ({
        scope: r.worker(a.workerId)?.gridId ?? null,
        row: { workerId: a.workerId, start: iso(a.start), end: iso(a.end), substituteId: a.substituteId },
      })),
  },
  policies: {
    // One row per node that sets a policy: the fields it sets, the empty cells it inherits.
    // escalateAfter is a list in one cell: `5m;15m;30m` (spaces, or commas in a quoted cell, too).
    columns: ['gridId', ...POLICY_FIELDS],
    optional: POLICY_FIELDS,
    schema: gridPolicyRow,
    toBody: (v) => {
      const body: Record<string, unknown> = present(v, [
        'gridId',
        'breachGrace',
        'announceSpan',
        'doorOpenLimit',
      ]);
      for (const f of ['opensPerDay', 'lowBatteryPercent', 'outageMinSilent', 'outageFraction'] as const) {
        const text = v[f];
        if (text !== undefined && text !== '') body[f] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
      }
      if (v.escalateAfter) body.escalateAfter = v.escalateAfter.split(/[;,\s]+/).filter((s) => s !== '');
      return body;
    },
    exportRows: (r) =>
      r.allGridPolicies().map((p) => {
        const written = writtenPolicy(p.fields);
        const steps = written.escalateAfter;
        return {
          scope: p.gridId,
          row: {
            gridId: p.gridId,
            ...written,
            ...(Array.isArray(steps) ? { escalateAfter: steps.join(';') } : {}),
          },
        };
      }),
  },
} satisfies Record<string, CsvEntity>;

export type CsvEntityName = keyof typeof CSV_ENTITIES;
export const isCsvEntity = (name: string): name is CsvEntityName => name in CSV_ENTITIES;
