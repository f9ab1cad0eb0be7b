import { describe, expect, it } from 'vitest';
import type { SecretHashUpgrade } from '../../../registry/secretHashUpgrades.ts';
import { SecretHashUpgrades } from '../../../registry/secretHashUpgrades.ts';

const up = (id: string, kind: SecretHashUpgrade['kind'] = 'sensor'): SecretHashUpgrade => ({
  kind,
  id,
  from: `scrypt$${id}`,
  to: `$7$101$${id}`,
});

/** The writer as the stores implement it: compare and set, answering the upgrades it made. */
function recordingWriter(stored: Map<string, string>) {
  const calls: string[][] = [];
  const write = async (upgrades: readonly SecretHashUpgrade[]) => {
    calls.push(upgrades.map((u) => u.id));
    return upgrades.filter((u) => {
      if (stored.get(u.id) !== u.from) return false;
      stored.set(u.id, u.to);
      return true;
    });
  };
  return { calls, write };
}

describe('SecretHashUpgrades: grouped writes of re-hashed secrets', () => {
  it('upgrades submitted together go in one write; each learns whether its row changed', async () => {
    const stored = new Map([
      ['a', 'scrypt$a'],
      ['b', 'replaced meanwhile'],
      ['c', 'scrypt$c'],
    ]);
    const { calls, write } = recordingWriter(stored);
    const queue = new SecretHashUpgrades(write, 5);
    const results = await Promise.all([queue.submit(up('a')), queue.submit(up('b')), queue.submit(up('c'))]);
    expect(results).toEqual([true, false, true]);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(stored.get('b')).toBe('replaced meanwhile');
  });

  it('a device submitted twice while waiting is written once', async () => {
    const { calls, write } = recordingWriter(new Map([['a', 'scrypt$a']]));
    const queue = new SecretHashUpgrades(write, 5);
    expect(await Promise.all([queue.submit(up('a')), queue.submit(up('a'))])).toEqual([true, false]);
    expect(calls).toEqual([['a']]);
  });

  it('groups are capped; what arrives during a write goes in the next one', async () => {
    const stored = new Map(['a', 'b', 'c', 'd'].map((id) => [id, `scrypt$${id}`]));
    const { calls, write } = recordingWriter(stored);
    const queue = new SecretHashUpgrades(write, 5, 2);
    const first = ['a', 'b', 'c'].map((id) => queue.submit(up(id)));
    await first[0];
    const late = queue.submit(up('d'));
    await Promise.all([...first, late]);
    await queue.drain();
    expect(calls).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('a failed write rejects its group only; later upgrades are written', async () => {
    let fail = true;
    const queue = new SecretHashUpgrades(async (u) => {
      if (fail) throw new Error('disk full');
      return [...u];
    }, 5);
    await expect(queue.submit(up('a'))).rejects.toThrow('disk full');
    fail = false;
    expect(await queue.submit(up('b'))).toBe(true);
  });
});
