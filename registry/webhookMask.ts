/**
 * A worker's webhook URL holds the robot's key (DingTalk `access_token`, WeCom `key`, Feishu hook id) and
 * often a signing `#secret=`: whoever reads it can post to the group as the robot. So every answer and export
 * shows only where it goes and its last characters, for every role; the stored URL is used for delivery only.
 */
export const MASK = '…';

/** `https://oapi.dingtalk.com/…a1b2`: scheme and host (never user:password@), then the URL's last 4 characters. */
export function maskWebhook(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return MASK;
  }
  const rest = `${u.pathname}${u.search}${u.hash}`;
  // A short path would be half shown by its last 4 characters: then nothing of it.
  return `${u.protocol}//${u.host}/${MASK}${rest.length > 8 ? url.slice(-4) : ''}`;
}
