import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { hashPassword } from '../passwords.ts';
import { type CreateUser, publicUser, type UpdateUser, type User, type UserRow } from '../userSchemas.ts';
import { type CommandContext, requireGridNode } from './commandContext.ts';

/**
 * What the user commands write and read. Users are not in the in-memory index: like tokens, every
 * check reads the store, so a change on one instance counts at once on all that share it. Each
 * change is written with its audit entry in one transaction.
 */
export interface UserStore {
  /** false: the user name (compared case-insensitively, usernameKey) is taken; nothing is written. */
  insertUser(user: UserRow, audit: AuditEntry): Promise<boolean>;
  userById(id: string): Promise<UserRow | null>;
  /** By usernameKey(username). */
  userByUsername(key: string): Promise<UserRow | null>;
  /** Every user, disabled ones too, oldest first; never their hashes. */
  listUsers(): Promise<User[]>;
  /** Role, grid, worker, password hash and disabled; `endSessions`: the user's sessions go with it. */
  updateUser(user: UserRow, audit: AuditEntry, endSessions: boolean): Promise<void>;
  /** The user and their sessions. */
  deleteUser(id: string, audit: AuditEntry): Promise<void>;
  /** Ends every session of the user; how many there were. */
  deleteUserSessions(userId: string, audit: AuditEntry): Promise<number>;
  /** Users (disabled ones too) scoped to a grid node: they hold it. */
  countUsersAt(gridId: string): Promise<number>;
}

/** People who sign in: created, changed (role, scope, password reset, disabled), removed. */
export class UserCommands {
  constructor(private readonly ctx: CommandContext<UserStore>) {}

  async create(input: CreateUser, actor: Actor): Promise<User> {
    const { store, clock } = this.ctx;
    this.requireReferences(input.gridId, input.workerId ?? null);
    const row: UserRow = {
      id: randomUUID(),
      username: input.username,
      role: input.role,
      gridId: input.gridId,
      workerId: input.workerId ?? null,
      createdAt: clock.now(),
      disabledAt: null,
      passwordHash: await hashPassword(input.password),
    };
    const user = publicUser(row);
    const audit = auditEntry(clock.now(), actor, this.change(row.id, 'create', user), null, user);
    if (!(await store.insertUser(row, audit)))
      throw conflict(`user name '${input.username}' is taken (user names ignore case)`, {
        username: input.username,
      });
    this.ctx.changes.changed('user', row.id);
    return user;
  }

  async byId(id: string): Promise<User | null> {
    const row = await this.ctx.store.userById(id);
    return row ? publicUser(row) : null;
  }

  list(): Promise<User[]> {
    return this.ctx.store.listUsers();
  }

  /**
   * A new role, scope or worker, a password reset, disabling or enabling. A new password, a
   * disabled user and a narrower role or scope all end the user's sessions: whoever holds one signs
   * in again under the new terms (or not at all).
   */
  async update(id: string, change: UpdateUser, actor: Actor): Promise<User> {
    const { store, clock } = this.ctx;
    const old = await this.row(id);
    const gridId = change.gridId === undefined ? old.gridId : change.gridId;
    const workerId = change.workerId === undefined ? old.workerId : change.workerId;
    this.requireReferences(gridId, workerId);
    const now = clock.now();
    const row: UserRow = {
      ...old,
      role: change.role ?? old.role,
      gridId,
      workerId,
      disabledAt:
        change.disabled === undefined ? old.disabledAt : change.disabled ? (old.disabledAt ?? now) : null,
      passwordHash: change.password === undefined ? old.passwordHash : await hashPassword(change.password),
    };
    const endSessions =
      change.password !== undefined ||
      (row.disabledAt !== null && old.disabledAt === null) ||
      row.role !== old.role ||
      row.gridId !== old.gridId;
    const before = publicUser(old);
    const after = publicUser(row);
    // The audit says that the password was reset, never the password or its hash.
    const audited = change.password === undefined ? after : { ...after, passwordReset: true };
    await store.updateUser(
      row,
      auditEntry(now, actor, this.change(id, 'update', before, after), before, audited),
      endSessions,
    );
    this.ctx.changes.changed('user', id);
    if (endSessions) this.ctx.changes.changed('session', id, true);
    return after;
  }

  /** Removes the user and ends their sessions; what they did stays in the history under their name. */
  async delete(id: string, actor: Actor): Promise<User> {
    const { store, clock } = this.ctx;
    const user = publicUser(await this.row(id));
    await store.deleteUser(id, auditEntry(clock.now(), actor, this.change(id, 'delete', user), user, null));
    this.ctx.changes.changed('user', id, true);
    this.ctx.changes.changed('session', id, true);
    return user;
  }

  /** Signs the user out everywhere (a lost phone, a shift handed over); how many sessions ended. */
  async endSessions(id: string, actor: Actor): Promise<number> {
    const { store, clock } = this.ctx;
    const user = publicUser(await this.row(id));
    const ended = await store.deleteUserSessions(
      id,
      auditEntry(clock.now(), actor, this.change(id, 'endSessions', user), null, null),
    );
    this.ctx.changes.changed('session', id, true);
    return ended;
  }

  private async row(id: string): Promise<UserRow> {
    const row = await this.ctx.store.userById(id);
    if (!row) throw notFound('user', id);
    return row;
  }

  private requireReferences(gridId: string | null, workerId: string | null): void {
    if (gridId !== null) requireGridNode(this.ctx.index, gridId);
    if (workerId !== null && !this.ctx.index.worker(workerId)) throw notFound('worker', workerId);
  }

  /** A scoped reader of the audit trail sees the entries of the users inside its subtree. */
  private change(entityId: string, action: string, ...versions: User[]) {
    const gridIds = versions.map((u) => u.gridId);
    const gridId = gridIds.includes(null)
      ? null
      : this.ctx.index.tree.commonAncestor(gridIds.filter((g): g is string => g !== null));
    return { entity: 'user', entityId, action, gridId };
  }
}
