import { describe, expect, it } from 'vitest';
import { ConnectionLedger, newNodeId, redactRedisUrl, staleWill } from '../../../broker/cluster.ts';

describe('newNodeId', () => {
  it('is readable, unique per start, and safe in Redis keys and $SYS topics', () => {
    const a = newNodeId('seal-node:1/a+b#c', 1);
    const b = newNodeId('seal-node:1/a+b#c', 1);
    expect(a).toMatch(/^seal-node_1_a_b_c-1-[0-9a-f]{6}$/);
    expect(a).not.toBe(b);
    expect(newNodeId('', 7)).toMatch(/^node-7-/);
  });
});

describe('redactRedisUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactRedisUrl('redis://:s3cret@redis:6379/2')).toBe('redis://:***@redis:6379/2');
    expect(redactRedisUrl('rediss://user:s3cret@redis:6380')).toBe('rediss://user:***@redis:6380');
    expect(redactRedisUrl('redis://redis:6379')).toBe('redis://redis:6379');
  });
});

describe('staleWill: wills that would mark a connected device offline', () => {
  /** The will of a connection of node n1 that closed (Aedes' `client.will`, read by aedesInternals.ts). */
  const closedConnectionWill = { stored: null, client: { id: 'd1' }, ofClosedConnection: true };

  it('the will of a connection here, closed because the client id connected to another node', () => {
    const ledger = new ConnectionLedger();
    ledger.connected('d1', 'n1');
    expect(staleWill('n1', ledger, closedConnectionWill)).toBeNull();
    ledger.connected('d1', 'n2');
    expect(staleWill('n1', ledger, closedConnectionWill)).toBe('taken_over');
  });

  it('a connection that simply went away publishes its will', () => {
    const ledger = new ConnectionLedger();
    ledger.connected('d1', 'n1');
    expect(staleWill('n1', ledger, closedConnectionWill)).toBeNull();
    expect(staleWill('n1', ledger, { ...closedConnectionWill, ofClosedConnection: false })).toBeNull();
    expect(staleWill('n1', new ConnectionLedger(), closedConnectionWill)).toBeNull();
  });

  it('a will stored by a node that stopped: published unless the device connected elsewhere since', () => {
    const stored = { stored: { brokerId: 'dead', clientId: 'd1' }, client: null, ofClosedConnection: false };
    const ledger = new ConnectionLedger();
    expect(staleWill('n1', ledger, stored)).toBeNull();
    ledger.connected('d1', 'dead');
    expect(staleWill('n1', ledger, stored)).toBeNull();
    ledger.connected('d1', 'n2');
    expect(staleWill('n1', ledger, stored)).toBe('orphaned');
    ledger.connected('d1', 'n1');
    expect(staleWill('n1', ledger, { ...stored, client: { id: 'd1' } })).toBe('orphaned');
  });

  it('a will this node stored itself is judged as its own connection', () => {
    const ledger = new ConnectionLedger();
    ledger.connected('d1', 'n1');
    expect(
      staleWill('n1', ledger, { ...closedConnectionWill, stored: { brokerId: 'n1', clientId: 'd1' } }),
    ).toBeNull();
  });

  it('the ledger forgets the oldest client ids beyond its bound', () => {
    const ledger = new ConnectionLedger(2);
    ledger.connected('a', 'n1');
    ledger.connected('b', 'n1');
    ledger.connected('a', 'n2');
    ledger.connected('c', 'n1');
    expect(ledger.nodeOf('b')).toBeUndefined();
    expect(ledger.nodeOf('a')).toBe('n2');
    expect(ledger.nodeOf('c')).toBe('n1');
  });
});
