/**
 * Is the service still running on the database to be moved? SQLite in WAL mode gives no lock that
 * says so (an idle service holds none a reader would notice), so this asks Linux instead: which
 * processes have the database file or its WAL open (/proc/<pid>/fd, as fuser does). Processes of
 * other users are invisible unless run as root or as the service's user; where /proc cannot be
 * read at all the answer is "unknown", and the operator's "stop the service first" is all there is.
 * The copy is consistent either way (one read snapshot); what a still-running service writes
 * after that snapshot would be left behind, which is why this refuses.
 */
import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export type InUse = { known: true; pids: number[] } | { known: false };

export function processesUsing(file: string): InUse {
  let target: string;
  let pids: string[];
  try {
    target = realpathSync(file);
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return { known: false };
  }
  const paths = new Set([target, `${target}-wal`]);
  const users: number[] = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(join('/proc', pid, 'fd'));
    } catch {
      continue; // another user's process, or gone meanwhile
    }
    const holds = fds.some((fd) => {
      try {
        return paths.has(readlinkSync(join('/proc', pid, 'fd', fd)));
      } catch {
        return false;
      }
    });
    if (holds) users.push(Number(pid));
  }
  return { known: true, pids: users };
}
