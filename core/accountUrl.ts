/**
 * What SMS_URL and VOICE_URL share (core/smsUrl.ts, core/voiceUrl.ts): a URL of one of the known
 * schemes naming an account as user:secret@host, and the query parameters a form needs. Errors are
 * phrased to follow the variable's name ("SMS_URL has no sign=…").
 */
export function accountUrl(
  text: string,
  schemes: readonly string[],
  account: string,
): { url: URL; user: string; secret: string; query: URLSearchParams } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('is not a URL');
  }
  if (!schemes.includes(url.protocol)) {
    const names = schemes.map((s) => s.replace(/:$/, ''));
    throw new Error(`has no scheme ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`);
  }
  const user = decodeURIComponent(url.username);
  const secret = decodeURIComponent(url.password);
  if (!user || !secret) throw new Error(`names no account (${account}@ before the host)`);
  return { url, user, secret, query: url.searchParams };
}

/** A query parameter the form cannot do without; `form` names it in the error. */
export function requiredParam(query: URLSearchParams, name: string, form: string): string {
  const v = query.get(name);
  if (!v) throw new Error(`has no ${name}= (the ${form} form needs it)`);
  return v;
}
