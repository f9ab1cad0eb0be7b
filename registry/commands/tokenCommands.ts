import { randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { type CreateToken, type Role, type Token, tokenStatus } from '../schemas.ts';
import { hashToken, newToken } from '../secrets.ts';
import type { TokenRow } from '../storedRecords.ts';
import { type CommandContext, requireGridNode } from './commandContext.ts';

export interface TokenRevocation {
  result: 'revoked' | 'already_revoked' | 'last_admin';
  /** The token after the call. */
  token: Token;
}

/**
 * What the token commands write and read. Tokens are not in the index: every check reads the store,
 * so a revocation on any instance sharing it counts at once.
 */
export interface TokenStore {
  /** With its audit entry in the same transaction, when given (the commands always give one). */
  insertToken(token: TokenRow, audit?: AuditEntry): Promise<void>;
  findTokenByHash(tokenHash: string): Promise<TokenRow | null>;
  /** One token, revoked and expired ones too; never its hash. null: no such token. */
  tokenById(id: string): Promise<Token | null>;
  /** Every token, revoked and expired ones too, oldest first; never their hashes. */
  listTokens(): Promise<Token[]>;
  /**
   * Marks a token revoked at `at` (a revoked token stays revoked: its first time is kept). The last
   * active, never-expiring whole-grid admin token is not revoked ('last_admin'): checked in the same
   * transaction as the write, so two instances revoking the last two at once cannot both succeed.
   * null: no such token. `audit` makes the entry of a revocation that happened, from the token
   * before and after; it is written in the same transaction.
   */
  revokeToken(
    id: string,
    at: number,
    audit?: (before: Token, after: Token) => AuditEntry,
  ): Promise<TokenRevocation | null>;
  countTokens(role?: Role): Promise<number>;
}

/** API tokens: issued for a role and a grid subtree, checked on every request, revoked. */
export class TokenCommands {
  constructor(private readonly ctx: CommandContext<TokenStore>) {}

  /** Returns the token record and its value; the value is kept only as a hash. */
  async create(
    input: CreateToken,
    actor: Actor,
    value: string = newToken(),
  ): Promise<{ token: Token; value: string }> {
    const { index, store, changes, clock } = this.ctx;
    if (input.gridId !== null) requireGridNode(index, input.gridId);
    const now = clock.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw invalid(`expiresAt: must lie in the future (now is ${new Date(now).toISOString()})`);
    }
    const token: Token = {
      id: randomUUID(),
      name: input.name,
      role: input.role,
      gridId: input.gridId,
      createdAt: now,
      revokedAt: null,
      expiresAt: input.expiresAt ?? null,
    };
    // The entry holds the token's record, never its value or hash.
    await store.insertToken(
      { ...token, tokenHash: hashToken(value) },
      this.audit(actor, 'create', null, token),
    );
    changes.changed('token', token.id);
    return { token, value };
  }

  /** The token a caller presents, if it may be used now: not revoked, not expired. */
  async find(value: string): Promise<Token | null> {
    const token = await this.record(value);
    return token && tokenStatus(token, this.ctx.clock.now()) === 'active' ? token : null;
  }

  /** The token with this value whatever its status (revoked, expired), without its hash. */
  async record(value: string): Promise<Token | null> {
    const row = await this.ctx.store.findTokenByHash(hashToken(value));
    if (!row) return null;
    const { tokenHash: _, ...token } = row;
    return token;
  }

  /** One token whatever its status, without its hash; null: no such token. */
  byId(id: string): Promise<Token | null> {
    return this.ctx.store.tokenById(id);
  }

  /** Every token, revoked and expired ones too, oldest first. */
  list(): Promise<Token[]> {
    return this.ctx.store.listTokens();
  }

  /**
   * Revokes a token: it answers 401 from now on, on every instance, and its MQTT service sessions
   * are closed (the 'registry.changed' removal does that). Revoking a revoked token changes
   * nothing. The last active whole-grid admin token that never expires cannot be revoked: the
   * service would be left with nobody to administer it (issue another one first).
   */
  async revoke(id: string, actor: Actor): Promise<Token> {
    const { store, changes, clock } = this.ctx;
    const outcome = await store.revokeToken(id, clock.now(), (before, after) =>
      this.audit(actor, 'revoke', before, after),
    );
    if (!outcome) throw notFound('token', id);
    if (outcome.result === 'last_admin') {
      throw conflict(
        'this is the last whole-grid admin token that never expires: issue another one (POST /api/tokens) before revoking it',
        { tokenId: id },
      );
    }
    if (outcome.result === 'revoked') changes.changed('token', id, true);
    return outcome.token;
  }

  /** The entry lies at the token's scope (a whole-grid token's: whole-grid readers only). */
  private audit(actor: Actor, action: string, before: Token | null, after: Token): AuditEntry {
    const change = { entity: 'token', entityId: after.id, action, gridId: after.gridId };
    return auditEntry(this.ctx.clock.now(), actor, change, before, after);
  }
}
