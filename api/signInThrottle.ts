import { LoginThrottle } from '../broker/loginThrottle.ts';
import type { Clock } from '../core/clock.ts';
import { ServiceError } from '../core/errors.ts';

/**
 * Failed sign-ins on the page, throttled per user name and per client address with the broker's
 * LoginThrottle: after 5 failures for one user name within a minute it is locked for 5 s, doubling
 * with each lockout up to 15 min; an address gets 30 failures a minute (a whole office may sit
 * behind one NAT, and one person guessing many names is still stopped). While locked, a sign-in is
 * refused with 429 and Retry-After, without checking the password: guessing costs the guesser
 * time and us no CPU. Unknown user names are counted like known ones (the answer must not tell
 * which exist). Per instance, in memory: several instances each throttle on their own.
 */
export class SignInThrottle {
  private readonly byName: LoginThrottle;
  private readonly byAddress: LoginThrottle;

  constructor(clock: Clock) {
    this.byName = new LoginThrottle(clock, 5, 60_000);
    this.byAddress = new LoginThrottle(clock, 30, 60_000);
  }

  /** Runs one sign-in attempt under the throttle; `attempt` says whether the password was right. */
  async attempt<T>(
    usernameKey: string,
    address: string,
    attempt: () => Promise<{ ok: boolean; value: T }>,
  ): Promise<T> {
    const name = [`user:${usernameKey}`];
    const addr = [`addr:${address}`];
    if (!this.byName.tryBegin(name, name[0] as string)) throw this.refusal(name, addr);
    if (!this.byAddress.tryBegin(addr, null)) {
      this.byName.finish(name, 'neutral');
      throw this.refusal(name, addr);
    }
    let outcome: 'success' | 'failure' | 'neutral' = 'neutral';
    try {
      const { ok, value } = await attempt();
      outcome = ok ? 'success' : 'failure';
      return value;
    } finally {
      this.byName.finish(name, outcome);
      this.byAddress.finish(addr, outcome);
    }
  }

  private refusal(name: string[], addr: string[]): ServiceError {
    const ms = Math.max(this.byName.lockedForMs(name), this.byAddress.lockedForMs(addr));
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return new ServiceError('too_many_requests', `too many failed sign-ins: try again in ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  }
}
