/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Neutralise robot-markdown syntax in interpolated values (WeCom, DingTalk, Feishu lark_md). Their
 * dialects differ and none documents backslash escapes reliably, so the active characters are
 * replaced by their full-width forms: an address cannot inject a link, heading or font tag.
 * `_` is left alone because sensor ids contain it.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[[\]()<>*`#|~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))
    .replace(/\r?\n/g, ' ');
}
