/**
 * Paces connection attempts (token bucket, bounded concurrency) so a thousand sensors do not all dial at the
 * same millisecond unless we mean to (a reconnect storm bypasses it on purpose).
 */
export class ConnectQueue {
  readonly #ratePerSec: number;
  readonly #maxInFlight: number;
  readonly #queue: Array<() => Promise<unknown>> = [];
  #inFlight = 0;
  #allowance = 1;
  #last = performance.now();
  #timer: NodeJS.Timeout | null = null;

  constructor(ratePerSec: number, maxInFlight: number) {
    this.#ratePerSec = ratePerSec;
    this.#maxInFlight = maxInFlight;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  push(attempt: () => Promise<unknown>): void {
    this.#queue.push(attempt);
    this.#pump();
  }

  stop(): void {
    this.#queue.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #pump(): void {
    const now = performance.now();
    this.#allowance = Math.min(
      Math.max(1, this.#ratePerSec / 10),
      this.#allowance + ((now - this.#last) / 1000) * this.#ratePerSec,
    );
    this.#last = now;
    while (this.#queue.length > 0 && this.#allowance >= 1 && this.#inFlight < this.#maxInFlight) {
      this.#allowance -= 1;
      this.#inFlight += 1;
      const attempt = this.#queue.shift()!;
      attempt()
        .catch(() => undefined)
        .finally(() => {
          this.#inFlight -= 1;
          this.#pump();
        });
    }
    if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#pump();
      }, 10);
    }
  }
}
