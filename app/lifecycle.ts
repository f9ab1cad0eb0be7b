/**
 * The one controller of the service's parts: each is started in order (and may use those before it) and the
 * started ones are stopped in reverse, so a part never outlives what it depends on. A start that fails stops
 * what had started before it rethrows, so a failed start leaves no port bound and no file locked.
 */
import type { Logger } from '../core/logger.ts';

/** A started part of the service: stopping it ends its work and releases what it holds. */
export interface Component {
  readonly name: string;
  stop(): Promise<void> | void;
}

export class Lifecycle {
  private readonly started: Component[] = [];

  constructor(private readonly logger: Logger) {}

  /** Runs `startPart` and remembers the part for stopAll(); on failure, stops the ones started before it. */
  async start<T extends Component>(name: string, startPart: () => Promise<T> | T): Promise<T> {
    const begun = performance.now();
    try {
      const part = await startPart();
      this.started.push(part);
      this.logger.debug({ component: name, ms: Math.round(performance.now() - begun) }, 'component started');
      return part;
    } catch (err) {
      this.logger.error({ err, component: name }, 'component failed to start; stopping the others');
      await this.stopAll().catch(() => {}); // already logged; the start's own error is the one to report
      throw err;
    }
  }

  /**
   * Stops every started part, last first. One that fails to stop is logged and the others still stop; the
   * first failure is rethrown at the end, so the process exits as failed.
   */
  async stopAll(): Promise<void> {
    let firstFailure: unknown = null;
    for (let part = this.started.pop(); part; part = this.started.pop()) {
      try {
        await part.stop();
      } catch (err) {
        this.logger.error({ err, component: part.name }, 'component failed to stop');
        firstFailure ??= err;
      }
    }
    if (firstFailure !== null) throw firstFailure;
  }
}
