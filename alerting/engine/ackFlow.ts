import { verifyAckToken } from '../ackLink.ts';
import { type AckPageAlert, type AckPageState, renderAckPage } from '../ackPage.ts';
import type { StoredAlert } from '../alertStore.ts';
import type { Locale } from '../notificationTexts.ts';
import type { AlertEngine } from './alertEngine.ts';

export interface Page {
  status: number;
  html: string;
}

const STATUS: Record<Extract<AckPageState, { kind: 'error' }>['reason'], number> = {
  // A link that does not verify is simply unknown, as on the announce page: 404.
  malformed: 404,
  tampered: 404,
  expired: 410,
  used: 410,
  notFound: 404,
  resolved: 409,
};

/**
 * The one-tap acknowledge link. GET only shows (link scanners and mail pre-fetchers follow GETs);
 * POST acknowledges as the recipient the link was made for, once: the token's nonce is consumed in
 * the same transaction as the acknowledgement.
 */
export class AckFlow {
  constructor(
    private readonly engine: AlertEngine,
    private readonly opts: { key: Buffer; locale: Locale; tz: string; now: () => number },
  ) {}

  async show(token: string): Promise<Page> {
    const checked = await this.check(token);
    if ('page' in checked) return checked.page;
    const { alert } = checked;
    if (alert.status === 'acknowledged') {
      return this.page(200, {
        kind: 'done',
        alert: this.pageAlert(alert),
        ackedAt: alert.ackedAt ?? this.opts.now(),
        ackedByOther: alert.ackedBy,
      });
    }
    return this.page(200, { kind: 'confirm', alert: this.pageAlert(alert) });
  }

  async acknowledge(token: string, note: string | undefined): Promise<Page> {
    const checked = await this.check(token);
    if ('page' in checked) return checked.page;
    const { alert, claims } = checked;
    const wasAcked = alert.status === 'acknowledged';
    const cleanNote = note?.trim().slice(0, 500) || undefined;
    const acked = await this.engine.acknowledge(alert.id, claims.recipientId, cleanNote, {
      nonce: { nonce: claims.nonce, recipientId: claims.recipientId },
    });
    return this.page(200, {
      kind: 'done',
      alert: this.pageAlert(acked),
      ackedAt: acked.ackedAt ?? this.opts.now(),
      ackedByOther: wasAcked ? acked.ackedBy : undefined,
    });
  }

  private async check(
    token: string,
  ): Promise<
    { page: Page } | { alert: StoredAlert; claims: { alertId: string; recipientId: string; nonce: string } }
  > {
    const v = verifyAckToken(token, this.opts.key, this.opts.now());
    if (!v.ok) return { page: this.error(v.reason) };
    if (await this.engine.nonceUsed(v.claims.nonce)) return { page: this.error('used') };
    let alert: StoredAlert;
    try {
      alert = await this.engine.getAlert(v.claims.alertId);
    } catch {
      return { page: this.error('notFound') };
    }
    if (alert.status === 'resolved') return { page: this.error('resolved') };
    return { alert, claims: v.claims };
  }

  private pageAlert(a: StoredAlert): AckPageAlert {
    return {
      title: this.engine.title(a),
      severity: a.severity,
      address: this.engine.addressOf(a) ?? undefined,
      gridPath: this.engine.gridPathNames(a.gridId),
      openedAt: a.openedAt,
    };
  }

  private error(reason: keyof typeof STATUS): Page {
    return this.page(STATUS[reason], { kind: 'error', reason });
  }

  private page(status: number, state: AckPageState): Page {
    return { status, html: renderAckPage({ locale: this.opts.locale, tz: this.opts.tz, state }) };
  }
}
