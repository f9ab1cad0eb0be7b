import type { ResidentQrRecord } from '../alerting/residentQrStore.ts';
import type { Row } from './rows.ts';

/** The SQL both dialects share for the households' QR codes; SQLite turns `$n` into `?` (reportRows.ts sqliteParams). */
export const RESIDENT_QR_SQL = {
  revoke: 'UPDATE resident_qr_codes SET revoked_at = $1 WHERE household_id = $2 AND revoked_at IS NULL',
  insert:
    'INSERT INTO resident_qr_codes (token_hash, household_id, created_by, created_at) VALUES ($1, $2, $3, $4)',
  byHash: 'SELECT * FROM resident_qr_codes WHERE token_hash = $1',
  inForce: 'SELECT * FROM resident_qr_codes WHERE household_id = $1 AND revoked_at IS NULL',
  countAnnouncements:
    'SELECT count(*) AS n FROM announcements WHERE household_id = $1 AND start_at >= $2 AND start_at < $3',
} as const;

export const insertQrValues = (c: Omit<ResidentQrRecord, 'revokedAt'>): unknown[] => [
  c.tokenHash,
  c.householdId,
  c.createdBy,
  c.createdAt,
];

export const residentQrOf = (r: Row): ResidentQrRecord => ({
  tokenHash: String(r.token_hash),
  householdId: String(r.household_id),
  createdBy: String(r.created_by),
  createdAt: Number(r.created_at),
  revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
});
