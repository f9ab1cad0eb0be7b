import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * An fdatasync of the SQLite WAL file in the thread pool (what SQLite itself
 * calls on Linux for synchronous = FULL). A transaction committed
 * with `synchronous = NORMAL` is in the WAL but not yet on disk; once `sync`
 * resolves it is (Linux fsync flushes the file whatever descriptor asks), as
 * `synchronous = FULL` would have made it, without holding the event loop for
 * the disk. The WAL file keeps its inode for the connection's life (SQLite
 * rewinds it, it does not replace it), so one descriptor serves.
 */
export class WalSync {
  private fd: number | null = null;

  constructor(private readonly walPath: string) {}

  sync(): Promise<void> {
    // The WAL exists once the database has been written in WAL mode: by the first commit at the latest.
    this.fd ??= openSync(this.walPath, 'r+');
    const fd = this.fd;
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
