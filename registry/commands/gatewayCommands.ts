import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import type { CreateGateway, Gateway, UpdateGateway } from '../schemas.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import type { GatewayRow } from '../storedRecords.ts';
import type { CommandContext } from './commandContext.ts';

/** What the gateway commands write; each change is written with its audit entry, in one transaction. */
export interface GatewayStore {
  /** The gateway and its sensor memberships. */
  insertGateway(gateway: GatewayRow, audit: AuditEntry): Promise<void>;
  /** Name and sensor memberships (the membership list is replaced). */
  updateGateway(gateway: GatewayRow, audit: AuditEntry): Promise<void>;
  setGatewaySecretHash(id: string, secretHash: string, audit: AuditEntry): Promise<void>;
  /** The gateway and its memberships; its sensors stay. */
  deleteGateway(id: string, audit: AuditEntry): Promise<void>;
}

const publicGateway = ({ secretHash: _, ...gateway }: GatewayRow): Gateway => ({
  ...gateway,
  sensorIds: [...gateway.sensorIds],
});

/** Gateways that relay the messages of several sensors under one login. */
export class GatewayCommands {
  constructor(private readonly ctx: CommandContext<GatewayStore>) {}

  /** Returns the gateway and its device secret; the secret is kept only as a hash. */
  async create(input: CreateGateway, actor: Actor): Promise<{ gateway: Gateway; secret: string }> {
    const { index, store, changes, clock } = this.ctx;
    if (index.gateway(input.id) || index.sensor(input.id)) {
      throw conflict(`gateway '${input.id}' already exists`, { id: input.id });
    }
    this.requireKnownSensors(input.sensorIds);
    const secret = newSecret();
    const row: GatewayRow = {
      id: input.id,
      name: input.name,
      sensorIds: [...new Set(input.sensorIds)],
      createdAt: clock.now(),
      secretHash: await hashSecret(secret),
    };
    const gateway = publicGateway(row);
    await store.insertGateway(
      row,
      auditEntry(clock.now(), actor, this.change(row.id, 'create', row), null, gateway),
    );
    index.putGateway(row);
    changes.changed('gateway', row.id);
    return { gateway, secret };
  }

  /** A new name or sensor list; a live session of the gateway publishes for the new list at once. */
  async update(id: string, change: UpdateGateway, actor: Actor): Promise<Gateway> {
    const { index, store, changes, clock } = this.ctx;
    const old = this.row(id);
    if (change.sensorIds) this.requireKnownSensors(change.sensorIds);
    const row: GatewayRow = {
      ...old,
      name: change.name ?? old.name,
      sensorIds: change.sensorIds ? [...new Set(change.sensorIds)] : old.sensorIds,
    };
    const after = publicGateway(row);
    await store.updateGateway(
      row,
      auditEntry(clock.now(), actor, this.change(id, 'update', old, row), publicGateway(old), after),
    );
    index.putGateway(row);
    changes.changed('gateway', id);
    return after;
  }

  /**
   * Replaces the gateway's secret (it leaked, or a technician left): the old one is refused from now
   * on and the gateway's open session is closed. Returns the new secret, shown only here.
   */
  async replaceSecret(id: string, actor: Actor): Promise<{ gateway: Gateway; secret: string }> {
    const { index, store, changes, clock } = this.ctx;
    const old = this.row(id);
    const secret = newSecret();
    const row: GatewayRow = { ...old, secretHash: await hashSecret(secret) };
    const gateway = publicGateway(row);
    // The audit entry says that it was replaced, never the secret or its hash.
    await store.setGatewaySecretHash(
      id,
      row.secretHash,
      auditEntry(clock.now(), actor, this.change(id, 'replaceSecret', old), null, null),
    );
    index.putGateway(row);
    changes.secretReplaced('gateway', id);
    return { gateway, secret };
  }

  /** Removes the gateway and ends its session; its sensors stay registered. */
  async delete(id: string, actor: Actor): Promise<Gateway> {
    const { index, store, changes, clock } = this.ctx;
    const old = this.row(id);
    const gateway = publicGateway(old);
    await store.deleteGateway(
      id,
      auditEntry(clock.now(), actor, this.change(id, 'delete', old), gateway, null),
    );
    index.removeGateway(id);
    changes.changed('gateway', id, true);
    return gateway;
  }

  /**
   * What the audit entry is about. Its grid node holds every sensor of the gateway before and after
   * the change, so a scoped reader sees the entries of the gateways it may see (all sensors inside
   * its subtree), as the gateway list shows them.
   */
  private change(entityId: string, action: string, ...versions: Gateway[]) {
    const { index } = this.ctx;
    const gridIds = versions.flatMap((g) => g.sensorIds).flatMap((id) => index.placement(id)?.gridId ?? []);
    return { entity: 'gateway', entityId, action, gridId: index.tree.commonAncestor(gridIds) };
  }

  private row(id: string): GatewayRow {
    const row = this.ctx.index.gatewayRow(id);
    if (!row) throw notFound('gateway', id);
    return row;
  }

  private requireKnownSensors(sensorIds: readonly string[]): void {
    const unknown = sensorIds.filter((id) => !this.ctx.index.sensor(id));
    if (unknown.length > 0) throw invalid(`unknown sensors: ${unknown.slice(0, 10).join(', ')}`, { unknown });
  }
}
