import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveEntry, extractArchive, writeArchive } from '../../../storage/sqlite/backupArchive.ts';
import { DATABASE_FILE, KEPT_FILES, sha256Of } from '../../../storage/sqlite/backupInstallation.ts';
import { runCli } from '../../helpers/backupCli.ts';
import { startService } from '../../helpers/service.ts';

/**
 * The CLIs as an administrator meets them: what they refuse and say, and that a refused restore changes
 * nothing. One real installation (a service started and stopped) is backed up once; the damaged files are
 * made from that backup.
 */
const work = mkdtempSync(join(tmpdir(), 'sealwatch-backup-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (...parts: string[]) => join(work, ...parts);
let dataDir: string;
let good: string;

const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : null);

beforeAll(async () => {
  const svc = await startService({ keepData: true });
  dataDir = svc.dataDir;
  await svc.stop();
  good = path('good.tar.gz');
  const run = await runCli('backup', ['--out', good, '--data-dir', dataDir]);
  expect(run.stderr).toMatch(/database: \d+\/\d+ pages \(100%\)/);
  expect(run.status).toBe(0);
  return () => rmSync(dataDir, { recursive: true, force: true });
});

/** The good backup's entries, for rewriting one part of it. */
async function entriesOf(archive: string, into: string): Promise<ArchiveEntry[]> {
  mkdirSync(into);
  const entries = await extractArchive(archive, into);
  return entries.map((e) => ({
    name: e.name,
    source: { file: join(into, e.name) },
    bytes: e.bytes,
    mode: 0o600,
  }));
}

async function refusedRestore(archive: string, message: RegExp, status = 1) {
  const target = path(`target-${Math.random().toString(36).slice(2)}`);
  const run = await runCli('restore', [archive, '--data-dir', target]);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).toMatch(/nothing was changed/);
  expect(run.status).toBe(status);
  expect(existsSync(target)).toBe(false);
}

describe('npm run backup', () => {
  it('holds every file of DATA_DIR a restore needs: nothing the service writes is forgotten', async () => {
    const entries = await entriesOf(good, path('listed'));
    const names = entries.map((e) => e.name);
    expect(names[0]).toBe('manifest.json');
    // What a service start leaves in DATA_DIR; the -wal/-shm are SQLite's own (the snapshot has their content).
    const inDataDir = readdirSync(dataDir).filter((n) => !/-(wal|shm)$/.test(n));
    expect(names.slice(1).sort()).toEqual(inDataDir.sort());
    expect(names).toContain(DATABASE_FILE);
    for (const kept of KEPT_FILES.filter((n) => existsSync(join(dataDir, n))))
      expect(readFileSync(join(path('listed'), kept))).toEqual(readFileSync(join(dataDir, kept)));
  });

  it('refuses a PostgreSQL installation, a DATA_DIR without a database, an existing file; --help', async () => {
    const pg = await runCli('backup', ['--out', path('pg.tar.gz'), '--data-dir', dataDir], {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db',
    });
    expect(pg.stderr).toMatch(/PostgreSQL \(DATABASE_URL is set\): use pg_dump/);
    expect(pg.status).toBe(2);
    const empty = path('empty-data');
    mkdirSync(empty);
    const none = await runCli('backup', ['--out', path('none.tar.gz')], { DATA_DIR: empty });
    expect(none.stderr).toMatch(/holds no SealWatch database \(sealwatch\.db\)/);
    expect(none.status).toBe(2);
    const exists = await runCli('backup', ['--out', good, '--data-dir', dataDir]);
    expect(exists.stderr).toMatch(/already exists/);
    expect(exists.status).toBe(2);
    expect(existsSync(path('pg.tar.gz')) || existsSync(path('none.tar.gz'))).toBe(false);
    for (const cli of ['backup', 'restore'] as const) {
      const help = await runCli(cli, ['--help']);
      expect(help.stdout).toMatch(new RegExp(`^Usage: npm run ${cli} --`));
      expect(help.status).toBe(0);
    }
  });
});

