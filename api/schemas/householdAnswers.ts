/** What the grid worker's phone view reads: households with their live state, and a household's timeline. */
import { z } from 'zod';
import { alertAnswer, announcementAnswer } from './alertAnswers.ts';
import { isoTime } from './common.ts';
import { doorEventAnswer, sealAnswer } from './liveAnswers.ts';
import { householdAnswer, quarantineAnswer, windowAnswer } from './registryAnswers.ts';

export const householdStatusAnswer = z.object({
  household: householdAnswer,
  quarantine: quarantineAnswer.nullable().meta({
    description: 'the quarantine in force now, else the next one to start; null: none',
  }),
  announcement: announcementAnswer.nullable().meta({
    description: 'the announced opening in force now (a door opened inside it is not alerted); null: none',
  }),
  seals: z.array(sealAnswer).meta({ description: "the live state of each of the household's seals" }),
  alerts: z
    .array(alertAnswer)
    .meta({ description: 'its unresolved alerts, open before acknowledged, oldest first' }),
});

export const TIMELINE_KINDS = ['door', 'alert', 'quarantine', 'window', 'announcement'] as const;

export const timelineEntryAnswer = z
  .object({
    at: isoTime.meta({
      description: 'when it happened or starts: a door event’s time, an alert’s opening, a span’s start',
    }),
    kind: z.enum(TIMELINE_KINDS),
    door: doorEventAnswer.optional(),
    alert: alertAnswer.optional(),
    quarantine: quarantineAnswer.optional(),
    window: windowAnswer.optional(),
    announcement: announcementAnswer.optional(),
  })
  .meta({ description: 'one entry; the field named by `kind` holds the record' });

export const timelineAnswer = z.object({
  householdId: z.string(),
  items: z.array(timelineEntryAnswer).meta({ description: 'newest first' }),
});
