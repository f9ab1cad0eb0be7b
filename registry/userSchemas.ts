/**
 * People who sign in with a user name and a password (the page), as opposed to API tokens
 * (machines). A user has a role and a grid subtree exactly as a token does, and optionally the
 * worker record they are (for the grid worker's own view).
 */
import { z } from 'zod';
import { idSchema, ROLES, type Role } from './schemas.ts';

/** Long enough that guessing online (throttled) or offline (scrypt) is hopeless; said in the error. */
export const PASSWORD_MIN = 10;
/** An upper bound only so that nobody posts a megabyte to the key derivation. */
export const PASSWORD_MAX = 256;

export const usernameSchema = z
  .string()
  .trim()
  .min(2, 'must be 2–64 characters')
  .max(64, 'must be 2–64 characters')
  .regex(/^[\p{L}\p{N}._@-]+$/u, 'letters, digits and . _ @ - only (no spaces)');

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN, `must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `must be at most ${PASSWORD_MAX} characters`);

/**
 * The form a user name is compared in: `Wang.Li` and `wang.li` are one person (case-insensitive,
 * and full-width letters typed on a Chinese keyboard count as their ASCII twins).
 */
export const usernameKey = (username: string): string => username.normalize('NFKC').toLowerCase();

export const createUserBody = z.object({
  username: usernameSchema,
  password: passwordSchema,
  role: z.enum(ROLES),
  /** Root of the user's subtree; null: the whole grid. */
  gridId: idSchema.nullable(),
  /** The worker record this person is, if any. */
  workerId: idSchema.nullable().optional(),
});
export type CreateUser = z.infer<typeof createUserBody>;

export const updateUserBody = z
  .object({
    role: z.enum(ROLES).optional(),
    gridId: idSchema.nullable().optional(),
    workerId: idSchema.nullable().optional(),
    /** A new password (an administrator's reset): the user's sessions end. */
    password: passwordSchema.optional(),
    /** true: the user can no longer sign in and their sessions end; false: enabled again. */
    disabled: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    message: 'nothing to change: give role, gridId, workerId, password or disabled',
  });
export type UpdateUser = z.infer<typeof updateUserBody>;

export const signInBody = z.object({
  // Not the username schema: a sign-in with a malformed name answers as any wrong one does (401).
  username: z.string().max(200),
  password: z.string().max(PASSWORD_MAX),
});

export interface User {
  id: string;
  username: string;
  role: Role;
  gridId: string | null;
  workerId: string | null;
  createdAt: number;
  /** Since when the user may not sign in; null: enabled. */
  disabledAt: number | null;
}

/** As the store keeps it: the password hash never leaves the registry. */
export interface UserRow extends User {
  passwordHash: string;
}

export const publicUser = ({ passwordHash: _, ...user }: UserRow): User => user;

/** A signed-in browser: the session id itself is only in the cookie, the store keeps its hash. */
export interface SessionRow {
  idHash: string;
  userId: string;
  /** Sent back by the page in `x-csrf-token` with every state-changing call. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

/** How long a session lasts: since its last use (idle), and at most since sign-in. */
export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}
