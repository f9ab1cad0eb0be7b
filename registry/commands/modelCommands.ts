import { conflict, invalid, notFound } from '../../core/errors.ts';
import { type Actor, type AuditEntry, auditEntry } from '../auditTrail.ts';
import type { CreateModel, UpdateModel } from '../modelSchemas.ts';
import type { RegistryIndex } from '../registryIndex.ts';
import { GENERIC_MODEL, type SensorModel } from '../sensorModels.ts';
import type { CommandContext } from './commandContext.ts';
import { definedFields } from './commandContext.ts';

/** What the model commands write. */
export interface ModelStore {
  /**
   * Inserts or replaces the model (an edited shipped model is stored the first time it is edited),
   * with its audit entry, in one transaction.
   */
  upsertSensorModel(model: SensorModel, audit: AuditEntry): Promise<void>;
}

/** The 400 a sensor with an unknown model gets: it names the models there are. */
export function unknownModelMessage(model: string, known: readonly string[]): string {
  return `unknown sensor model '${model}'; known models: ${known.join(', ')}`;
}

/** Sensors name a model the registry knows: a typo would silently fall back to generic otherwise. */
export function requireModel(index: RegistryIndex, model: string | undefined): void {
  if (model === undefined || index.sensorModel(model)) return;
  const known = index.allModels().map((m) => m.id);
  throw invalid(unknownModelMessage(model, known), { model, knownModels: known });
}

/**
 * Sensor models (device profiles): added and edited by admins. None is removed: sensors name them,
 * and the shipped ones always exist. `generic` follows the environment and is not edited here.
 */
export class ModelCommands {
  constructor(private readonly ctx: CommandContext<ModelStore>) {}

  async create(input: CreateModel, actor: Actor): Promise<SensorModel> {
    const { index, store, changes } = this.ctx;
    if (index.sensorModel(input.id))
      throw conflict(`sensor model '${input.id}' already exists`, { id: input.id });
    const generic = index.modelOf({ model: GENERIC_MODEL });
    const model: SensorModel = {
      id: input.id,
      name: input.name ?? input.id,
      heartbeatIntervalMs: input.heartbeatInterval,
      missedHeartbeats: input.missedHeartbeats ?? generic.missedHeartbeats,
      lowBatteryPercent: input.lowBatteryPercent ?? null,
      heartbeatCarriesDoor: input.heartbeatCarriesDoor ?? true,
      builtIn: false,
    };
    await store.upsertSensorModel(model, this.audit(actor, model.id, 'create', null, model));
    index.putModel(model);
    changes.changed('model', model.id);
    return model;
  }

  /** A change of interval or missed beats reschedules the model's sensors at once (alerting hears 'model'). */
  async update(id: string, change: UpdateModel, actor: Actor): Promise<SensorModel> {
    const { index, store, changes } = this.ctx;
    const current = index.sensorModel(id);
    if (!current) throw notFound('sensor model', id);
    if (id === GENERIC_MODEL) {
      throw invalid(
        "the 'generic' model follows HEARTBEAT_INTERVAL and MISSED_HEARTBEATS: change those in the environment",
        { id },
      );
    }
    const { heartbeatInterval, ...rest } = definedFields(change);
    const next: SensorModel = {
      ...current,
      ...rest,
      ...(heartbeatInterval !== undefined ? { heartbeatIntervalMs: heartbeatInterval } : {}),
    };
    await store.upsertSensorModel(next, this.audit(actor, id, 'update', current, next));
    index.putModel(next);
    changes.changed('model', id);
    return next;
  }

  /** Models belong to the whole grid: only whole-grid readers see their entries (gridId null). */
  private audit(actor: Actor, id: string, action: string, before: SensorModel | null, after: SensorModel) {
    const change = { entity: 'sensorModel', entityId: id, action, gridId: null };
    return auditEntry(this.ctx.clock.now(), actor, change, before, after);
  }
}
