/**
 * Starts Debian's real `mosquitto` for tests of the external-broker mode: a
 * main configuration with persistence in a temporary directory that includes
 * a conf.d directory (where `npm run broker-config -- mosquitto` writes
 * `sealwatch.conf` with the listeners, `acl` and `passwd`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAndWait, requireBinary } from './serverProcess.ts';

export interface RunningMosquitto {
  readonly pid: number;
  /** Everything mosquitto logged (stderr), for failure messages and log assertions. */
  output(): string;
  /** SIGHUP: re-reads the password and ACL files. */
  reload(): Promise<void>;
  stop(): Promise<void>;
  /** Stop and remove its temporary directory. */
  cleanup(): Promise<void>;
}

function binary(): string {
  try {
    return requireBinary('mosquitto', 'mosquitto');
  } catch (err) {
    // Debian installs it to /usr/sbin, which is not on every user's PATH.
    try {
      accessSync('/usr/sbin/mosquitto', constants.X_OK);
      return '/usr/sbin/mosquitto';
    } catch {
      throw err;
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * `includeDir` holds the generated `sealwatch.conf` (its listeners use
 * 127.0.0.1 ports chosen by the test); `waitForPort` is one of them.
 */
export async function startMosquitto(opts: {
  includeDir: string;
  waitForPort: number;
}): Promise<RunningMosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'sealwatch-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      // Started as root (CI containers), mosquitto would switch to the user `mosquitto`, which cannot
      // read the test's 0600 files.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `include_dir ${opts.includeDir}`,
      '',
    ].join('\n'),
  );
  let output = '';
  let child: ChildProcess;
  const launch = async () => {
    child = spawn(binary(), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + 10_000;
    while (!(await accepts(opts.waitForPort))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`mosquitto did not listen on ${opts.waitForPort} within 10 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await launch();

  return {
    get pid() {
      return child.pid ?? 0;
    },
    output: () => output,
    async reload() {
      const before = output.length;
      child.kill('SIGHUP');
      const deadline = Date.now() + 5_000;
      while (!output.slice(before).includes('Reloading config') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    },
    stop: () => killAndWait(child),
    async cleanup() {
      await killAndWait(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