describe('npm run restore refuses, and changes nothing', () => {
  it('a file cut short', async () => {
    const bytes = readFileSync(good);
    writeFileSync(path('cut.tar.gz'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await refusedRestore(path('cut.tar.gz'), /incomplete: it ends too early/);
  });

  it('a file with damaged bytes', async () => {
    const bytes = Buffer.from(readFileSync(good));
    for (let i = 200; i < 260; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
    writeFileSync(path('flipped.tar.gz'), bytes);
    await refusedRestore(path('flipped.tar.gz'), /damaged/);
  });

  it('a part that does not match its checksum in the manifest', async () => {
    const entries = await entriesOf(good, path('tampered'));
    const db = join(path('tampered'), DATABASE_FILE);
    const content = readFileSync(db);
    content[content.length - 1] = (content[content.length - 1] as number) ^ 1;
    writeFileSync(db, content);
    await writeArchive(path('tampered.tar.gz'), entries);
    await refusedRestore(path('tampered.tar.gz'), /sealwatch\.db in the backup does not match its checksum/);
  });

  it('a database that fails PRAGMA integrity_check, even with a matching manifest', async () => {
    const entries = await entriesOf(good, path('malformed'));
    const db = join(path('malformed'), DATABASE_FILE);
    const content = readFileSync(db);
    content.fill(0xab, 4096 * 2, 4096 * 3); // one whole b-tree page of garbage
    writeFileSync(db, content);
    const manifest = JSON.parse(readFileSync(join(path('malformed'), 'manifest.json'), 'utf8'));
    for (const f of manifest.files) if (f.name === DATABASE_FILE) f.sha256 = await sha256Of(db);
    writeFileSync(join(path('malformed'), 'manifest.json'), JSON.stringify(manifest));
    entries[0]!.bytes = statSync(join(path('malformed'), 'manifest.json')).size;
    await writeArchive(path('malformed.tar.gz'), entries);
    await refusedRestore(path('malformed.tar.gz'), /the database in the backup is damaged/);
  });

  it('a name that would leave DATA_DIR', async () => {
    const evil = Buffer.from('x');
    await writeArchive(path('escape.tar.gz'), [
      { name: '../escaped', source: { bytes: evil }, bytes: 1, mode: 0o600 },
    ]);
    await refusedRestore(path('escape.tar.gz'), /'\.\.\/escaped' is not a plain relative name/);
    expect(existsSync(path('escaped'))).toBe(false);
  });

  it('a file that is not a backup', async () => {
    writeFileSync(path('notes.txt'), 'hello');
    await refusedRestore(path('notes.txt'), /damaged or not a SealWatch backup/);
  });

  it('a DIR that is not empty (without --force)', async () => {
    const dir = path('occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const run = await runCli('restore', [good, '--data-dir', dir]);
    expect(run.stderr).toMatch(/occupied is not empty \(keep\.txt\).*add --force/);
    expect(run.status).toBe(2);
    expect(listing(dir)).toEqual(['keep.txt']);
  });
});

describe('npm run restore', () => {
  it('into an existing empty DIR: the files, 0700 and 0600', async () => {
    const dir = path('empty-target');
    mkdirSync(dir, { mode: 0o755 });
    const run = await runCli('restore', [good, '--data-dir', dir]);
    expect(run.status).toBe(0);
    expect(listing(dir)).toEqual(
      readdirSync(dataDir)
        .filter((n) => !/-(wal|shm)$/.test(n))
        .sort(),
    );
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600);
  });

  it('with --force replaces what DIR held, the old database journal above all', async () => {
    const dir = path('replaced');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    writeFileSync(
      join(dir, 'sealwatch.db-wal'),
      'a journal that must not be replayed into the restored database',
    );
    const run = await runCli('restore', [good, '--data-dir', dir, '--force']);
    expect(run.stdout).toMatch(/replaced what .* held: keep\.txt, sealwatch\.db-wal/);
    expect(run.status).toBe(0);
    expect(listing(dir)).toEqual(
      readdirSync(dataDir)
        .filter((n) => !/-(wal|shm)$/.test(n))
        .sort(),
    );
    const svc = await startService({ dataDir: dir });
    try {
      expect((await svc.api('GET', '/api/grid')).status).toBe(200);
    } finally {
      await svc.cleanup();
    }
  });
});
