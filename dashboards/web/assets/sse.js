/**
 * Server-sent events over fetch(), because EventSource cannot send the
 * Authorization header. Parses the text/event-stream format itself and
 * reconnects with back-off, resuming with Last-Event-ID.
 */

/** The event-stream format (WHATWG HTML §9.2.6), fed in arbitrary chunks. */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.data = [];
    this.type = '';
    this.lastEventId = null;
    this.retry = null;
    this.afterCR = false;
  }

  /** Returns the events completed by this chunk: `{ id, event, data }`. */
  push(chunk) {
    if (chunk === '') return [];
    // A CR that ended the previous chunk may be the first half of a CRLF.
    if (this.afterCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCR = false;
    this.buffer += chunk;
    const events = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (match[0] === '\r' && this.buffer === '') this.afterCR = true;
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  line(line) {
    if (line === '') {
      const data = this.data;
      const type = this.type || 'message';
      this.data = [];
      this.type = '';
      if (data.length === 0) return null;
      return { id: this.lastEventId, event: type, data: data.join('\n') };
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.type = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }
}

const SILENCE_LIMIT_MS = 45_000; // the server sends a keepalive every 15 s
// A wall screen must come back soon after the service does; ten seconds is the longest wait.
const MAX_BACKOFF_MS = 10_000;

/**
 * Opens the stream and keeps it open. `onEvent(event)` gets each event;
 * `onStatus(state, info)` gets 'connecting' | 'live' | 'reconnecting' | 'unauthorized';
 * `info.resumed` says whether the server could replay from Last-Event-ID;
 * `onActivity()` fires on every chunk, keepalives included, so the page can show it is current.
 */
export function connectEvents({ url, getToken, onEvent, onStatus, onActivity = () => {} }) {
  let stopped = false;
  let lastEventId = null;
  let attempt = 0;
  let baseDelay = 1_000;
  let controller = null;
  let retryTimer = null;
  let silenceTimer = null;

  const armSilence = () => {
    clearTimeout(silenceTimer);
    // A half-open TCP connection never errors: treat a silent stream as dead.
    silenceTimer = setTimeout(() => controller?.abort(), SILENCE_LIMIT_MS);
  };

  async function run() {
    retryTimer = null;
    controller = new AbortController();
    onStatus(attempt === 0 ? 'connecting' : 'reconnecting', {});
    try {
      // A person signed in with the cookie sends no header: the browser adds the cookie.
      const token = getToken();
      const headers = token
        ? { authorization: `Bearer ${token}`, accept: 'text/event-stream' }
        : { accept: 'text/event-stream' };
      if (lastEventId !== null) headers['last-event-id'] = lastEventId;
      armSilence();
      const res = await fetch(url, { headers, signal: controller.signal, cache: 'no-store' });
      if (res.status === 401) {
        clearTimeout(silenceTimer);
        onStatus('unauthorized', {});
        return;
      }
      if (!res.ok || !res.body) throw new Error(`event stream answered ${res.status}`);
      attempt = 0;
      onStatus('live', { resumed: lastEventId !== null });
      const parser = new SseParser();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        armSilence();
        onActivity();
        for (const event of parser.push(value)) {
          if (event.id !== null) lastEventId = event.id;
          try {
            onEvent(event);
          } catch (err) {
            console.error('live event handler failed', event.event, err);
          }
        }
        if (parser.retry !== null) baseDelay = Math.max(500, parser.retry);
        // An id without data (a comment-only frame) still moves the resume point.
        if (parser.lastEventId !== null) lastEventId = parser.lastEventId;
      }
    } catch {
      // Network error or our own abort: reconnect below unless stopped.
    }
    clearTimeout(silenceTimer);
    if (stopped) return;
    attempt++;
    onStatus('reconnecting', {});
    const delay = Math.min(MAX_BACKOFF_MS, baseDelay * 2 ** (attempt - 1));
    retryTimer = setTimeout(run, delay * (0.75 + Math.random() * 0.5));
  }

  const reconnectNow = () => {
    if (stopped || retryTimer === null) return;
    clearTimeout(retryTimer);
    void run();
  };
  window.addEventListener('online', reconnectNow);
  void run();

  return {
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(silenceTimer);
      controller?.abort();
      window.removeEventListener('online', reconnectNow);
    },
  };
}
