/**
 * A status line for long runs: rewritten in place on a terminal, printed as periodic plain lines otherwise
 * (CI logs, pipes), so a technician always sees the run is alive.
 */
export interface ProgressOptions {
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** How often a refresh is actually shown. Plain-line output uses a slower cadence to keep logs short. */
  ttyIntervalMs?: number;
  plainIntervalMs?: number;
}

export class ProgressLine {
  readonly #stream: NodeJS.WritableStream;
  readonly #tty: boolean;
  readonly #interval: number;
  #lastShown = 0;
  #pending = '';
  #onScreen = false;

  constructor(options: ProgressOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#tty = Boolean((this.#stream as NodeJS.WriteStream).isTTY);
    this.#interval = this.#tty ? (options.ttyIntervalMs ?? 250) : (options.plainIntervalMs ?? 5000);
  }

  update(text: string, force = false): void {
    this.#pending = text;
    const now = Date.now();
    if (!force && now - this.#lastShown < this.#interval) return;
    this.#lastShown = now;
    if (this.#tty) {
      const width = (this.#stream as NodeJS.WriteStream).columns ?? 120;
      this.#stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, width - 1))}`);
      this.#onScreen = true;
    } else {
      this.#stream.write(`${new Date(now).toISOString()} ${text}\n`);
    }
  }

  /** Prints a permanent line without garbling the status line. */
  println(text: string): void {
    if (this.#tty && this.#onScreen) this.#stream.write('\r\x1b[2K');
    this.#stream.write(`${text}\n`);
    if (this.#tty && this.#onScreen && this.#pending) this.#stream.write(this.#pending);
  }

  /** Leaves the last status on its own line. */
  done(): void {
    if (this.#tty && this.#onScreen) this.#stream.write('\n');
    this.#onScreen = false;
  }
}
