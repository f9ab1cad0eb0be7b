import { conflict, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import { newSensorRow } from '../newRecords.ts';
import type { CreateSensor, ReplaceSensor, Sensor, UpdateSensor } from '../schemas.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { publicSensor, type SensorRow } from '../storedRecords.ts';
import {
  type CommandContext,
  definedFields,
  householdAuditChange,
  requireHousehold,
} from './commandContext.ts';
import { requireModel } from './modelCommands.ts';

/**
 * What the sensor commands write. A write given an audit entry writes it in the same transaction
 * (the commands always give one; seeds of tests and benchmarks write without).
 */
export interface SensorStore {
  insertSensor(sensor: SensorRow, audit?: AuditEntry): Promise<void>;
  /** Replaces the whole record (the registry merged the change); ids never change. */
  updateSensor(sensor: SensorRow, audit?: AuditEntry): Promise<void>;
  /** One transaction: the sensor, its live state and gateway memberships. Door history stays. */
  deleteSensor(id: string, audit?: AuditEntry): Promise<void>;
  setCommissioning(sensorId: string, until: number | null, audit?: AuditEntry): Promise<void>;
  /**
   * One transaction: the old sensor goes (its live state too), the new one is inserted on the same
   * household, the old one's gateway memberships name the new one, and the audit entries are
   * written. Door history stays with the household (door_events carry household_id).
   */
  replaceSensor(oldId: string, next: SensorRow, audit: readonly AuditEntry[]): Promise<void>;
}

/** The seals on the doors: registered with a device secret, renamed, commissioned, taken off. */
export class SensorCommands {
  constructor(private readonly ctx: CommandContext<SensorStore>) {}

  /** Returns the sensor and its device secret; the secret is kept only as a hash. */
  async create(input: CreateSensor, actor: Actor): Promise<{ sensor: Sensor; secret: string }> {
    const { index, store, changes, clock } = this.ctx;
    if (index.sensor(input.id) || index.gateway(input.id)) {
      throw conflict(`sensor '${input.id}' already exists`, { id: input.id });
    }
    requireHousehold(index, input.householdId);
    requireModel(index, input.model);
    if (input.friendlyName !== undefined && index.friendlyNameOwner(input.friendlyName) !== undefined) {
      throw conflict(`friendly name '${input.friendlyName}' is already bound to another sensor`);
    }
    const secret = newSecret();
    const row = newSensorRow(input, clock.now(), await hashSecret(secret));
    await store.insertSensor(row, this.audit(actor, 'create', null, row));
    index.putSensor(row);
    changes.changed('sensor', row.id);
    return { sensor: publicSensor(row), secret };
  }

  async update(id: string, change: UpdateSensor, actor: Actor): Promise<Sensor> {
    const { index, store, changes } = this.ctx;
    const s = index.sensorRow(id);
    if (!s) throw notFound('sensor', id);
    requireModel(index, change.model);
    const name = change.friendlyName;
    if (name !== undefined && name !== null) {
      const owner = index.friendlyNameOwner(name);
      if (owner !== undefined && owner !== id)
        throw conflict(`friendly name '${name}' is already bound to another sensor`);
    }
    const next: SensorRow = { ...s, ...definedFields(change) };
    await store.updateSensor(next, this.audit(actor, 'update', s, next));
    index.replaceSensor(s, next);
    changes.changed('sensor', id);
    return publicSensor(s);
  }

  /**
   * A sensor taken off a door (replaced, or registered by mistake): it can no longer log in or
   * publish, its live state goes, its door history stays with the household (purged with it).
   */
  async delete(id: string, actor: Actor): Promise<Sensor> {
    const { index, store, changes } = this.ctx;
    const s = index.sensorRow(id);
    if (!s) throw notFound('sensor', id);
    // Out of the index first, so a message arriving while the store deletes is refused.
    index.removeSensor(s);
    try {
      await store.deleteSensor(id, this.audit(actor, 'delete', s, null));
    } catch (err) {
      index.putSensor(s);
      throw err;
    }
    index.dropFromGateways(id);
    changes.changed('sensor', id, true);
    return publicSensor(s);
  }

  /**
   * A technician swaps the seal on a door (issue 16.5): the new sensor takes over the old one's
   * household, model, friendly name (unless given) and gateway memberships; the old one can no
   * longer log in (its session closes), and alerting resolves its open alerts as `sensorReplaced`.
   * The household's arming and door history carry on; the new seal's live state starts `unknown`
   * until it reports. Returns the new sensor and its secret (shown once), and the old one.
   */
  async replace(
    oldId: string,
    input: ReplaceSensor,
    actor: Actor,
  ): Promise<{ sensor: Sensor; secret: string; replaced: Sensor }> {
    const { index, store, changes, clock } = this.ctx;
    const old = index.sensorRow(oldId);
    if (!old) throw notFound('sensor', oldId);
    if (index.sensor(input.newId) || index.gateway(input.newId)) {
      throw conflict(`sensor '${input.newId}' already exists`, { id: input.newId });
    }
    requireModel(index, input.model);
    const friendlyName = input.friendlyName === undefined ? old.friendlyName : input.friendlyName;
    if (friendlyName !== null) {
      const owner = index.friendlyNameOwner(friendlyName);
      if (owner !== undefined && owner !== oldId)
        throw conflict(`friendly name '${friendlyName}' is already bound to another sensor`);
    }
    const secret = newSecret();
    const now = clock.now();
    const row = newSensorRow(
      {
        id: input.newId,
        householdId: old.householdId,
        model: input.model ?? old.model,
        ...(friendlyName !== null ? { friendlyName } : {}),
      },
      now,
      await hashSecret(secret),
    );
    const [before, after] = [publicSensor(old), publicSensor(row)];
    const entry = (entityId: string, action: string, b: Sensor | null, a: Sensor | null) =>
      auditEntry(
        now,
        actor,
        householdAuditChange(index, { entity: 'sensor', entityId, action }, old.householdId),
        b,
        a,
      );
    const gateways = index.gatewaysOf(oldId);
    // Out of the index first, so a message of the old sensor arriving while the store writes is refused.
    index.removeSensor(old);
    try {
      await store.replaceSensor(oldId, row, [
        entry(oldId, 'replace', before, after),
        entry(row.id, 'replaces', before, after),
      ]);
    } catch (err) {
      index.putSensor(old);
      throw err;
    }
    index.putSensor(row);
    for (const g of gateways) g.sensorIds = g.sensorIds.map((id) => (id === oldId ? row.id : id));
    changes.sensorReplaced(oldId, row.id);
    for (const g of gateways) changes.changed('gateway', g.id);
    return { sensor: after, secret, replaced: before };
  }

  async setCommissioning(sensorId: string, until: number | null, actor: Actor): Promise<Sensor> {
    const { index, store, changes } = this.ctx;
    const s = index.sensorRow(sensorId);
    if (!s) throw notFound('sensor', sensorId);
    const action = until === null ? 'endCommissioning' : 'commissioning';
    await store.setCommissioning(
      sensorId,
      until,
      this.audit(actor, action, s, { ...s, commissioningUntil: until }),
    );
    s.commissioningUntil = until;
    changes.changed('sensor', sensorId);
    return publicSensor(s);
  }

  /** Before and after without the secret's hash; the entry lies at the household's node. */
  private audit(actor: Actor, action: string, before: SensorRow | null, after: SensorRow | null): AuditEntry {
    const s = (before ?? after) as SensorRow;
    const change = householdAuditChange(
      this.ctx.index,
      { entity: 'sensor', entityId: s.id, action },
      s.householdId,
    );
    const view = (x: SensorRow | null) => x && publicSensor(x);
    return auditEntry(this.ctx.clock.now(), actor, change, view(before), view(after));
  }
}
