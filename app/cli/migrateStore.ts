/**
 * `npm run migrate-store -- --to postgres://… [--data-dir DIR]`: moves an installation from its
 * SQLite file into an empty PostgreSQL database (storage/migrateStore/migrateStore.ts does the
 * work), prints a per-table report and what to do with the files DATA_DIR keeps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { redactUrl } from '../../broker/external/consumer.ts';
import { createLogger } from '../../core/logger.ts';
import { type MigrateReport, migrateStore, type Progress } from '../../storage/migrateStore/migrateStore.ts';
import { processesUsing } from '../../storage/migrateStore/sourceInUse.ts';
import { ACK_KEY_SECRET } from '../stores.ts';
import { runCli, UsageError } from './runCli.ts';

const HELP = `Usage: npm run migrate-store -- --to postgres://user:password@host:5432/db [--data-dir DIR]

Copies a SealWatch installation from SQLite (DIR/sealwatch.db) into an empty PostgreSQL database,
so that it runs with DATABASE_URL from then on: the registry with the sensors' secret hashes and
the tokens, seal state, door history, alerts and their history, the outbox, escalation deadlines,
announcements, everything the schema has. The acknowledge-link key (DIR/ack-link.key) goes along,
so links already sent keep working.

Run it as the service's user, with the service stopped. The copy reads one consistent snapshot,
but what a running service wrote after it would be left behind: migrate-store refuses while a
process has the database open.

It refuses a database where any SealWatch table has rows, and changes nothing there. It creates
the schema as the service does at start, copies in one transaction, then reads every table back
and compares row counts and checksums: on any difference it rolls everything back (the database
stays empty, run it again) and exits 1.

Options:
  --to URL          the PostgreSQL database (the DATABASE_URL the service will use)
  --data-dir DIR    the installation's DATA_DIR (default: $DATA_DIR, else ./data)
  --batch N         rows per INSERT (default 5000)
  -h, --help        this text

Exit codes: 0 moved and checked, 1 refused or failed (nothing kept), 2 a mistake in the command.`;

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        to: { type: 'string' },
        'data-dir': { type: 'string' },
        batch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The acknowledge-link key file (alerting/engine/ackKey.ts) as PostgreSQL's shared secret holds it. */
function readAckKey(dataDir: string): string | null {
  const file = join(dataDir, 'ack-link.key');
  if (!existsSync(file)) return null;
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (key.length < 32)
    throw new UsageError(`${file} holds a key shorter than 32 bytes; the service would refuse it too`);
  return key.toString('base64url');
}

/** Progress on stderr, at most once a second per table, for tables long enough to wait on. */
function progressPrinter(batch: number): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.total <= batch || (now - last < 1_000 && p.done < p.total)) return;
    last = now;
    const pct = p.total ? Math.floor((p.done / p.total) * 100) : 100;
    process.stderr.write(
      `  ${p.phase === 'copy' ? 'copying ' : 'checking'} ${p.table}: ${p.done}/${p.total} (${pct}%)\n`,
    );
  };
}

function printReport(report: MigrateReport): void {
  const width = Math.max(5, ...report.tables.map((t) => t.table.length));
  console.log(
    `${'table'.padEnd(width)}  ${'rows'.padStart(9)}  ${'copy ms'.padStart(8)}  ${'check ms'.padStart(8)}  check`,
  );
  for (const t of report.tables) {
    const verdict = t.ok ? 'ok' : `MISMATCH (SQLite ${t.source}, PostgreSQL ${t.target})`;
    console.log(
      `${t.table.padEnd(width)}  ${String(t.rows).padStart(9)}  ${String(t.copyMs).padStart(8)}  ${String(t.checkMs).padStart(8)}  ${verdict}`,
    );
  }
  const rows = report.tables.reduce((n, t) => n + t.rows, 0);
  console.log(`${report.tables.length} tables, ${rows} rows in ${report.totalMs} ms`);
}

function nextSteps(dataDir: string, url: string, ackKeyCarried: boolean): string {
  return `
Next steps:
  1. Start SealWatch with DATABASE_URL set to the --to URL (${url}); keep DATA_DIR=${dataDir} for the first instance:
     it still holds the admin token and the telemetry spool (points not yet written to InfluxDB).
  2. admin-token: the token is in the database now; each instance registers the one in its own
     DATA_DIR/admin-token at start. Copy ${join(dataDir, 'admin-token')} into the DATA_DIR of every
     further instance (mode 0600: install -m 600 …); an instance started without it issues a new
     initial admin token of its own.
  3. ack-link.key: ${
    ackKeyCarried
      ? 'copied into the database (shared_secrets); instances on PostgreSQL sign and check acknowledge links with it, so links already sent keep working. The file is no longer read; keep it with your backups of the old installation.'
      : 'there was none in this DATA_DIR; the first instance on PostgreSQL makes the shared key. Acknowledge links sent before the move no longer work.'
  }
  4. Keep ${join(dataDir, 'sealwatch.db')} (unchanged) until the new installation has run a while:
     going back is starting the service without DATABASE_URL, losing what happened since.`;
}

async function main(argv: string[]): Promise<number> {
  const values = parseOptions(argv);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.to) throw new UsageError('--to postgres://… is required (see --help)');
  if (!/^postgres(ql)?:\/\//.test(values.to)) throw new UsageError('--to must be a postgres:// URL');
  const batch = values.batch === undefined ? 5_000 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError('--batch must be a positive whole number');
  const dataDir = resolve(values['data-dir'] ?? process.env.DATA_DIR ?? './data');
  const sqliteFile = join(dataDir, 'sealwatch.db');
  const shownUrl = redactUrl(values.to);

  if (!existsSync(sqliteFile)) {
    throw new UsageError(`${sqliteFile} does not exist: is --data-dir the installation's DATA_DIR?`);
  }
  const inUse = processesUsing(sqliteFile);
  if (inUse.known && inUse.pids.length > 0) {
    console.error(
      `migrate-store: ${sqliteFile} is open in process ${inUse.pids.join(', ')}: stop the service first (nothing was copied)`,
    );
    return 1;
  }
  if (!inUse.known)
    console.error('migrate-store: cannot tell whether the service runs: make sure it is stopped');

  const ackKey = readAckKey(dataDir);
  console.log(`Copying ${sqliteFile} into ${shownUrl}`);
  const report = await migrateStore({
    sqliteFile,
    postgresUrl: values.to,
    sharedSecrets: ackKey ? { [ACK_KEY_SECRET]: ackKey } : {},
    logger: createLogger('warn', process.stderr),
    batchRows: batch,
    onProgress: progressPrinter(batch),
  });
  printReport(report);
  if (!report.ok) {
    console.error(
      'migrate-store: PostgreSQL does not hold what SQLite holds (see MISMATCH above): everything was rolled back, the database is empty again',
    );
    return 1;
  }
  console.log(nextSteps(dataDir, shownUrl, ackKey !== null));
  return 0;
}

await runCli('migrate-store', main, { refusal: (err) => `migrate-store: ${err.message}` });
