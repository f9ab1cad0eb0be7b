/** Telemetry: every accepted message as a point in InfluxDB (or VictoriaMetrics), spooled on disk first. */
import type { Logger } from '../../core/logger.ts';
import { createTelemetrySink } from '../../ingest/telemetry/createTelemetrySink.ts';
import type { TelemetrySink } from '../../ingest/telemetry/telemetrySink.ts';
import type { ConfigSections } from '../configSections.ts';
import type { Component } from '../lifecycle.ts';

export interface TelemetryComponent extends Component {
  readonly sink: TelemetrySink;
}

export async function startTelemetry(
  section: ConfigSections['telemetry'],
  deps: { logger: Logger },
): Promise<TelemetryComponent> {
  const sink = createTelemetrySink(section, deps.logger);
  await sink.start();
  return { name: 'telemetry', sink, stop: () => sink.stop() };
}
