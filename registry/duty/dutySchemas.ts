/**
 * Duty rosters and absences (issue 17.4). A roster entry puts a worker on duty for a grid node's
 * subtree for a span of time (a night shift, a weekend); an absence says a worker is away (leave,
 * sick) and who covers. Routing reads both (alerting/routing.ts): the on-duty worker is an alert's
 * assignee, and an absent worker's alerts go to the substitute.
 *
 * Times are RFC 3339 with an offset, like quarantines and windows; stored as epoch ms. A span is
 * half-open: [start, end).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { idSchema, scheduleTime } from '../schemas.ts';

const endAfterStart = { message: 'end must be after start', path: ['end'] };

export const createRosterBody = z
  .object({ gridId: idSchema, workerId: idSchema, start: scheduleTime, end: scheduleTime })
  .strict()
  .refine((r) => r.end > r.start, endAfterStart);
export type CreateRoster = z.infer<typeof createRosterBody>;

export const createAbsenceBody = z
  .object({ workerId: idSchema, start: scheduleTime, end: scheduleTime, substituteId: idSchema })
  .strict()
  .refine((a) => a.end > a.start, endAfterStart)
  .refine((a) => a.substituteId !== a.workerId, {
    message: 'the substitute must be someone other than the absent worker',
    path: ['substituteId'],
  });
export type CreateAbsence = z.infer<typeof createAbsenceBody>;

export interface Roster {
  id: string;
  gridId: string;
  workerId: string;
  start: number;
  end: number;
  createdAt: number;
}

export interface Absence {
  id: string;
  workerId: string;
  substituteId: string;
  start: number;
  end: number;
  createdAt: number;
}

export const newRoster = (input: CreateRoster, now: number): Roster => ({
  id: randomUUID(),
  gridId: input.gridId,
  workerId: input.workerId,
  start: input.start,
  end: input.end,
  createdAt: now,
});

export const newAbsence = (input: CreateAbsence, now: number): Absence => ({
  id: randomUUID(),
  workerId: input.workerId,
  substituteId: input.substituteId,
  start: input.start,
  end: input.end,
  createdAt: now,
});

/** True when the half-open span [start, end) holds `at`. */
export const spanCovers = (span: { start: number; end: number }, at: number): boolean =>
  span.start <= at && at < span.end;
