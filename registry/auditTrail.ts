/**
 * The audit trail: who changed what, when, and what it was before and after. A command that records
 * a change passes its entry to the store with the change itself, so the two are written in one
 * transaction: no change without its entry, no entry for a change the store refused.
 *
 * `before` and `after` are the entity's public view: never a secret or a secret's hash.
 */
export interface AuditEntry {
  /** Epoch ms. */
  at: number;
  /** A person's user name, or an API token's name for machines. */
  actor: string;
  /** What kind of thing changed: 'gateway', 'sensor', 'policy', … */
  entity: string;
  entityId: string;
  /** 'create', 'update', 'replaceSecret', 'delete', … */
  action: string;
  /**
   * The grid node whose subtree holds what changed, before and after: a scoped reader sees the
   * entry when it lies in the reader's subtree. null: only whole-grid readers see it.
   */
  gridId: string | null;
  /**
   * The household the entry concerns (its own, its sensors', quarantines', windows'), if any: the
   * privacy purge deletes the household's entries with its personal data. Unset: none.
   */
  householdId?: string | null;
  before: unknown;
  after: unknown;
}

export interface AuditRecord extends AuditEntry {
  /** Grows with every entry: the order of the trail. */
  seq: number;
}

export interface AuditQuery {
  entity?: string;
  entityId?: string;
  actor?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** A scoped reader: only entries whose gridId is one of these (the reader's subtree). */
  withinGridIds?: readonly string[];
  limit: number;
  offset: number;
}

/** Reading the trail, newest first. */
export interface AuditLogStore {
  auditPage(query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }>;
}

/** Who is acting, as the commands need to know it. */
export interface Actor {
  name: string;
}

/**
 * The service acting by itself (the first admin token, the privacy purge). Not a possible user name
 * (those have no spaces) nor a token name anyone would mistake for a person.
 */
export const SERVICE_ACTOR: Actor = { name: 'SealWatch service' };

export function auditEntry(
  at: number,
  actor: Actor,
  change: {
    entity: string;
    entityId: string;
    action: string;
    gridId: string | null;
    householdId?: string | null | undefined;
  },
  before: unknown,
  after: unknown,
): AuditEntry {
  const { householdId, ...about } = change;
  return {
    at,
    actor: actor.name,
    ...about,
    // Set only when the entry concerns a household, as the stores read it back.
    ...(householdId ? { householdId } : {}),
    before: before ?? null,
    after: after ?? null,
  };
}
