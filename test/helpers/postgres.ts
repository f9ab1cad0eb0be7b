import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './serverProcess.ts';

/**
 * A real PostgreSQL (Debian's server binaries) in a temporary directory,
 * listening on 127.0.0.1 and a socket in that directory only, with trust
 * authentication and (unless asked) fsync off.
 *
 * PostgreSQL refuses to run as root. Running as root (a CI container), the
 * helper runs initdb, pg_ctl and the server as an unprivileged user through
 * `runuser -u <user> --` (util-linux, in every Debian): `postgres` when the
 * postgresql package created it, else `nobody`; the temporary directory is
 * given to that user, so os.tmpdir() must be one it can enter (/tmp is). As a
 * normal user it runs them directly.
 *
 * pg_ctl detaches the server: a test run killed before close() leaves it
 * running; `pg_ctl stop -D <dir>/data` (as that user) ends it.
 */

const run = promisify(execFile);

export interface PostgresServer {
  /** postgres:// URL of the database created at start. */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Creates another empty database and returns its URL: a fresh schema per test. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** Name of the database created at start (default `sealwatch`). */
  database?: string;
  /** Keep fsync on (default off: tests need no crash safety; a benchmark comparing commit costs does). */
  fsync?: boolean;
  /** Server libraries to preload (e.g. `pg_stat_statements`, for a benchmark that counts statements). */
  preload?: string[];
}

/** The directory of PostgreSQL's server binaries (the newest installed version), or an error naming the package. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error(
      "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): install the Debian package 'postgresql' (test/setup/install-deps.sh does)",
    );
  }
  return path.join(root, versions[0], 'bin');
}

/** When running as root, the unprivileged user the server runs as. */
async function serverUser(): Promise<string | null> {
  if (process.getuid?.() !== 0) return null;
  const exists = await run('id', ['-u', 'postgres']).then(
    () => true,
    () => false,
  );
  return exists ? 'postgres' : 'nobody';
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = await serverUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealwatch-postgres-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (user) {
    const { stdout } = await run('id', ['-u', user]);
    const { stdout: gid } = await run('id', ['-g', user]);
    fs.chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const tool = (name: string, args: string[]) =>
    user
      ? run('runuser', ['-u', user, '--', path.join(bin, name), ...args])
      : run(path.join(bin, name), args);

  const port = await freePort();
  const superuser = 'sealwatch';
  try {
    await tool('initdb', [
      '-D',
      dataDir,
      '-U',
      superuser,
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    await tool('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      logFile,
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${options.fsync ? '' : ' -F'}${
        options.preload?.length ? ` -c shared_preload_libraries=${options.preload.join(',')}` : ''
      }`,
      'start',
    ]);
  } catch (err) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start (${bin}, as ${user ?? 'the current user'}): ${err}\n${log}`);
  }

  const urlOf = (database: string) => `postgres://${superuser}@127.0.0.1:${port}/${database}`;
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: urlOf('postgres') });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const createDatabase = async (name: string): Promise<string> => {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    await admin(`CREATE DATABASE ${name}`);
    return urlOf(name);
  };

  const database = options.database ?? 'sealwatch';
  let url: string;
  try {
    url = await createDatabase(database);
  } catch (err) {
    await tool('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    port,
    dir,
    createDatabase,
    async close() {
      // fast: clients are disconnected and the server exits at once (nothing to keep with fsync off).
      await tool('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() =>
        tool('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {}),
      );
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
