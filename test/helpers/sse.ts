/** A minimal SSE client over fetch (so it can send Authorization), for tests. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export function openEventStream(url: string, token: string, lastEventId?: string) {
  const events: SseEvent[] = [];
  const controller = new AbortController();
  const waiters = new Set<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }>();
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const opened = fetch(url, { headers, signal: controller.signal }).then(async (res) => {
    if (!res.ok || !res.body) throw new Error(`SSE answered ${res.status}`);
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const e: SseEvent = { id: null, event: 'message', data: '' };
            for (const line of block.split('\n')) {
              if (line.startsWith('id: ')) e.id = line.slice(4);
              else if (line.startsWith('event: ')) e.event = line.slice(7);
              else if (line.startsWith('data: ')) e.data += line.slice(6);
            }
            if (e.data || e.event !== 'message') {
              events.push(e);
              for (const w of waiters) {
                if (w.match(e)) {
                  waiters.delete(w);
                  w.resolve(e);
                }
              }
            }
            cut = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // Aborted by close().
      }
    })();
    return res.status;
  });
  return {
    events,
    opened,
    next(match: (e: SseEvent) => boolean, timeoutMs = 5_000): Promise<SseEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        waiters.add(w);
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error('no matching event'));
        }, timeoutMs).unref();
      });
    },
    close: () => controller.abort(),
  };
}
