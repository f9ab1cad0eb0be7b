import type { Logger } from './logger.ts';

/**
 * A small typed, synchronous event bus. Parts meet through events instead of
 * calling each other's internals. A failing handler is logged and does not
 * stop the other handlers or the emitter.
 */
export class EventBus<Events extends { [K in keyof Events]: unknown }> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of set) {
      try {
        (handler as (p: Events[K]) => void)(payload);
      } catch (err) {
        this.logger.error({ err, event: String(event) }, 'event handler failed');
      }
    }
  }
}
