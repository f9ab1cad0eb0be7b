import type { Logger } from 'pino';
import type { ChannelStep, PlanSeverity } from '../../core/channelPlan.ts';
import type { EventBus } from '../../core/eventBus.ts';
import type { ServiceEvents } from '../../core/events.ts';
import { parseSmsUrl, redactSmsUrl } from '../../core/smsUrl.ts';
import { parseVoiceUrl } from '../../core/voiceUrl.ts';
import { type Clock, DEFAULT_POLICY, type Policy } from '../alertModel.ts';
import type { AlertStore } from '../alertStore.ts';
import type { BackoffOptions } from '../backoff.ts';
import { createDailyReportSchedule, lastDueAt } from '../dailyReportSchedule.ts';
import { localDayKey } from '../localTime.ts';
import type { Locale } from '../notificationTexts.ts';
import { createEmailNotifier } from '../notifiers/email.ts';
import { createSmsChannel } from '../notifiers/sms/createSmsChannel.ts';
import { SmsReplyCodes } from '../notifiers/sms/replyCodes.ts';
import type { SmsChannel } from '../notifiers/sms/smsChannel.ts';
import type { SmsLedger } from '../notifiers/sms/smsLedger.ts';
import type { Notifier } from '../notifiers/types.ts';
import { createVoiceChannel } from '../notifiers/voice/createVoiceChannel.ts';
import type { VoiceChannel } from '../notifiers/voice/voiceChannel.ts';
import { createWebhookNotifier } from '../notifiers/webhook.ts';
import type { ResidentQrStore } from '../residentQrStore.ts';
import { AckFlow } from './ackFlow.ts';
import { AlertEngine, type AlertEngineOptions } from './alertEngine.ts';
import { AnnounceFlow } from './announceFlow.ts';
import { DailyReportArchive } from './dailyReportArchive.ts';
import { DailyReportJob } from './dailyReportJob.ts';
import type { AlertingRegistry, AlertTelemetry, SealStates } from './ports.ts';
import { ResidentQrFlow } from './qrFlow.ts';
import { QrPages } from './qrPage.ts';
import { SmsReplyFlow } from './smsReplyFlow.ts';

export interface AlertingSettings {
  smtpUrl?: string | undefined;
  mailFrom?: string | undefined;
  /** SMS_URL: an SMPP gateway or a cloud SMS account (core/smsUrl.ts). */
  smsUrl?: string | undefined;
  /** VOICE_URL: an Aliyun or Tencent Cloud voice notification account (core/voiceUrl.ts). */
  voiceUrl?: string | undefined;
  /** CHANNEL_PLAN over the built-in plan (core/channelPlan.ts). */
  channelPlan?: Readonly<Record<PlanSeverity, readonly ChannelStep[]>>;
  publicUrl: string;
  tz: string;
  locale: Locale;
  heartbeatIntervalMs: number;
  missedBeats: number;
  escalateAfter: readonly number[];
  dailyReportCron: string;
  ackKey: Buffer;
  policy?: Partial<Policy>;
  backoff?: Partial<BackoffOptions>;
  /** Sweep period; default: half a heartbeat interval, between 250 ms and 5 s. */
  sweepMs?: number;
}

