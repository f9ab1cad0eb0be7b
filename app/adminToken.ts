import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import { SERVICE_ACTOR } from '../registry/auditTrail.ts';
import type { Registry } from '../registry/registry.ts';

/**
 * On first start, issue a whole-grid admin token and write it to
 * DATA_DIR/admin-token (mode 0600). Later starts keep the file; if the
 * database was replaced, the token in the file is registered again so the
 * operator is never locked out.
 *
 * A token in the file that was revoked stays revoked: registering it again
 * would undo a revocation someone meant. The API never revokes the last
 * whole-grid admin token that does not expire, so another admin exists; and
 * whoever can delete the file can start over: a start without the file issues
 * a new initial admin token.
 */
export async function ensureAdminToken(registry: Registry, dataDir: string, logger: Logger): Promise<string> {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) {
    const value = readFileSync(path, 'utf8').trim();
    const known = await registry.tokenRecord(value);
    if (!known) {
      await registry.createToken(
        { role: 'admin', gridId: null, name: 'initial admin' },
        SERVICE_ACTOR,
        value,
      );
      logger.warn({ path }, 'admin token from file was not in the database; registered it again');
    } else if (known.revokedAt !== null) {
      logger.warn(
        { path, tokenId: known.id },
        'the admin token in this file was revoked and stays so; delete the file and restart to issue a new one',
      );
    }
    return value;
  }
  const { value } = await registry.createToken(
    { role: 'admin', gridId: null, name: 'initial admin' },
    SERVICE_ACTOR,
  );
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  logger.info({ path }, 'first start: admin token written; read it from this file');
  return value;
}
