/**
 * `npm run backup -- --out FILE`: one file holding what a restore of this installation needs, taken while
 * the service runs (storage/sqlite/backupInstallation.ts says what is in it and how it stays consistent).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../core/config.ts';
import { backupInstallation, DATABASE_FILE } from '../../storage/sqlite/backupInstallation.ts';
import type { BackupProgress } from '../../storage/sqlite/backupOnline.ts';
import { openDatabaseForBackup } from '../../storage/sqlite/backupOnline.ts';
import { runCli, UsageError } from './runCli.ts';

const HELP = `Usage: npm run backup -- --out FILE [--data-dir DIR]

Takes a backup of a SealWatch installation on SQLite while the service keeps running, into
one file (a .tar.gz; list it with: tar -tzvf FILE). It holds:
  sealwatch.db       the database: registry, sensor secrets (as hashes), alerts, their
                     history and escalation deadlines, the notification outbox
  ack-link.key       the key of the acknowledge links already sent
  admin-token        the initial admin token
  mqtt-client-id     the session id at an external broker (only with MQTT_URL)
  telemetry-spool/   readings not yet written to InfluxDB
  manifest.json      the size and SHA-256 of each of these, checked by the restore

The file contains secrets: keep it where only administrators can read it (it is written
with mode 0600).

Options:
  --out FILE       the backup file to write (must not exist yet; ending in .tar.gz is usual)
  --data-dir DIR   the installation's DATA_DIR (default: $DATA_DIR, as the service reads it,
                   else ./data)
  -q, --quiet      no progress lines
  -h, --help       this text

With DATABASE_URL set the data is in PostgreSQL: back it up with pg_dump instead.
Restore with: npm run restore -- FILE --data-dir DIR

Exit codes: 0 written, 1 the backup failed, 2 a mistake in the command or nothing to back up.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.out) throw new UsageError('--out FILE is required');
  const config = loadConfig(process.env);
  if (config.DATABASE_URL !== undefined)
    throw new UsageError(
      'this installation keeps its data in PostgreSQL (DATABASE_URL is set): use pg_dump to back it up (see the README, "Backup and restore")',
    );
  const dataDir = resolve(values['data-dir'] ?? config.DATA_DIR);
  const database = join(dataDir, DATABASE_FILE);
  if (!existsSync(database))
    throw new UsageError(
      `${dataDir} holds no SealWatch database (${DATABASE_FILE}); give the installation's DATA_DIR with --data-dir`,
    );
  const out = resolve(values.out);
  if (!existsSync(dirname(out)))
    throw new UsageError(`the directory of --out (${dirname(out)}) does not exist`);
  if (existsSync(out)) throw new UsageError(`${out} already exists; choose another name`);

  const started = performance.now();
  const source = openDatabaseForBackup(database);
  try {
    const result = await backupInstallation({
      dataDir,
      source,
      outFile: out,
      now: new Date(),
      ...(values.quiet ? {} : { onProgress: progressPrinter() }),
    });
    const ms = Math.round(performance.now() - started);
    console.log(
      `backup written: ${result.file} (${result.bytes} bytes; database ${result.totalPages} pages; ${result.manifest.files.length} files; ${ms} ms)`,
    );
    return 0;
  } finally {
    source.close();
  }
}

/** Progress lines on stderr: pages done / total, at most one per 10 % (one line in place on a terminal). */
function progressPrinter(): (p: BackupProgress) => void {
  const tty = process.stderr.isTTY;
  let shown = -1;
  let restartsShown = 0;
  return ({ totalPages, donePages, restarts }) => {
    const percent = totalPages === 0 ? 100 : Math.floor((donePages / totalPages) * 100);
    const bucket = tty ? percent : Math.floor(percent / 10) * 10;
    if (bucket === shown && restarts === restartsShown) return;
    const note =
      restarts > restartsShown ? ' (the service wrote meanwhile: copying again in larger steps)' : '';
    shown = bucket;
    restartsShown = restarts;
    const line = `database: ${donePages}/${totalPages} pages (${percent}%)${note}`;
    if (tty) process.stderr.write(`\r${line}${percent === 100 ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
}

// The staging copies and the backup file hold secrets: for this user only, as the service's files are.
process.umask(0o077);
await runCli('backup', main, { refusal: (err) => `backup failed: ${err.message}` });
