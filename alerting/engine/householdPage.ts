import { escapeHtml } from '../html.ts';
import type { Locale } from '../notificationTexts.ts';
import type { Page } from './ackFlow.ts';

/**
 * The document around the body of a page a household opens (the one-time announce link, the QR
 * code's page): language, phone viewport, title and the page's own style. No script; the style is
 * inline, as ANNOUNCE_PAGE_HEADERS allow.
 */
export function householdPage(
  status: number,
  o: { locale: Locale; title: string; css: string; body: string },
): Page {
  return {
    status,
    html:
      `<!DOCTYPE html><html lang="${o.locale}"><head><meta charset="utf-8">` +
      '<meta name="viewport" content="width=device-width,initial-scale=1">' +
      `<title>${escapeHtml(o.title)} · SealWatch</title><style>${o.css}</style></head><body>${o.body}</body></html>`,
  };
}
