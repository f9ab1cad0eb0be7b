/**
 * Seeds a DATA_DIR with a county-sized fleet before the service starts: a grid tree (county → townships →
 * villages → groups), one household per door with an active quarantine (armed), one sensor per household and a
 * live seal state per sensor. Everything goes through the project's own store (storage/sqlite/openDatabase.ts
 * runs the migrations; SqliteStore.importRecords writes the registry in one transaction, commitIngest the seal
 * states), so the rows are exactly what the service writes itself. By default every sensor shares ONE secret
 * and hash, so the caller needs just one plaintext; `secrets: 'own'` gives each sensor its own secret (hashed
 * in today's `$7$` format, or with `hash` as an older release did) and returns them all.
 */
import { join } from 'node:path';
import { createLogger } from '../../core/logger.ts';
import type { SealState } from '../../core/sealState.ts';
import type { GridNode, Household, Quarantine } from '../../registry/schemas.ts';
import { hashSecret, newSecret } from '../../registry/secrets.ts';
import type { SensorRow } from '../../registry/storedRecords.ts';
import { seededRandom } from '../../simulator/models/rng.ts';
import { openDatabase } from '../../storage/sqlite/openDatabase.ts';
import { SqliteStore } from '../../storage/sqlite/sqliteStore.ts';

const TOWNSHIP_NAMES = [
  '史村镇',
  '乐昌镇',
  '曲村镇',
  '高显镇',
  '里村镇',
  '杨谈乡',
  '北董乡',
  '侯马镇',
  '新城镇',
  '东韩村乡',
  '西常乡',
  '安吉乡',
  '北城镇',
  '南王乡',
  '汾河镇',
  '白水乡',
  '青石镇',
  '凤城乡',
  '柳林镇',
  '古城乡',
];

export interface FleetShape {
  sensors: number;
  townships: number;
  villagesPerTownship: number;
  groupsPerVillage: number;
  /** Every n-th sensor (spread evenly over the tree) is a "driver" the bench will connect and toggle. */
  drivers: number;
  /**
   * Every n-th driver's household is armed (active quarantine); the others' quarantine ended yesterday, so
   * their openings are logged, not alerted. 1 = every driver armed; 0 = none.
   */
  armedDriverEvery: number;
  /** 'shared' (default): one secret for all; 'own': a secret per sensor, returned in `credentials`. */
  secrets?: 'shared' | 'own';
  /** How 'own' secrets are hashed (default: today's hashSecret). */
  hash?: (secret: string) => Promise<string>;
}

