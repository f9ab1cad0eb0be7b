import { randomBytes } from 'node:crypto';
import { type AuditEntry, auditEntry } from '../auditTrail.ts';
import { verifyAgainstNobody, verifyPassword } from '../passwords.ts';
import { hashToken } from '../secrets.ts';
import { publicUser, type SessionLimits, type SessionRow, type User, usernameKey } from '../userSchemas.ts';
import type { CommandContext } from './commandContext.ts';
import type { UserStore } from './userCommands.ts';

/**
 * Sessions live in the database (table `sessions`), so they survive a restart and every instance
 * sharing PostgreSQL knows them. Only the hash of a session id is stored: someone reading the
 * database cannot sign in with what they read.
 */
export interface SessionStore {
  /**
   * A new session, with its audit entry; sessions idle since before `idleBefore` or created before
   * `createdBefore` are deleted in the same go (housekeeping without a timer).
   */
  insertSession(
    session: SessionRow,
    audit: AuditEntry,
    expired: { idleBefore: number; createdBefore: number },
  ): Promise<void>;
  sessionByHash(idHash: string): Promise<SessionRow | null>;
  touchSession(idHash: string, at: number): Promise<void>;
  /** audit null: an expired session cleared away, nobody ended it. */
  deleteSession(idHash: string, audit: AuditEntry | null): Promise<void>;
}

export type SignIn =
  | { result: 'signedIn'; user: User; sessionId: string; csrfToken: string }
  | { result: 'wrong' }
  | { result: 'disabled' };

export interface ActiveSession {
  user: User;
  csrfToken: string;
  /** When the session ends at the latest (absolute expiry), epoch ms. */
  expiresAt: number;
}

/** Whose session it is, as the audit entry of a sign-in or sign-out names them. */
export type SessionOwner = Pick<User, 'id' | 'username' | 'gridId'>;

/** A session's last use is written at most this often: not one write per request. */
const TOUCH_EVERY_MS = 60_000;

const newRandom = () => randomBytes(32).toString('base64url');

/** Signing in with a user name and a password, and the sessions that come of it. */
export class SessionCommands {
  constructor(private readonly ctx: CommandContext<SessionStore & UserStore>) {}

  /**
   * Checks the password and opens a session. Unknown user and wrong password are one answer
   * ('wrong') and cost the same time (a dummy hash is checked for an unknown user). A disabled
   * user learns so only with the right password.
   */
  async signIn(username: string, password: string, limits: SessionLimits): Promise<SignIn> {
    const { store, clock } = this.ctx;
    const row = await store.userByUsername(usernameKey(username));
    if (!row) {
      await verifyAgainstNobody(password);
      return { result: 'wrong' };
    }
    if (!(await verifyPassword(password, row.passwordHash))) return { result: 'wrong' };
    if (row.disabledAt !== null) return { result: 'disabled' };
    const now = clock.now();
    const sessionId = newRandom();
    const session: SessionRow = {
      idHash: hashToken(sessionId),
      userId: row.id,
      csrfToken: newRandom(),
      createdAt: now,
      lastSeenAt: now,
    };
    await store.insertSession(session, this.audit(row, 'signIn', now), {
      idleBefore: now - limits.idleMs,
      createdBefore: now - limits.maxMs,
    });
    return { result: 'signedIn', user: publicUser(row), sessionId, csrfToken: session.csrfToken };
  }

  /** The session a cookie holds, if it is still good: not idle too long, not too old, user enabled. */
  async find(sessionId: string, limits: SessionLimits): Promise<ActiveSession | null> {
    const { store, clock } = this.ctx;
    const idHash = hashToken(sessionId);
    const session = await store.sessionByHash(idHash);
    if (!session) return null;
    const now = clock.now();
    const user = await store.userById(session.userId);
    if (
      !user ||
      user.disabledAt !== null ||
      now - session.lastSeenAt >= limits.idleMs ||
      now - session.createdAt >= limits.maxMs
    ) {
      await store.deleteSession(idHash, null);
      return null;
    }
    if (now - session.lastSeenAt >= Math.min(TOUCH_EVERY_MS, limits.idleMs / 10))
      await store.touchSession(idHash, now);
    return {
      user: publicUser(user),
      csrfToken: session.csrfToken,
      expiresAt: session.createdAt + limits.maxMs,
    };
  }

  /** Signs out: the session ends on every instance. */
  async signOut(sessionId: string, user: SessionOwner): Promise<void> {
    const { store, clock } = this.ctx;
    await store.deleteSession(hashToken(sessionId), this.audit(user, 'signOut', clock.now()));
  }

  private audit(user: SessionOwner, action: string, at: number): AuditEntry {
    return auditEntry(
      at,
      { name: user.username },
      { entity: 'user', entityId: user.id, action, gridId: user.gridId },
      null,
      null,
    );
  }
}
