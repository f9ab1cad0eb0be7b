/** A device's secret hash replaced by the same secret's hash in a newer format, if it is still `from`. */
export interface SecretHashUpgrade {
  kind: 'sensor' | 'gateway';
  id: string;
  from: string;
  to: string;
}

interface Pending {
  upgrade: SecretHashUpgrade;
  resolve: (changed: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes re-hashed device secrets in groups. After a restart following the
 * upgrade, thousands of devices log in within seconds, each with a hash to
 * replace; one SQLite transaction (one fsync, on the event loop) each would
 * pace the logins. Upgrades gathered over `gatherMs` go in one transaction
 * instead. Nothing waits for this: a login succeeds on the old hash, and an
 * upgrade lost to a crash is simply made again at the next login.
 */
export class SecretHashUpgrades {
  /** By `kind:id`, in submission order. */
  private readonly pending = new Map<string, Pending>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly write: (upgrades: readonly SecretHashUpgrade[]) => Promise<SecretHashUpgrade[]>,
    private readonly gatherMs = 50,
    private readonly maxGroup = 2000,
  ) {}

  /** Resolves once written: true if the row still had `from` and now has `to`, false if it had changed. */
  submit(upgrade: SecretHashUpgrade): Promise<boolean> {
    // A second login of the same device while its first upgrade waits: the first one stands.
    const key = `${upgrade.kind}:${upgrade.id}`;
    if (this.pending.has(key)) return Promise.resolve(false);
    const done = new Promise<boolean>((resolve, reject) => {
      this.pending.set(key, { upgrade, resolve, reject });
    });
    this.kick();
    return done;
  }

  private kick(): void {
    if (this.running !== null) return;
    this.running = this.run().finally(() => {
      this.running = null;
      // Submitted after the loop saw an empty queue, before this ran.
      if (this.pending.size > 0) this.kick();
    });
  }

  /** Until everything submitted so far is written (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.gatherMs));
      const group: Pending[] = [];
      for (const [key, p] of this.pending) {
        if (group.length === this.maxGroup) break;
        group.push(p);
        this.pending.delete(key);
      }
      try {
        const made = new Set(await this.write(group.map((p) => p.upgrade)));
        for (const p of group) p.resolve(made.has(p.upgrade));
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
  }
}
