import type { AuditEntry } from '../registry/auditTrail.ts';

/** One QR code of a household, as stored: the hash of its URL's secret, never the secret. */
export interface ResidentQrRecord {
  tokenHash: string;
  householdId: string;
  createdBy: string;
  createdAt: number;
  /** When a newer code replaced it; null while it is the household's code in force. */
  revokedAt: number | null;
}

/**
 * The households' reusable QR codes (engine/qrFlow.ts), implemented on SQLite
 * (storage/sqlite/residentQrStore.ts) and PostgreSQL (storage/postgres/residentQrStore.ts).
 */
export interface ResidentQrStore {
  /**
   * One transaction: the household's code in force is revoked (at the new one's `createdAt`), the
   * new one stored, and the audit entry written.
   */
  replaceResidentQr(code: Omit<ResidentQrRecord, 'revokedAt'>, audit: AuditEntry): Promise<void>;
  residentQrByHash(tokenHash: string): Promise<ResidentQrRecord | undefined>;
  /** The household's code in force, if it has one. */
  residentQrOf(householdId: string): Promise<ResidentQrRecord | undefined>;
  /** How many openings were announced for the household (by anyone) starting in [from, to). */
  countAnnouncementsStarting(householdId: string, from: number, to: number): Promise<number>;
}
