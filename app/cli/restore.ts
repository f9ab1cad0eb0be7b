/**
 * `npm run restore -- FILE --data-dir DIR`: puts a backup (npm run backup) back into a DATA_DIR, after
 * proving it whole (storage/sqlite/backupRestore.ts). Run it while the service is stopped.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { restoreInstallation } from '../../storage/sqlite/backupRestore.ts';
import { runCli, UsageError } from './runCli.ts';

const HELP = `Usage: npm run restore -- FILE --data-dir DIR [--force]

Restores a backup made by "npm run backup" (or by the scheduled backups in BACKUP_DIR) into
DIR, the DATA_DIR the service will start on. Stop the service first.

Before anything is written, the whole file is checked: each part's size and SHA-256 against
the backup's manifest, and the database with SQLite's integrity check. A damaged or cut-off
file is refused and DIR is left as it was.

DIR must be empty or not exist yet (it is created with mode 0700; the files get 0600).
With --force, what DIR holds is deleted and replaced, once the backup is proved whole.

Options:
  --data-dir DIR   where to restore (required)
  --force          replace the contents of a non-empty DIR
  -q, --quiet      no progress lines
  -h, --help       this text

Exit codes: 0 restored, 1 the restore failed or the file is damaged, 2 a mistake in the
command or DIR is not empty.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      force: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [file, ...more] = positionals;
  if (file === undefined) throw new UsageError('the backup FILE is required');
  if (more.length > 0) throw new UsageError(`unexpected argument '${more[0]}'`);
  if (!values['data-dir']) throw new UsageError('--data-dir DIR is required');
  const dataDir = resolve(values['data-dir']);
  const started = performance.now();
  const result = await restoreInstallation({
    archive: resolve(file),
    dataDir,
    force: values.force === true,
    ...(values.quiet ? {} : { onStage: (stage: string) => process.stderr.write(`${stage}…\n`) }),
  });
  if (result.replaced.length > 0) console.log(`replaced what ${dataDir} held: ${result.replaced.join(', ')}`);
  const ms = Math.round(performance.now() - started);
  console.log(
    `restored the backup of ${result.manifest.createdAt} into ${dataDir} (${result.manifest.files.length} files, ${ms} ms); start the service with DATA_DIR=${dataDir}`,
  );
  return 0;
}

process.umask(0o077);
await runCli('restore', main, {
  refusal: (err) => `restore refused: ${err.message}; nothing was changed`,
  refusalExitCode: (err) => (err.code === 'conflict' ? 2 : 1),
});
