import type { Role } from '../registry/schemas.ts';
import type { SessionRow, User, UserRow } from '../registry/userSchemas.ts';
import type { Row } from './rows.ts';

/** The users' and sessions' SQL, the same for both dialects but for the placeholders. */
export const USER_COLUMNS = 'id, username, role, grid_id, worker_id, created_at, disabled_at';

const nullableNumber = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const userRecord = (r: Row): User => ({
  id: String(r.id),
  username: String(r.username),
  role: r.role as Role,
  gridId: r.grid_id === null ? null : String(r.grid_id),
  workerId: r.worker_id === null ? null : String(r.worker_id),
  createdAt: Number(r.created_at),
  disabledAt: nullableNumber(r.disabled_at),
});

export const userRow = (r: Row): UserRow => ({ ...userRecord(r), passwordHash: String(r.password_hash) });

export const sessionRow = (r: Row): SessionRow => ({
  idHash: String(r.id_hash),
  userId: String(r.user_id),
  csrfToken: String(r.csrf_token),
  createdAt: Number(r.created_at),
  lastSeenAt: Number(r.last_seen_at),
});
