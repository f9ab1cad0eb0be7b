/** What the alert routes answer: alerts with their history and deliveries, announcements, the report run. */
import { z } from 'zod';
import { ALERT_TYPES, OUTCOMES } from '../../alerting/alertModel.ts';
import { isoTime } from './common.ts';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;

/**
 * An enum in the document, a string to TypeScript: alerting's AlertView types these fields as
 * strings, and the tests' response check (api/responseCheck.ts) holds the values to the list.
 */
const words = (values: readonly string[]) => z.enum(values as [string, ...string[]]);

/** An alert as the API, the SSE stream and the live page show it (alerting/engine/alertView.ts). */
export const alertAnswer = z.object({
  id: z.string(),
  type: words(ALERT_TYPES),
  sensorId: z.string().optional(),
  householdId: z.string().optional(),
  gridId: z.string(),
  gatewayId: z.string().optional().meta({
    description: 'an outage of one gateway: the gateway that went silent (its sensors are held back)',
  }),
  severity: words(['critical', 'warning', 'maintenance']),
  status: words(ALERT_STATUSES),
  assignee: z
    .string()
    .nullable()
    .meta({ description: 'the worker responsible now; null: nobody could be routed' }),
  openedAt: isoTime,
  ackedAt: isoTime.optional(),
  ackedBy: z.string().optional(),
  resolvedAt: isoTime.optional(),
  resolvedBy: z.string().optional(),
  outcome: words(OUTCOMES).optional(),
  autoResolveReason: z.string().optional().meta({
    description:
      'why the service closed it itself: backOnline, batteryReplaced, doorClosed, outageOver, sensorRemoved, sensorReplaced',
  }),
  note: z.string().optional(),
  count: z
    .number()
    .int()
    .meta({ description: 'occurrences folded into this alert (opens, tamper events, …)' }),
  escalationLevel: z
    .number()
    .int()
    .meta({ description: '0: the responsible worker; k: k steps up the grid' }),
  nextEscalationAt: isoTime.optional(),
  address: z.string().optional(),
  gridPath: z.array(z.string()).optional().meta({ description: 'grid node names, root first' }),
});

export const alertListAnswer = z.array(alertAnswer);

export const alertDetailAnswer = alertAnswer.extend({
  history: z.array(
    z.object({
      kind: z.string().meta({
        description: 'opened, updated, notified, escalated, acknowledged, resolved, assigned, commented',
      }),
      at: isoTime,
      actor: z.string().meta({ description: "'system' for rule decisions, else who" }),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
  deliveries: z.array(
    z.object({
      id: z.string(),
      channel: z.string().meta({ description: 'email, webhook, sms' }),
      recipientId: z.string(),
      status: z.string().meta({ description: 'pending, sending, delivered, failed, folded' }),
      attempts: z.number().int(),
      createdAt: isoTime,
      deliveredAt: isoTime.optional(),
      nextAttemptAt: isoTime.optional(),
      lastError: z.string().optional(),
      receipt: z
        .object({
          status: z.enum(['delivered', 'failed', 'pending']),
          detail: z
            .string()
            .optional()
            .meta({ description: 'the gateway’s word: DELIVRD, UNDELIV err:001, …' }),
          at: isoTime,
        })
        .optional()
        .meta({ description: 'SMS: what the delivery receipts said, over all parts of the message' }),
    }),
  ),
});

export const announcementAnswer = z.object({
  id: z.string(),
  householdId: z.string(),
  start: isoTime,
  end: isoTime,
  reason: z.string(),
  by: z.string(),
  createdAt: isoTime,
});

export const announceLinkAnswer = z.object({
  url: z.string().meta({ description: 'a one-time page for the household (no token needed)' }),
  expiresAt: isoTime,
});

export const reportRunAnswer = z.object({
  day: z.string().meta({ description: 'the local day reported, YYYY-MM-DD' }),
  reports: z.number().int().meta({ description: 'e-mails sent' }),
  skipped: z.enum(['alreadySent', 'emailOff']).optional(),
});
