/**
 * Two villages of one township, a grid worker in each, signed in as people (issue 18.3): the set-up
 * of the worker view's API test and its browser journey. The user 王芳 was given the whole township
 * by her administrator; her worker record is at 东村, and 东村 is all she sees.
 */
import { creating } from '../../helpers/created.ts';
import { connectSensor, eventPayload, heartbeatPayload } from '../../helpers/mqtt.ts';
import type { RunningService } from '../../helpers/service.ts';

export const WORKER_PASSWORDS = { wang: 'dongcun-worker-2026', li: 'xicun-worker-2026' } as const;

export const HOUSEHOLDS = {
  /** 东村, the breach: 王芳's. */
  breach: { id: 'h-east-1', address: '东村三组 12 号', contact: '张桂兰 138-0013-8000' },
  /** 东村, calm. */
  calm: { id: 'h-east-2', address: '东村三组 15 号', contact: '刘建国 13900139000' },
  /** 西村: 李强's, never 王芳's. */
  other: { id: 'h-west-1', address: '西村一组 3 号', contact: '赵敏 13700137000' },
} as const;

const hour = 3_600_000;
const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();

const post = (svc: RunningService, path: string, body: unknown) => creating(svc)(path, body);

/** The grid, the workers and their users, three quarantined households with a seal each; answers the secrets. */
export async function setUpTwoVillages(svc: RunningService): Promise<Record<string, string>> {
  await post(svc, '/api/grid', { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' });
  await post(svc, '/api/grid', { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' });
  await post(svc, '/api/grid', { id: 'dongcun', name: '东村', parentId: 'shicun', level: 'village' });
  await post(svc, '/api/grid', { id: 'xicun', name: '西村', parentId: 'shicun', level: 'village' });
  await post(svc, '/api/workers', { id: 'w-wang', name: '王芳', gridId: 'dongcun', role: 'worker' });
  await post(svc, '/api/workers', { id: 'w-li', name: '李强', gridId: 'xicun', role: 'worker' });
  // 王芳's user was given the township: her worker record's village is what she sees.
  await post(svc, '/api/users', {
    username: 'wang.fang',
    password: WORKER_PASSWORDS.wang,
    role: 'worker',
    gridId: 'shicun',
    workerId: 'w-wang',
  });
  await post(svc, '/api/users', {
    username: 'li.qiang',
    password: WORKER_PASSWORDS.li,
    role: 'worker',
    gridId: 'xicun',
    workerId: 'w-li',
  });
  const secrets: Record<string, string> = {};
  for (const [n, h] of Object.values(HOUSEHOLDS).entries()) {
    const gridId = h.id.startsWith('h-east') ? 'dongcun' : 'xicun';
    await post(svc, '/api/households', { id: h.id, gridId, address: h.address, contact: h.contact });
    await post(svc, '/api/quarantines', {
      householdId: h.id,
      start: isoIn(-2 * hour),
      end: isoIn(10 * 24 * hour),
    });
    const sensorId = `s-${h.id}`;
    secrets[sensorId] = (await post(svc, '/api/sensors', { id: sensorId, householdId: h.id })).secret;
    // A window that ended an hour ago: it shows in the timeline and arms nothing now.
    if (n === 0)
      await post(svc, '/api/windows', {
        householdId: h.id,
        start: isoIn(-1.5 * hour),
        end: isoIn(-hour),
        reason: '上门核酸',
        by: '王芳',
      });
  }
  // A township-wide window, also over: it applied to every household of both villages.
  await post(svc, '/api/windows', {
    gridId: 'shicun',
    start: isoIn(-1.9 * hour),
    end: isoIn(-1.8 * hour),
    reason: '全镇送餐',
    by: '镇指挥部',
  });
  return secrets;
}

/** Each seal says it is alive with its door closed, over real MQTT; the breach household's door then opens. */
export async function sealsReportAndOneDoorOpens(svc: RunningService, secrets: Record<string, string>) {
  for (const [sensorId, secret] of Object.entries(secrets)) {
    const sensor = await connectSensor(svc.mqttUrl, sensorId, secret);
    await sensor.publishAsync(`seal/${sensorId}/heartbeat`, heartbeatPayload(1, 'closed', 87), { qos: 1 });
    if (sensorId === `s-${HOUSEHOLDS.breach.id}`)
      await sensor.publishAsync(`seal/${sensorId}/event`, eventPayload('open', 2), { qos: 1 });
    await sensor.endAsync();
  }
}
