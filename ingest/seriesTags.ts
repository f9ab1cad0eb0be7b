import type { PointTags } from './telemetryPoints.ts';

interface Placed {
  householdId: string;
  gridId: string;
  model: string;
  levels?: Readonly<Record<string, string>> | undefined;
}

interface Entry extends Placed {
  tags: Readonly<PointTags>;
}

/**
 * The telemetry tags of each sensor's points, built once per placement instead of once per message
 * (two object spreads per message showed in the ingest profile, issue 20.1). The same frozen object
 * goes on every point of the sensor until its household, grid node, model or the node's level tags
 * change, so the line protocol encoder can also keep the tags' text by object (lineProtocol.ts).
 */
export class SeriesTags {
  private readonly bySensor = new Map<string, Entry>();

  of(sensorId: string, placed: Placed): Readonly<PointTags> {
    const held = this.bySensor.get(sensorId);
    if (
      held &&
      held.householdId === placed.householdId &&
      held.gridId === placed.gridId &&
      held.model === placed.model &&
      held.levels === placed.levels
    )
      return held.tags;
    const tags: PointTags = Object.freeze({
      ...placed.levels,
      sensor: sensorId,
      household: placed.householdId,
      grid: placed.gridId,
      model: placed.model,
    });
    const { householdId, gridId, model, levels } = placed;
    this.bySensor.set(sensorId, { householdId, gridId, model, levels, tags });
    return tags;
  }

  forget(sensorId: string): void {
    this.bySensor.delete(sensorId);
  }
}