export interface Alerting {
  engine: AlertEngine;
  ack: AckFlow;
  announce: AnnounceFlow;
  /** The households' reusable QR codes and their pages. */
  qr: ResidentQrFlow;
  qrPages: QrPages;
  report: DailyReportJob;
  /** Daily reports by local day: on demand, archived by the schedule, summaries to the robots. */
  reports: DailyReportArchive;
  /** The SMS channel (SMS_URL), for /metrics; null when off. */
  sms: SmsChannel | null;
  /** The voice channel (VOICE_URL), for /metrics; null when off. */
  voice: VoiceChannel | null;
  /** The root's announce span (the environment's), in minutes. */
  announceMinutes: number;
  /** The announce span in force at a household's node, in minutes. */
  announceMinutesOf(householdId: string): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the alerting part: channels, engine, the two link flows and the daily report schedule. */
export function createAlerting(deps: {
  settings: AlertingSettings;
  registry: AlertingRegistry;
  seals: SealStates;
  store: AlertStore;
  bus: EventBus<ServiceEvents>;
  telemetry: AlertTelemetry;
  clock: Clock;
  logger: Logger;
  committedFeed?: AlertEngineOptions['committedFeed'];
  connectBacklog?: AlertEngineOptions['connectBacklog'];
  /** Where the SMS channel keeps its message ids and receipts; needed with SMS_URL. */
  smsLedger?: SmsLedger;
  residentQr: ResidentQrStore;
}): Alerting {
  const { settings: s, clock } = deps;
  const logger = deps.logger.child({ component: 'alerting' });
  const notifiers: Notifier[] = [createWebhookNotifier({ clock })];
  if (s.smtpUrl && s.mailFrom) {
    notifiers.push(createEmailNotifier({ smtpUrl: s.smtpUrl, from: s.mailFrom, lang: s.locale }));
  } else {
    logger.warn(
      'e-mail channel off: set SMTP_URL and MAIL_FROM to send e-mail notifications and daily reports',
    );
  }
  const codes = new SmsReplyCodes();
  let sms: SmsChannel | null = null;
  if (s.smsUrl && deps.smsLedger) {
    sms = createSmsChannel(parseSmsUrl(s.smsUrl), { ledger: deps.smsLedger, clock, logger });
    notifiers.push(sms);
    logger.info({ smsUrl: redactSmsUrl(s.smsUrl) }, 'SMS channel on');
  }
  let voice: VoiceChannel | null = null;
  if (s.voiceUrl && deps.smsLedger) {
    voice = createVoiceChannel(parseVoiceUrl(s.voiceUrl), { ledger: deps.smsLedger, clock, logger });
    notifiers.push(voice);
    logger.info({ voiceUrl: redactSmsUrl(s.voiceUrl) }, 'voice channel on');
  }
  const policy: Policy = {
    ...DEFAULT_POLICY,
    heartbeatIntervalMs: s.heartbeatIntervalMs,
    missedBeats: s.missedBeats,
    ...s.policy,
  };
  const engine = new AlertEngine({
    registry: deps.registry,
    seals: deps.seals,
    store: deps.store,
    bus: deps.bus,
    telemetry: deps.telemetry,
    notifiers,
    clock,
    logger,
    policy,
    escalateAfter: s.escalateAfter,
    ...(s.channelPlan ? { channelPlan: s.channelPlan } : {}),
    tz: s.tz,
    locale: s.locale,
    publicUrl: s.publicUrl,
    ackKey: s.ackKey,
    sweepMs: s.sweepMs ?? Math.min(5_000, Math.max(250, Math.floor(s.heartbeatIntervalMs / 2))),
    ...(deps.committedFeed ? { committedFeed: deps.committedFeed } : {}),
    ...(deps.connectBacklog ? { connectBacklog: deps.connectBacklog } : {}),
    ...(s.backoff ? { backoff: s.backoff } : {}),
    ...(sms ? { smsReplyCodes: codes } : {}),
  });
  const replies = new SmsReplyFlow(engine, deps.registry, codes, logger);
  sms?.onReply((reply) => replies.handle(reply));
  // A key press of 1 in the call acknowledges as the called worker, as the one-tap link does.
  voice?.onAcknowledge(async ({ alertId, recipientId }) => {
    const alert = await engine.getAlert(alertId).catch(() => null);
    if (alert?.status !== 'open') return;
    await engine.acknowledge(alertId, recipientId, 'acknowledged by pressing 1 in the voice call');
    logger.info({ alertId, workerId: recipientId }, 'alert acknowledged by key press in a voice call');
  });
  let releaseCodes: (() => void) | null = null;
  const now = () => clock.now();
  const reportDeps = {
    engine,
    store: deps.store,
    registry: deps.registry,
    locale: s.locale,
    tz: s.tz,
    now,
    logger,
    afterQueue: () => engine.deliverNow(),
  };
  const report = new DailyReportJob({ ...reportDeps, emailOn: notifiers.some((n) => n.channel === 'email') });
  const reports = new DailyReportArchive(reportDeps);
  let schedule: { stop(): Promise<void> } | null = null;
  return {
    engine,
    ack: new AckFlow(engine, { key: s.ackKey, locale: s.locale, tz: s.tz, now }),
    announce: new AnnounceFlow(engine, deps.store, {
      publicUrl: s.publicUrl,
      locale: s.locale,
      tz: s.tz,
      minutesOf: (householdId) => engine.announceMinutesOf(householdId),
      now,
    }),
    qr: new ResidentQrFlow(engine, deps.residentQr, deps.registry, {
      publicUrl: s.publicUrl,
      locale: s.locale,
      tz: s.tz,
      now,
    }),
    qrPages: new QrPages({ locale: s.locale, tz: s.tz }),
    report,
    reports,
    sms,
    voice,
    announceMinutes: policy.announceMinutes,
    announceMinutesOf: (householdId) => engine.announceMinutesOf(householdId),
    async start() {
      if (sms) {
        // Binds in the background: deliveries wait in the outbox while the gateway is down.
        sms.start();
        await holdReplyCodes(deps.store, codes);
        releaseCodes = deps.bus.on('alert.changed', ({ alert, change }) => {
          if (change === 'resolved') codes.release(alert.id);
        });
      }
      await engine.start();
      // start() runs on the alerting owner only (several instances): so does the catch-up.
      const lastDue = lastDueAt(s.dailyReportCron, s.tz, now());
      if (
        await reports.catchUp(lastDue).catch((err) => logger.error({ err }, 'daily report catch-up failed'))
      ) {
        // The e-mail is per run day: only a run missed today is still to send.
        if (lastDue !== null && localDayKey(lastDue, s.tz) === localDayKey(now(), s.tz))
          await report.run(false);
      }
      schedule = createDailyReportSchedule(
        s.dailyReportCron,
        s.tz,
        async (firedAt) => {
          // Independent: the e-mail failing does not keep the archive and robots from their report.
          const done = await Promise.allSettled([report.run(false), reports.runFor(firedAt.getTime())]);
          for (const d of done) if (d.status === 'rejected') throw d.reason;
        },
        (err) => logger.error({ err }, 'daily report failed'),
      );
    },
    async stop() {
      releaseCodes?.();
      await schedule?.stop();
      // Closes the channels too: the SMPP session unbinds.
      await engine.stop();
    },
  };
}

/** The reply codes the SMS of unresolved alerts carry, back in memory after a start. */
async function holdReplyCodes(store: AlertStore, codes: SmsReplyCodes): Promise<void> {
  const open = await store.loadUnresolved();
  for (let i = 0; i < open.length; i += 20) {
    const rows = await Promise.all(open.slice(i, i + 20).map((a) => store.deliveries(a.id)));
    for (const row of rows.flat()) {
      const code = row.notification.sms?.replyCode;
      if (row.channel === 'sms' && row.alertId && code) codes.hold(row.recipientId, row.alertId, code);
    }
  }
}
