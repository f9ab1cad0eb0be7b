import { conflict, notFound } from '../../core/errors.ts';
import { newSensorRow } from '../newRecords.ts';
import type { CreateSensor, Sensor, UpdateSensor } from '../schemas.ts';
import { hashSecret, newSecret } from '../secrets.ts';
import { publicSensor, type SensorRow } from '../storedRecords.ts';
import { type CommandContext, definedFields, requireHousehold } from './commandContext.ts';
import { requireModel } from './modelCommands.ts';

/** What the sensor commands write. */
export interface SensorStore {
  insertSensor(sensor: SensorRow): Promise<void>;
  /** Replaces the whole record (the registry merged the change); ids never change. */
  updateSensor(sensor: SensorRow): Promise<void>;
  /** One transaction: the sensor, its live state and gateway memberships. Door history stays. */
  deleteSensor(id: string): Promise<void>;
  setCommissioning(sensorId: string, until: number | null): Promise<void>;
}

/** The seals on the doors: registered with a device secret, renamed, commissioned, taken off. */
export class SensorCommands {
  constructor(private readonly ctx: CommandContext<SensorStore>) {}

  /** Returns the sensor and its device secret; the secret is kept only as a hash. */
  async create(input: CreateSensor): Promise<{ sensor: Sensor; secret: string }> {
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
    await store.insertSensor(row);
    index.putSensor(row);
    changes.changed('sensor', row.id);
    return { sensor: publicSensor(row), secret };
  }

  async update(id: string, change: UpdateSensor): Promise<Sensor> {
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
    await store.updateSensor(next);
    index.replaceSensor(s, next);
    changes.changed('sensor', id);
    return publicSensor(s);
  }

  /**
   * A sensor taken off a door (replaced, or registered by mistake): it can no longer log in or
   * publish, its live state goes, its door history stays with the household (purged with it).
   */
  async delete(id: string): Promise<Sensor> {
    const { index, store, changes } = this.ctx;
    const s = index.sensorRow(id);
    if (!s) throw notFound('sensor', id);
    // Out of the index first, so a message arriving while the store deletes is refused.
    index.removeSensor(s);
    try {
      await store.deleteSensor(id);
    } catch (err) {
      index.putSensor(s);
      throw err;
    }
    index.dropFromGateways(id);
    changes.changed('sensor', id, true);
    return publicSensor(s);
  }

  async setCommissioning(sensorId: string, until: number | null): Promise<Sensor> {
    const { index, store, changes } = this.ctx;
    const s = index.sensorRow(sensorId);
    if (!s) throw notFound('sensor', sensorId);
    await store.setCommissioning(sensorId, until);
    s.commissioningUntil = until;
    changes.changed('sensor', sensorId);
    return publicSensor(s);
  }
}