export interface SeededFleet {
  secret: string;
  /** With `secrets: 'own'`: every sensor's login. */
  credentials: Array<{ sensorId: string; secret: string }>;
  countyId: string;
  townshipIds: string[];
  /** A village with sensors, for filtered queries. */
  sampleVillageId: string;
  groups: number;
  gridNodes: number;
  households: number;
  sensors: number;
  /** Sensors whose door starts closed and online, spread over every township. */
  drivers: Array<{ id: string; township: number; armed: boolean }>;
  /** Seeded states: how many start open / offline / low on battery. */
  seededOpen: number;
  seededOffline: number;
  seededLowBattery: number;
  seconds: { hash: number; registry: number; states: number };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** The i-th seeded sensor's id (0-based): the credentials and the sensor rows name it the same way. */
const sensorIdAt = (i: number) => `door-${pad(i + 1, 6)}`;

export async function seedFleet(dataDir: string, shape: FleetShape, now = Date.now()): Promise<SeededFleet> {
  const random = seededRandom(20261123);
  const t0 = performance.now();
  const secret = newSecret();
  const secretHash = await hashSecret(secret);

  const grid: GridNode[] = [];
  const countyId = 'quwo';
  grid.push({ id: countyId, name: '曲沃县', parentId: null, level: 'county', createdAt: now });
  const townshipIds: string[] = [];
  const groups: Array<{ id: string; township: number; address: string }> = [];
  for (let t = 0; t < shape.townships; t++) {
    const tid = `${countyId}-t${pad(t + 1, 2)}`;
    const tname = TOWNSHIP_NAMES[t % TOWNSHIP_NAMES.length]!;
    townshipIds.push(tid);
    grid.push({ id: tid, name: tname, parentId: countyId, level: 'township', createdAt: now });
    for (let v = 0; v < shape.villagesPerTownship; v++) {
      const vid = `${tid}-v${pad(v + 1, 2)}`;
      const vname = `${['东', '西', '南', '北', '上', '下', '前', '后'][v % 8]}${v + 1}村`;
      grid.push({ id: vid, name: vname, parentId: tid, level: 'village', createdAt: now });
      for (let g = 0; g < shape.groupsPerVillage; g++) {
        const gid = `${vid}-g${pad(g + 1, 2)}`;
        grid.push({ id: gid, name: `${g + 1}组`, parentId: vid, level: 'group', createdAt: now });
        groups.push({ id: gid, township: t, address: `${tname}${vname}${g + 1}组` });
      }
    }
  }

  const own = shape.secrets === 'own';
  const credentials: SeededFleet['credentials'] = [];
  const hashes = own
    ? await Promise.all(
        Array.from({ length: shape.sensors }, async (_, i) => {
          const s = newSecret();
          credentials.push({ sensorId: sensorIdAt(i), secret: s });
          return (shape.hash ?? hashSecret)(s);
        }),
      )
    : [];
  const t1 = performance.now();
  const households: Household[] = [];
  const sensors: SensorRow[] = [];
  const quarantines: Quarantine[] = [];
  const states: SealState[] = [];
  const drivers: SeededFleet['drivers'] = [];
  const driverEvery = Math.max(1, Math.floor(shape.sensors / Math.max(1, shape.drivers)));
  let seededOpen = 0;
  let seededOffline = 0;
  let seededLowBattery = 0;
  const day = 86_400_000;
  for (let i = 0; i < shape.sensors; i++) {
    // Households are spread round-robin over the groups, so every group has about the same number.
    const group = groups[i % groups.length]!;
    const hid = `h-${pad(i + 1, 6)}`;
    const sid = sensorIdAt(i);
    households.push({
      id: hid,
      gridId: group.id,
      address: `${group.address} ${Math.floor(i / groups.length) + 1} 号`,
      contact: random() < 0.5 ? `户主 138${pad(Math.floor(random() * 1e8), 8)}` : null,
      createdAt: now - 3 * day,
      purgedAt: null,
    });
    sensors.push({
      id: sid,
      householdId: hid,
      model: 'generic',
      friendlyName: null,
      commissioningUntil: null,
      createdAt: now - 3 * day,
      secretHash: own ? (hashes[i] as string) : secretHash,
    });
    const driver = i % driverEvery === 0 && drivers.length < shape.drivers;
    const armed = !driver || (shape.armedDriverEvery > 0 && drivers.length % shape.armedDriverEvery === 0);
    if (driver) drivers.push({ id: sid, township: group.township, armed });
    // Active quarantines started up to 10 days ago and last 14 days; an ended one ended yesterday.
    const start = armed ? now - Math.floor(random() * 10 * day) - 60_000 : now - 15 * day;
    quarantines.push({
      id: `q-${pad(i + 1, 6)}`,
      householdId: hid,
      start,
      end: armed ? start + 14 * day : now - day,
      createdAt: start,
    });
    const offline = !driver && random() < 0.03;
    const open = !driver && !offline && random() < 0.003;
    const battery = driver
      ? 90
      : random() < 0.03
        ? Math.round(random() * 19)
        : 40 + Math.round(random() * 60);
    const lastSeen = driver
      ? now
      : offline
        ? now - 3_600_000 - Math.floor(random() * 2 * day)
        : now - Math.floor(random() * 55_000);
    if (offline) seededOffline++;
    if (open) seededOpen++;
    if (battery < 20) seededLowBattery++;
    states.push({
      sensorId: sid,
      door: open ? 'open' : 'closed',
      online: !offline,
      battery,
      rssi: -45 - Math.round(random() * 50),
      tamper: false,
      lastSeen,
      lastDoorChange: lastSeen - Math.floor(random() * 3 * day),
      doorObservedAt: lastSeen,
      recentSeqs: [],
      messages: Math.floor(random() * 5000),
      updatedAt: now,
    });
  }

  const store = new SqliteStore(openDatabase(join(dataDir, 'sealwatch.db'), createLogger('silent')));
  try {
    await store.importRecords({ grid, households, sensors, quarantines });
    const t2 = performance.now();
    await store.commitIngest({ states, doorEvents: [] });
    const t3 = performance.now();
    return {
      secret,
      credentials,
      countyId,
      townshipIds,
      sampleVillageId: `${townshipIds[0]}-v01`,
      groups: groups.length,
      gridNodes: grid.length,
      households: households.length,
      sensors: sensors.length,
      drivers,
      seededOpen,
      seededOffline,
      seededLowBattery,
      seconds: {
        hash: Math.round(t1 - t0) / 1000,
        registry: Math.round(t2 - t1) / 1000,
        states: Math.round(t3 - t2) / 1000,
      },
    };
  } finally {
    await store.close();
  }
}
