import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertStore, OutboxRow, StoredAlert } from '../../../alerting/alertStore.ts';
import type { SmsLedger } from '../../../alerting/notifiers/sms/smsLedger.ts';
import { openPool, type Pool } from '../../../storage/postgres/openPool.ts';
import { PostgresAlertStore } from '../../../storage/postgres/postgresAlertStore.ts';
import { PostgresSmsLedger } from '../../../storage/postgres/smsLedger.ts';
import { SqliteAlertStore } from '../../../storage/sqlite/alertStore.ts';
import { openDatabase } from '../../../storage/sqlite/openDatabase.ts';
import { SqliteSmsLedger } from '../../../storage/sqlite/smsLedger.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

/**
 * The SMS ledger port (alerting/notifiers/sms/smsLedger.ts) against SQLite and a real PostgreSQL:
 * gateway ids recorded per part, receipts summed over the parts onto the outbox row, which the
 * alert's deliveries then show. A fresh database per test on both.
 */
const logger = pino({ level: 'silent' });
const T = Date.parse('2026-12-05T00:03:00Z');

let server: PostgresServer | null = null;
let databases = 0;
const pools: Pool[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sealwatch-sms-ledger-'));

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  for (const p of pools) await p.end();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const BACKENDS: Array<{ name: string; open(): Promise<{ store: AlertStore; ledger: SmsLedger }> }> = [
  {
    name: 'SQLite',
    async open() {
      const db = openDatabase(join(dir, `${++databases}.db`), logger);
      return { store: new SqliteAlertStore(db), ledger: new SqliteSmsLedger(db) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const url = await (server as PostgresServer).createDatabase(`sms_${++databases}`);
      const pool = await openPool(url, logger, { max: 2 });
      pools.push(pool);
      return { store: new PostgresAlertStore(pool), ledger: new PostgresSmsLedger(pool) };
    },
  },
];

const alert: StoredAlert = {
  id: 'a1',
  type: 'breach',
  sensorId: 's1',
  householdId: 'h1',
  gridId: 'g1',
  severity: 'critical',
  status: 'open',
  assignee: 'w1',
  openedAt: T,
  count: 1,
  escalationLevel: 0,
  detail: {},
};

const smsRow = (id: string): OutboxRow => ({
  id,
  alertId: 'a1',
  kind: 'alert',
  channel: 'sms',
  recipientId: 'w1',
  notification: {
    id,
    recipient: { id: 'w1', phone: '13800138000' },
    subject: '开门告警',
    view: { severity: 'critical', title: '开门告警', intro: '', fields: [] },
    data: {},
    sms: {
      text: '开门告警',
      vars: { type: '开门告警', place: 'x', time: '12-05 08:03', code: '417' },
      replyCode: '417',
    },
  },
  status: 'delivered',
  attempts: 1,
  createdAt: T,
  firstAttemptAt: T,
  nextAttemptAt: null,
  deliveredAt: T,
  lastError: null,
});

describe.each(BACKENDS)('SMS ledger contract: $name', (backend) => {
  it('sums part receipts onto the delivery: pending, then delivered once every part is in', async () => {
    const { store, ledger } = await backend.open();
    await store.apply({ alerts: [alert], outbox: [smsRow('o1')] });
    await ledger.recordSubmitted('o1', ['m-1', 'm-2'], T + 1);
    expect(await ledger.recordReceipt('m-1', { outcome: 'delivered', detail: 'DELIVRD' }, T + 2)).toEqual({
      outboxId: 'o1',
      alertId: 'a1',
      recipientId: 'w1',
      receipt: 'pending',
    });
    expect(
      (await ledger.recordReceipt('m-2', { outcome: 'delivered', detail: 'DELIVRD' }, T + 3))?.receipt,
    ).toBe('delivered');
    const [row] = await store.deliveries('a1');
    expect(row?.receipt).toEqual({ status: 'delivered', detail: 'DELIVRD', at: T + 3 });
    // The delivery's own columns are untouched by its receipt.
    expect(row).toMatchObject({ status: 'delivered', deliveredAt: T });
  });

  it('a failed part fails the delivery and keeps its detail; an unknown id finds nothing', async () => {
    const { store, ledger } = await backend.open();
    await store.apply({ alerts: [alert], outbox: [smsRow('o1')] });
    await ledger.recordSubmitted('o1', ['m-1', 'm-2'], T + 1);
    await ledger.recordReceipt('m-1', { outcome: 'failed', detail: 'UNDELIV err:001' }, T + 2);
    await ledger.recordReceipt('m-2', { outcome: 'delivered', detail: 'DELIVRD' }, T + 3);
    const [row] = await store.deliveries('a1');
    expect(row?.receipt).toEqual({ status: 'failed', detail: 'UNDELIV err:001', at: T + 3 });
    expect(await ledger.recordReceipt('nope', { outcome: 'delivered', detail: 'DELIVRD' }, T + 4)).toBeNull();
  });

  it('a retry that is accepted again replaces the parts’ ids; a receipt for the newest id counts', async () => {
    const { store, ledger } = await backend.open();
    await store.apply({ alerts: [alert], outbox: [smsRow('o1')] });
    await ledger.recordSubmitted('o1', ['m-1'], T + 1);
    await ledger.recordSubmitted('o1', ['m-9'], T + 5);
    expect(await ledger.recordReceipt('m-1', { outcome: 'delivered', detail: 'DELIVRD' }, T + 6)).toBeNull();
    expect(
      (await ledger.recordReceipt('m-9', { outcome: 'delivered', detail: 'DELIVRD' }, T + 7))?.receipt,
    ).toBe('delivered');
    const [row] = await store.deliveries('a1');
    expect(row?.notification.sms?.replyCode).toBe('417');
    expect(row?.receipt?.status).toBe('delivered');
  });
});
