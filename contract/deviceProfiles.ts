/**
 * The device profiles SealWatch ships: how each kind of real door seal reports, with the source of
 * every number. Shared by the registry (its sensor models, registry/sensorModels.ts) and the
 * simulator (`simulate fleet --model <id>` reports the way the device does), so it lives in the
 * contract with the other things devices and we agree on. Sources checked 2026-12:
 * Koenkk/zigbee-herdsman-converters at df72005 (2026-08-22), Koenkk/zigbee2mqtt lib/util/settings.ts,
 * home-assistant/core homeassistant/components/shelly/.
 *
 * `missedHeartbeats` may be fractional: it is the factor between the heartbeat interval and the
 * offline deadline, and where the vendor or the platform that talks to the device has its own
 * offline timeout we match it.
 */

export interface DeviceProfile {
  id: string;
  name: string;
  /** How often the device reports when nothing happens. */
  heartbeatIntervalMs: number;
  /** Interval × this = silence after which the seal is offline. */
  missedHeartbeats: number;
  /** Battery percent below which it is low; null: the grid node's policy decides. */
  lowBatteryPercent: number | null;
  /** Its heartbeat reports the door position (a heartbeat saying "open" counts as seen open). */
  heartbeatCarriesDoor: boolean;
  /** The wire format the device (or its bridge) speaks (ingest/decoders/). */
  reportsAs: 'native' | 'zigbee2mqtt' | 'shelly';
}

const HOUR = 3_600_000;

export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  {
    // Koenkk/zigbee-herdsman-converters src/devices/lumi.ts, MCCGQ11LM ("lumi.sensor_magnet.aq2"):
    // `m.quirkCheckinInterval("1_HOUR")` (TIME_LOOKUP "1_HOUR" = 3600 s in src/lib/modernExtend.ts).
    // The device reports its status every 50–60 min on its own and it cannot be configured. No
    // vendor timeout of its own: three missed check-ins, as for our own seals (Zigbee2MQTT's
    // generic passive timeout, 25 h, would be eight times slower for a door seal).
    id: 'aqara-mccgq11lm',
    name: 'Aqara MCCGQ11LM door and window sensor (Zigbee2MQTT)',
    heartbeatIntervalMs: 1 * HOUR,
    missedHeartbeats: 3,
    lowBatteryPercent: null,
    // Zigbee2MQTT publishes the whole state (with `contact`) on every report.
    heartbeatCarriesDoor: true,
    reportsAs: 'zigbee2mqtt',
  },
  {
    // Koenkk/zigbee-herdsman-converters src/devices/sonoff.ts, SNZB-04: `extend: [ewelinkBattery(), …]`;
    // src/lib/ewelink.ts ewelinkBattery(): percentageReportingConfig {min: 3600, max: 7200} ("3600/7200
    // prevents disconnect"): the battery report, its only periodic message, comes every 1–2 h.
    id: 'sonoff-snzb-04',
    name: 'SONOFF SNZB-04 contact sensor (Zigbee2MQTT)',
    heartbeatIntervalMs: 2 * HOUR,
    missedHeartbeats: 3,
    lowBatteryPercent: null,
    heartbeatCarriesDoor: true,
    reportsAs: 'zigbee2mqtt',
  },
  {
    // Koenkk/zigbee-herdsman-converters src/devices/tuya.ts, TS0203: configure() calls
    // reporting.batteryPercentageRemaining(endpoint) and reporting.batteryVoltage(endpoint);
    // src/lib/reporting.ts configures both with (repInterval.HOUR, repInterval.MAX), and
    // src/lib/constants.ts repInterval.MAX = 65000 s (≈ 18 h). 3 × 18 h would be twice Zigbee2MQTT's
    // passive availability timeout, so we match that instead: Koenkk/zigbee2mqtt lib/util/settings.ts
    // defaults availability.passive.timeout = 1500 (minutes, 25 h); 65000 s × 1.4 ≈ 25.3 h.
    id: 'tuya-ts0203',
    name: 'Tuya TS0203 door/window sensor (Zigbee2MQTT)',
    heartbeatIntervalMs: 65_000_000,
    missedHeartbeats: 1.4,
    lowBatteryPercent: null,
    heartbeatCarriesDoor: true,
    reportsAs: 'zigbee2mqtt',
  },
  {
    // Shelly Door/Window 2 sleeps and wakes about every 12 h to report. Home Assistant times a
    // sleeping Shelly out at 1.2 × its sleep period: home-assistant/core
    // homeassistant/components/shelly/const.py SLEEP_PERIOD_MULTIPLIER = 1.2, used in
    // coordinator.py `update_interval = SLEEP_PERIOD_MULTIPLIER * sleep_period`; for the DW2 that
    // is 14.4 h, which the Shelly integration's maintainer confirms in home-assistant/core issue
    // #60123 ("in Shelly we already increased that to 14.4 hours"), i.e. a 12 h sleep period.
    // Shelly's own DW2 page we could not fetch here; HA's figure is what installations live with.
    id: 'shelly-dw2',
    name: 'Shelly Door/Window 2',
    heartbeatIntervalMs: 12 * HOUR,
    missedHeartbeats: 1.2,
    lowBatteryPercent: null,
    // Our Shelly decoder reads the wake-up report's battery only (ingest/decoders/shelly.ts).
    heartbeatCarriesDoor: false,
    reportsAs: 'shelly',
  },
  {
    // NB-IoT seals report on a schedule of 4–24 h to save battery (issue 16). Huawei Cloud IoTDA,
    // whose OceanConnect lineage China Telecom's CTWing shares, documents for short-connection
    // (NB-IoT) devices: online while they reported within 25 h, "异常" (abnormal) after 25 h
    // without a report, offline after 49 h (IoTDA 管理设备 › 设备状态含义, huaweicloud.com). We
    // take the longest schedule and the platform's 25 h: a seal silent that long is not guarding.
    id: 'nbiot-seal',
    name: 'NB-IoT seal (carrier platform)',
    heartbeatIntervalMs: 24 * HOUR,
    missedHeartbeats: 25 / 24,
    lowBatteryPercent: null,
    heartbeatCarriesDoor: true,
    reportsAs: 'native',
  },
];
