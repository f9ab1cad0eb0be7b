import { type SecretHashUpgrade, SecretHashUpgrades } from '../secretHashUpgrades.ts';
import { hashSecret, needsRehash } from '../secrets.ts';
import type { CommandContext } from './commandContext.ts';

/** What the secret hash upgrades write. */
export interface SecretHashStore {
  /**
   * One transaction. Each row changes only while its hash is still `from` (compare and set): a secret
   * replaced meanwhile, here or by another instance, is never overwritten with the old secret's hash.
   * Returns the upgrades that were made.
   */
  upgradeSecretHashes(upgrades: readonly SecretHashUpgrade[]): Promise<SecretHashUpgrade[]>;
}

/**
 * Device secrets stored in an older hash format move to today's (secrets.ts) at the device's next
 * login. Not a registry change for anyone else (no event, no reload on other instances): the
 * device's secret is the same.
 */
export class SecretHashCommands {
  private readonly upgrades: SecretHashUpgrades;

  constructor(private readonly ctx: CommandContext<SecretHashStore>) {
    this.upgrades = new SecretHashUpgrades((upgrades) => ctx.store.upgradeSecretHashes(upgrades));
  }

  /**
   * After `secret` matched a device's stored hash `verified`: if that hash is in an older format
   * (scrypt), store the secret's hash in today's. Writes are grouped and compare-and-set, so a
   * secret replaced in the meantime is never set back. Resolves true when the new hash was stored.
   */
  async upgrade(id: string, secret: string, verified: string): Promise<boolean> {
    const { index } = this.ctx;
    if (!needsRehash(verified)) return false;
    const row = index.sensorRow(id) ?? index.gatewayRow(id);
    if (row?.secretHash !== verified) return false;
    const kind = index.sensorRow(id) ? 'sensor' : 'gateway';
    const to = await hashSecret(secret);
    if (!(await this.upgrades.submit({ kind, id, from: verified, to }))) return false;
    // The index follows the store only where it still holds the hash that was verified.
    const current = kind === 'sensor' ? index.sensorRow(id) : index.gatewayRow(id);
    if (current?.secretHash === verified) current.secretHash = to;
    return true;
  }

  /** Until the upgrades submitted so far are stored. */
  flush(): Promise<void> {
    return this.upgrades.drain();
  }
}
