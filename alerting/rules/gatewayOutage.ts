import type { ActiveAlertRef, Decision } from '../alertModel.ts';

/**
 * A gateway that goes silent is one alert, not one per sensor behind it (issue 16.2).
 *
 * The alert is an `outage` (the same type, routing and severity as a node's outage: the node's
 * leaders and technicians, critical, escalating) with `detail.gatewayId`: one active instance per
 * gateway (alertModel.ts `alertSubjectKey`). The page, the daily report, the metrics' label sets and
 * the API's type list already know an outage; a new type would have surprised each of them.
 *
 * A gateway is silent when
 * - it said so: its bridge reported `offline` (or the broker published that as its last will when
 *   the connection was lost). The alert waits one offline window of the environment
 *   (HEARTBEAT_INTERVAL × MISSED_HEARTBEATS) for the bridge to come back: a Zigbee2MQTT restart or
 *   an update says `offline` and then `online` within seconds and is no alert. It does not wait for
 *   its sensors' own windows (an hourly Zigbee sensor would keep a dead bridge hidden for hours);
 * - or all its sensors (at least two) are silent: a gateway that says nothing when it goes (no last
 *   will, a clean disconnect, an external broker, a restart of ours that took its connection down
 *   with it). The alert comes when its last sensor's offline window has passed, as the sensors'
 *   own alerts would have. One sensor: that is the sensor's own offline alert (a Shelly is a
 *   gateway of one).
 *
 * While a gateway is silent its sensors' offline alerts are held back (and they do not count toward
 * a node's outage: the gateway explains them). A silent gateway with no monitored sensor behind it
 * raises nothing, like an unmonitored sensor. When it is back (its bridge says `online`, or one of
 * its sensors speaks) the alert resolves itself (`backOnline`), and its sensors still silent then
 * get their own offline window from that moment before an alert of their own.
 */

export interface SilentGatewaySensor {
  sensorId: string;
  /** The offline deadline that passed (the tracker's). */
  deadline: number;
}

export interface GatewayView {
  gatewayId: string;
  name: string;
  /** Where the alert goes: the deepest grid node holding all its sensors' households; null if none is placed. */
  gridId: string | null;
  /** Its sensors bound to a household. */
  sensorIds: readonly string[];
  /** Since when its bridge has said it is offline; null when it has not. */
  offlineSince: number | null;
  /** Its sensors silent now. */
  silent: readonly SilentGatewaySensor[];
  /** How many of its sensors are monitored (active quarantine, not commissioning). */
  monitored: number;
  /** Its open gateway outage. */
  active: ActiveAlertRef;
}

export interface GatewaySweepInput {
  now: number;
  gateways: readonly GatewayView[];
  /** HEARTBEAT_INTERVAL × MISSED_HEARTBEATS: how long a bridge's `offline` waits for its `online`. */
  offlineWindowMs: number;
  /** No alert from silence alone before this (the start-up grace, as for offline alerts). */
  raiseNotBefore?: number;
}

export interface GatewaySweep {
  decisions: Decision[];
  /** Sensors whose offline alerts are held back (and left out of outages): their gateway is silent. */
  heldBack: Set<string>;
  /** Gateways whose alert resolved: their sensors still silent get a fresh offline window from now. */
  back: string[];
}

const MIN_SENSORS_FOR_SILENCE = 2;

export function evaluateGateways(input: GatewaySweepInput): GatewaySweep {
  const { now } = input;
  const out: GatewaySweep = { decisions: [], heldBack: new Set(), back: [] };
  for (const g of input.gateways) {
    const said = g.offlineSince !== null;
    const allSilent = g.sensorIds.length >= MIN_SENSORS_FOR_SILENCE && g.silent.length >= g.sensorIds.length;
    if (!said && !allSilent) {
      if (g.active) {
        out.decisions.push({
          kind: 'resolve',
          alertId: g.active.id,
          at: now,
          reason: 'backOnline',
          detail: { gatewayId: g.gatewayId },
        });
        out.back.push(g.gatewayId);
      }
      continue;
    }
    for (const id of g.sensorIds) out.heldBack.add(id);
    if (g.active || g.monitored === 0 || g.gridId === null) continue;
    const dueAt =
      g.offlineSince !== null
        ? g.offlineSince + input.offlineWindowMs
        : Math.max(input.raiseNotBefore ?? 0, ...g.silent.map((s) => s.deadline));
    if (now < dueAt) continue;
    out.decisions.push({
      kind: 'raise',
      alert: {
        type: 'outage',
        severity: 'critical',
        gridId: g.gridId,
        openedAt: now,
        detail: {
          gatewayId: g.gatewayId,
          gatewayName: g.name,
          cause: said ? 'gatewayOffline' : 'sensorsSilent',
          ...(g.offlineSince !== null ? { offlineSince: g.offlineSince } : {}),
          silent: g.sensorIds.length,
          monitored: g.monitored,
          sensorIds: g.sensorIds.slice(0, 50),
        },
      },
    });
  }
  return out;
}
