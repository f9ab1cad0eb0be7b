import QRCode from 'qrcode';
import { type Actor, auditEntry } from '../../registry/auditTrail.ts';
import { hashToken, newSecret } from '../../registry/secrets.ts';
import type { StoredAnnouncement } from '../alertStore.ts';
import { type AnnounceReason, REASON_LABELS } from '../announceReasons.ts';
import { localDayStart } from '../localTime.ts';
import type { Locale } from '../notificationTexts.ts';
import type { ResidentQrRecord, ResidentQrStore } from '../residentQrStore.ts';
import type { AlertEngine } from './alertEngine.ts';
import type { AlertingRegistry } from './ports.ts';
import { QrThrottle } from './qrThrottle.ts';

/** Why a QR code's page refuses (qrPage.ts says it to the resident, the route maps it to a status). */
export type QrRefusal =
  | { kind: 'unknown' }
  | { kind: 'revoked' }
  | { kind: 'ended' }
  | { kind: 'limit'; count: number; limit: number }
  | { kind: 'throttled'; retryAfterSeconds: number };

/** The day so far, as the page shows it: announcements today (any source), the policy's limit, the span. */
export interface QrDay {
  count: number;
  limit: number;
  minutes: number;
}

export type QrView = ({ ok: true } & QrDay) | { ok: false; refusal: QrRefusal };
export type QrAnnounced =
  | ({ ok: true; announcement: StoredAnnouncement } & QrDay)
  | { ok: false; refusal: QrRefusal };

/** Tries per code: 6 in 10 minutes is far more than a household announcing its day's few openings needs. */
const THROTTLE = { limit: 6, windowMs: 10 * 60_000 };

/**
 * A household's reusable QR code (issue 18.6): `${PUBLIC_URL}/qr/<secret>`, printed and kept by the
 * household. Its page announces an opening for the announce span of the household's node, at most
 * the node's opens per day (announcements of any source count), so the code cannot switch the
 * breach alarm off for the day.
 *
 * Only the secret's hash is stored; the URL is shown once, to the staff member who made it. A new
 * code revokes the old one at once. A code works until it is revoked, the household is removed (its
 * codes go with it), or every quarantine of the household has ended (a household with none yet may
 * be given its code ahead).
 */
export class ResidentQrFlow {
  private readonly throttle = new QrThrottle(THROTTLE);
  /** Per household: count-then-announce runs one at a time, so two taps cannot both take the last one. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly engine: Pick<AlertEngine, 'announce' | 'announceMinutesOf' | 'opensPerDayOf'>,
    private readonly store: ResidentQrStore,
    private readonly registry: Pick<AlertingRegistry, 'household' | 'armingInputs'>,
    private readonly opts: { publicUrl: string; locale: Locale; tz: string; now: () => number },
  ) {}

  /** A new code for the household, revoking the one in force; `url` and `qrSvg` are never shown again. */
  async createCode(
    householdId: string,
    gridId: string,
    actor: Actor,
  ): Promise<{ url: string; qrSvg: string; createdAt: number }> {
    const secret = newSecret();
    const createdAt = this.opts.now();
    const code = { tokenHash: hashToken(secret), householdId, createdBy: actor.name, createdAt };
    await this.serially(householdId, async () => {
      const before = await this.store.residentQrOf(householdId);
      const change = { entity: 'residentQr', entityId: householdId, gridId };
      const audit = auditEntry(
        createdAt,
        actor,
        { ...change, action: before ? 'replace' : 'create' },
        before && publicView(before),
        publicView(code),
      );
      await this.store.replaceResidentQr(code, audit);
    });
    const url = `${this.opts.publicUrl.replace(/\/+$/, '')}/qr/${secret}`;
    const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    return { url, qrSvg, createdAt };
  }

  /** What the page shows on GET: changes nothing. */
  async view(secret: string): Promise<QrView> {
    const found = await this.codeInForce(secret);
    if (!found.ok) return found;
    return { ok: true, ...(await this.day(found.code.householdId)) };
  }

  /** Announces an opening now, within the day's limit. `note`: the resident's few words, already checked. */
  async announce(secret: string, reason: AnnounceReason, note: string | undefined): Promise<QrAnnounced> {
    const tokenHash = hashToken(secret);
    const wait = this.throttle.take(tokenHash, this.opts.now());
    if (wait > 0) return { ok: false, refusal: { kind: 'throttled', retryAfterSeconds: wait } };
    const found = await this.codeInForce(secret);
    if (!found.ok) return found;
    const { householdId, createdBy } = found.code;
    return this.serially(householdId, async (): Promise<QrAnnounced> => {
      const day = await this.day(householdId);
      if (day.count >= day.limit) {
        return { ok: false, refusal: { kind: 'limit', count: day.count, limit: day.limit } };
      }
      const now = this.opts.now();
      const label = REASON_LABELS[this.opts.locale][reason];
      const announcement = await this.engine.announce({
        householdId,
        start: now,
        end: now + day.minutes * 60_000,
        reason: note ? `${label}: ${note}` : label,
        by: `resident-qr:${createdBy}`,
      });
      return { ok: true, announcement, ...day, count: day.count + 1 };
    });
  }

  private async codeInForce(
    secret: string,
  ): Promise<{ ok: true; code: ResidentQrRecord } | { ok: false; refusal: QrRefusal }> {
    const code = await this.store.residentQrByHash(hashToken(secret));
    if (!code || !this.registry.household(code.householdId))
      return { ok: false, refusal: { kind: 'unknown' } };
    if (code.revokedAt !== null) return { ok: false, refusal: { kind: 'revoked' } };
    const { quarantines } = this.registry.armingInputs(code.householdId);
    const now = this.opts.now();
    if (quarantines.length > 0 && quarantines.every((q) => q.end !== null && q.end <= now)) {
      return { ok: false, refusal: { kind: 'ended' } };
    }
    return { ok: true, code };
  }

  private async day(householdId: string): Promise<QrDay> {
    const now = this.opts.now();
    const from = localDayStart(now, this.opts.tz);
    // The next local midnight: a day is not always 24 h (DST), so it is found from well past it.
    const to = localDayStart(from + 36 * 60 * 60_000, this.opts.tz);
    return {
      count: await this.store.countAnnouncementsStarting(householdId, from, to),
      limit: this.engine.opensPerDayOf(householdId),
      minutes: this.engine.announceMinutesOf(householdId),
    };
  }

  private serially<T>(householdId: string, job: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(householdId) ?? Promise.resolve();
    const run = previous.then(job, job);
    const settled = run.catch(() => undefined);
    this.queues.set(householdId, settled);
    void settled.then(() => {
      if (this.queues.get(householdId) === settled) this.queues.delete(householdId);
    });
    return run;
  }
}

/** What the audit trail keeps of a code: who made it and when, never its hash. */
const publicView = (c: Pick<ResidentQrRecord, 'householdId' | 'createdBy' | 'createdAt'>) => ({
  householdId: c.householdId,
  createdBy: c.createdBy,
  createdAt: new Date(c.createdAt).toISOString(),
});
