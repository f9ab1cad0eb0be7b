/**
 * Every route × role × scope of the API's route table, and the MQTT side of the same rules, against one real
 * service. Over 400 lines: the table is the source and each row is one short case; split, the service would
 * be started once per file.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.ts';
import { connectRefusal, connectSensor, eventPayload } from '../helpers/mqtt.ts';
import { startService } from '../helpers/service.ts';
import { report } from './support.ts';

type Role = 'admin' | 'monitor' | 'worker' | 'technician';
const ROLES: Role[] = ['admin', 'monitor', 'worker', 'technician'];
const ALL: Role[] = ROLES;

interface RouteCase {
  roles: Role[];
  /** A request inside the caller's grid (A); `n` makes ids unique. */
  inScope: (n: number) => { path: string; body?: unknown; csv?: string };
  /** The same request aimed at the other grid (B): 403 or 404, or B absent from a list. */
  outOfScope?: (n: number) => { path: string; body?: unknown; csv?: string };
  /** For lists: the answer must not mention grid B's things. */
  listMustNotMention?: string;
}

const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
/** Breach alerts raised in the set-up, one per grid. */
const alertIds = { A: '', B: '' };
/** A quarantine and a window in each grid, made in the set-up. */
const scheduleIds = { quarantineA: '', quarantineB: '', windowA: '', windowB: '', rosterB: '', absenceB: '' };
/** A span ten days ahead: roster entries and absences made here change no routing of this test. */
const later = (n: number) => ({
  start: iso(864_000_000 + n * 3_600_000),
  end: iso(864_000_000 + (n + 1) * 3_600_000),
});
/** The whole-grid initial admin token's id, found in the set-up. */
const tokenIds = { initialAdmin: '' };
/** A person who signs in, in each grid, made in the set-up. */
const userIds = { A: '', B: '' };

/**
 * Every API route, every role: a table. The test fails when a route exists
 * that the table does not name, so a new route cannot skip the check.
 */
const ROUTES: Record<string, RouteCase> = {
  'POST /api/grid': {
    roles: ['admin'],
    inScope: (n) => ({
      path: '/api/grid',
      body: { id: `a-child-${n}`, name: 'x', parentId: 'A', level: 'group' },
    }),
    outOfScope: (n) => ({
      path: '/api/grid',
      body: { id: `b-child-${n}`, name: 'x', parentId: 'B', level: 'group' },
    }),
  },
  'GET /api/grid': { roles: ALL, inScope: () => ({ path: '/api/grid' }), listMustNotMention: '"B"' },
  // Updates change harmless fields of grid A's records; removals in scope name records that do not
  // exist (404 past the role check), so the table does not remove what later rows rely on.
  'PATCH /api/grid/:gridId': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/grid/A', body: { name: '甲镇' } }),
    outOfScope: () => ({ path: '/api/grid/B', body: { name: 'x' } }),
  },
  'DELETE /api/grid/:gridId': {
    roles: ['admin'],
    inScope: (n) => ({ path: `/api/grid/none-${n}` }),
    outOfScope: () => ({ path: '/api/grid/B' }),
  },
  'GET /api/grid/:gridId/policy': {
    roles: ALL,
    inScope: () => ({ path: '/api/grid/A/policy' }),
    outOfScope: () => ({ path: '/api/grid/B/policy' }),
  },
  'PUT /api/grid/:gridId/policy': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/grid/A/policy', body: { opensPerDay: 6 } }),
    outOfScope: () => ({ path: '/api/grid/B/policy', body: { opensPerDay: 6 } }),
  },
  'POST /api/workers': {
    roles: ['admin'],
    inScope: (n) => ({
      path: '/api/workers',
      body: { id: `wa-${n}`, name: 'w', gridId: 'A', role: 'worker' },
    }),
    outOfScope: (n) => ({
      path: '/api/workers',
      body: { id: `wb-${n}`, name: 'w', gridId: 'B', role: 'worker' },
    }),
  },
  'GET /api/workers': {
    roles: ALL,
    inScope: () => ({ path: '/api/workers' }),
    listMustNotMention: 'worker-b',
  },
  'PATCH /api/workers/:workerId': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/workers/worker-a', body: { name: 'wa' } }),
    outOfScope: () => ({ path: '/api/workers/worker-b', body: { name: 'x' } }),
  },
  'DELETE /api/workers/:workerId': {
    roles: ['admin'],
    inScope: (n) => ({ path: `/api/workers/none-${n}` }),
    outOfScope: () => ({ path: '/api/workers/worker-b' }),
  },
  'GET /api/me': { roles: ALL, inScope: () => ({ path: '/api/me' }), listMustNotMention: '乙镇' },
  'POST /api/households': {
    roles: ['admin'],
    inScope: (n) => ({ path: '/api/households', body: { id: `ha-${n}`, gridId: 'A', address: 'a' } }),
    outOfScope: (n) => ({ path: '/api/households', body: { id: `hb-${n}`, gridId: 'B', address: 'b' } }),
  },
  'GET /api/households': {
    roles: ALL,
    inScope: () => ({ path: '/api/households' }),
    listMustNotMention: 'house-b',
  },
  'PATCH /api/households/:householdId': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/households/house-a', body: { contact: '138' } }),
    outOfScope: () => ({ path: '/api/households/house-b', body: { contact: 'x' } }),
  },
  'DELETE /api/households/:householdId': {
    roles: ['admin'],
    inScope: (n) => ({ path: `/api/households/none-${n}` }),
    outOfScope: () => ({ path: '/api/households/house-b' }),
  },
  'GET /api/households/:householdId/schedule': {
    roles: ALL,
    inScope: () => ({ path: '/api/households/house-a/schedule' }),
    outOfScope: () => ({ path: '/api/households/house-b/schedule' }),
  },
  'POST /api/sensors': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: '/api/sensors', body: { id: `sa-${n}`, householdId: 'house-a' } }),
    outOfScope: (n) => ({ path: '/api/sensors', body: { id: `sb-${n}`, householdId: 'house-b' } }),
  },
  'GET /api/sensors': { roles: ALL, inScope: () => ({ path: '/api/sensors' }), listMustNotMention: 'seal-b' },
  'GET /api/sensors/:sensorId': {
    roles: ALL,
    inScope: () => ({ path: '/api/sensors/seal-a' }),
    outOfScope: () => ({ path: '/api/sensors/seal-b' }),
  },
  'PATCH /api/sensors/:sensorId': {
    roles: ['admin', 'technician'],
    inScope: () => ({ path: '/api/sensors/seal-a', body: { model: 'aqara-mccgq11lm' } }),
    outOfScope: () => ({ path: '/api/sensors/seal-b', body: { model: 'x' } }),
  },
  // Sensor models are one catalog for the whole grid: no grid B to reach into. Any admin adds one;
  // only a whole-grid admin edits one (every grid follows), so grid A's admin is refused an edit of
  // an existing model (403, checked below) and an unknown one answers 404 past the role check.
  'POST /api/models': {
    roles: ['admin'],
    inScope: (n) => ({ path: '/api/models', body: { id: `model-${n}`, heartbeatInterval: '1h' } }),
  },
  'GET /api/models': { roles: ALL, inScope: () => ({ path: '/api/models' }) },
  'PATCH /api/models/:modelId': {
    roles: ['admin'],
    inScope: (n) => ({ path: `/api/models/none-${n}`, body: { missedHeartbeats: 2 } }),
  },
  'DELETE /api/sensors/:sensorId': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: `/api/sensors/none-${n}` }),
    outOfScope: () => ({ path: '/api/sensors/seal-b' }),
  },
  'POST /api/sensors/:sensorId/commissioning': {
    roles: ['admin', 'technician'],
    inScope: () => ({ path: '/api/sensors/seal-a/commissioning' }),
    outOfScope: () => ({ path: '/api/sensors/seal-b/commissioning' }),
  },
  'DELETE /api/sensors/:sensorId/commissioning': {
    roles: ['admin', 'technician'],
    inScope: () => ({ path: '/api/sensors/seal-a/commissioning' }),
    outOfScope: () => ({ path: '/api/sensors/seal-b/commissioning' }),
  },
  // A replacement in scope names a sensor that does not exist (404 past the role check): seal-a stays.
  'POST /api/sensors/:sensorId/replace': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: `/api/sensors/none-${n}/replace`, body: { newId: `new-a-${n}` } }),
    outOfScope: (n) => ({ path: '/api/sensors/seal-b/replace', body: { newId: `new-b-${n}` } }),
  },
  'POST /api/sensors/:sensorId/battery': {
    roles: ['admin', 'technician'],
    inScope: () => ({ path: '/api/sensors/seal-a/battery' }),
    outOfScope: () => ({ path: '/api/sensors/seal-b/battery' }),
  },
  'POST /api/gateways': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: '/api/gateways', body: { id: `gwa-${n}`, name: 'g', sensorIds: ['seal-a'] } }),
    outOfScope: (n) => ({
      path: '/api/gateways',
      body: { id: `gwb-${n}`, name: 'g', sensorIds: ['seal-b'] },
    }),
  },
  'GET /api/gateways': {
    roles: ['admin', 'technician'],
    inScope: () => ({ path: '/api/gateways' }),
    listMustNotMention: 'seal-b',
  },
  'POST /api/platform-apps': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({
      path: '/api/platform-apps',
      body: { id: `paa-${n}`, platform: 'onenet', name: 'p', sensorIds: ['seal-a'] },
    }),
    outOfScope: (n) => ({
      path: '/api/platform-apps',
      body: { id: `pab-${n}`, platform: 'onenet', name: 'p', sensorIds: ['seal-b'] },
    }),
  },
  'GET /api/platform-apps': {
    roles: ['admin', 'technician'],
    inScope: () => ({ path: '/api/platform-apps' }),
    listMustNotMention: 'seal-b',
  },
  'DELETE /api/platform-apps/:appId': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: `/api/platform-apps/paa-never-${n}` }),
    outOfScope: () => ({ path: '/api/platform-apps/pa-b' }),
  },
  // In scope: ids that do not exist (404 past the role check), so gateway A stays as it is.
  'PATCH /api/gateways/:gatewayId': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: `/api/gateways/none-${n}`, body: { name: 'x' } }),
    outOfScope: () => ({ path: '/api/gateways/gw-b', body: { name: 'x' } }),
  },
  'POST /api/gateways/:gatewayId/secret': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: `/api/gateways/none-${n}/secret` }),
    outOfScope: () => ({ path: '/api/gateways/gw-b/secret' }),
  },
  'DELETE /api/gateways/:gatewayId': {
    roles: ['admin', 'technician'],
    inScope: (n) => ({ path: `/api/gateways/none-${n}` }),
    outOfScope: () => ({ path: '/api/gateways/gw-b' }),
  },
  // The set-up registered gateway B with the initial (whole-grid) admin: an entry about grid B.
  'GET /api/audit': { roles: ['admin'], inScope: () => ({ path: '/api/audit' }), listMustNotMention: 'gw-b' },
  // The external broker's hooks answer for every grid: only a whole-grid admin token (held by EMQX) may ask.
  'POST /api/broker/authenticate': {
    roles: [],
    inScope: () => ({
      path: '/api/broker/authenticate',
      body: { clientid: 'seal-a', username: 'seal-a', password: 'guess' },
    }),
  },
  'POST /api/broker/authorize': {
    roles: [],
    inScope: () => ({
      path: '/api/broker/authorize',
      body: { clientid: 'seal-b', username: 'seal-b', topic: 'seal/seal-b/event', action: 'publish' },
    }),
  },
  // Device secret hashes of every grid, for Mosquitto's password file.
  'GET /api/broker/passwd': { roles: [], inScope: () => ({ path: '/api/broker/passwd' }) },
  'POST /api/quarantines': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/quarantines', body: { householdId: 'house-a', start: iso(-1000) } }),
    outOfScope: () => ({ path: '/api/quarantines', body: { householdId: 'house-b', start: iso(-1000) } }),
  },
  'POST /api/windows': {
    roles: ['admin', 'monitor', 'worker'],
    inScope: () => ({
      path: '/api/windows',
      body: { householdId: 'house-a', start: iso(3_600_000), end: iso(3_700_000), reason: '送餐', by: 'w' },
    }),
    outOfScope: () => ({
      path: '/api/windows',
      body: { gridId: 'B', start: iso(3_600_000), end: iso(3_700_000), reason: '核酸', by: 'w' },
    }),
  },
  'PATCH /api/quarantines/:id': {
    roles: ['admin'],
    inScope: () => ({
      path: `/api/quarantines/${scheduleIds.quarantineA}`,
      body: { end: iso(30 * 86_400_000) },
    }),
    outOfScope: () => ({
      path: `/api/quarantines/${scheduleIds.quarantineB}`,
      body: { end: iso(30 * 86_400_000) },
    }),
  },
  'DELETE /api/windows/:id': {
    roles: ['admin', 'monitor', 'worker'],
    inScope: () => ({ path: `/api/windows/${scheduleIds.windowA}` }),
    outOfScope: () => ({ path: `/api/windows/${scheduleIds.windowB}` }),
  },
  // Rosters and absences name their node and workers in the body: outside the scope is a 400, as unknown.
  'POST /api/rosters': {
    roles: ['admin', 'monitor'],
    inScope: (n) => ({ path: '/api/rosters', body: { gridId: 'A', workerId: 'worker-a', ...later(n) } }),
    outOfScope: (n) => ({ path: '/api/rosters', body: { gridId: 'B', workerId: 'worker-b', ...later(n) } }),
  },
  'GET /api/rosters': {
    roles: ALL,
    inScope: () => ({ path: '/api/rosters' }),
    listMustNotMention: 'worker-b',
  },
  'DELETE /api/rosters/:id': {
    roles: ['admin', 'monitor'],
    inScope: (n) => ({ path: `/api/rosters/none-${n}` }),
    outOfScope: () => ({ path: `/api/rosters/${scheduleIds.rosterB}` }),
  },
  'POST /api/absences': {
    roles: ['admin', 'monitor'],
    inScope: (n) => ({
      path: '/api/absences',
      body: { workerId: 'worker-a', substituteId: 'worker-a2', ...later(n) },
    }),
    outOfScope: (n) => ({
      path: '/api/absences',
      body: { workerId: 'worker-b', substituteId: 'worker-b2', ...later(n) },
    }),
  },
  'GET /api/absences': {
    roles: ALL,
    inScope: () => ({ path: '/api/absences' }),
    listMustNotMention: 'worker-b',
  },
  'DELETE /api/absences/:id': {
    roles: ['admin', 'monitor'],
    inScope: (n) => ({ path: `/api/absences/none-${n}` }),
    outOfScope: () => ({ path: `/api/absences/${scheduleIds.absenceB}` }),
  },
  'GET /api/grid/:gridId/duty': {
    roles: ALL,
    inScope: () => ({ path: '/api/grid/A/duty' }),
    outOfScope: () => ({ path: '/api/grid/B/duty' }),
  },
  'POST /api/tokens': {
    roles: ['admin'],
    inScope: (n) => ({ path: '/api/tokens', body: { role: 'monitor', gridId: 'A', name: `t${n}` } }),
    outOfScope: (n) => ({ path: '/api/tokens', body: { role: 'monitor', gridId: 'B', name: `t${n}` } }),
  },
  'GET /api/tokens': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/tokens' }),
    // The whole-grid initial admin token is outside grid A.
    listMustNotMention: 'initial admin',
  },
  // In scope: an id that does not exist (404 past the role check), so no caller's token is revoked.
  'DELETE /api/tokens/:tokenId': {
    roles: ['admin'],
    inScope: (n) => ({ path: `/api/tokens/none-${n}` }),
    outOfScope: () => ({ path: `/api/tokens/${tokenIds.initialAdmin}` }),
  },
  'POST /api/users': {
    roles: ['admin'],
    inScope: (n) => ({
      path: '/api/users',
      body: { username: `user-a-${n}`, password: 'a long enough password', role: 'monitor', gridId: 'A' },
    }),
    outOfScope: (n) => ({
      path: '/api/users',
      body: { username: `user-b-${n}`, password: 'a long enough password', role: 'monitor', gridId: 'B' },
    }),
  },
  'GET /api/users': {
    roles: ['admin'],
    inScope: () => ({ path: '/api/users' }),
    listMustNotMention: 'person-b',
  },
  'PATCH /api/users/:userId': {
    roles: ['admin'],
    inScope: () => ({ path: `/api/users/${userIds.A}`, body: { role: 'monitor' } }),
    outOfScope: () => ({ path: `/api/users/${userIds.B}`, body: { role: 'monitor' } }),
  },
  'DELETE /api/users/:userId': {
    roles: ['admin'],
    inScope: (n) => ({ path: `/api/users/none-${n}` }),
    outOfScope: () => ({ path: `/api/users/${userIds.B}` }),
  },
  'DELETE /api/users/:userId/sessions': {
    roles: ['admin'],
    inScope: () => ({ path: `/api/users/${userIds.A}/sessions` }),
    outOfScope: () => ({ path: `/api/users/${userIds.B}/sessions` }),
  },
  // A token has no session: 400 past the role check (the cookie's way is test/integration/api/signIn.test.ts).
  'DELETE /api/session': { roles: ALL, inScope: () => ({ path: '/api/session' }) },
  'GET /api/seals/:sensorId': {
    roles: ALL,
    inScope: () => ({ path: '/api/seals/seal-a' }),
    outOfScope: () => ({ path: '/api/seals/seal-b' }),
  },
  'GET /api/seals': { roles: ALL, inScope: () => ({ path: '/api/seals' }), listMustNotMention: 'seal-b' },
  'GET /api/seals/:sensorId/history': {
    roles: ALL,
    inScope: () => ({ path: '/api/seals/seal-a/history' }),
    outOfScope: () => ({ path: '/api/seals/seal-b/history' }),
  },
  'GET /api/households/:householdId/history': {
    roles: ALL,
    inScope: () => ({ path: '/api/households/house-a/history' }),
    outOfScope: () => ({ path: '/api/households/house-b/history' }),
  },
  'POST /api/import/:entity': {
    roles: ['admin'],
    inScope: (n) => ({ path: '/api/import/households', csv: `id,gridId,address\ncsv-a-${n},A,a\n` }),
    outOfScope: (n) => ({ path: '/api/import/households', csv: `id,gridId,address\ncsv-b-${n},B,b\n` }),
  },
  'GET /api/export/:entity': {
    roles: ['admin', 'monitor'],
    inScope: () => ({ path: '/api/export/households' }),
    listMustNotMention: 'house-b',
  },
  'GET /api/alerts': {
    roles: ALL,
    inScope: () => ({ path: '/api/alerts?status=open' }),
    listMustNotMention: 'seal-b',
  },
  'GET /api/alerts/:id': {
    roles: ALL,
    inScope: () => ({ path: `/api/alerts/${alertIds.A}` }),
    outOfScope: () => ({ path: `/api/alerts/${alertIds.B}` }),
  },
  'POST /api/alerts/:id/ack': {
    roles: ALL,
    inScope: () => ({ path: `/api/alerts/${alertIds.A}/ack`, body: {} }),
    outOfScope: () => ({ path: `/api/alerts/${alertIds.B}/ack`, body: {} }),
  },
  'POST /api/alerts/:id/resolve': {
    roles: ALL,
    inScope: () => ({
      path: `/api/alerts/${alertIds.A}/resolve`,
      body: { outcome: 'visited', note: '已上门' },
    }),
    outOfScope: () => ({
      path: `/api/alerts/${alertIds.B}/resolve`,
      body: { outcome: 'visited', note: 'x' },
    }),
  },
  // The daily report covers the whole grid: only a whole-grid admin runs it, so every scoped token is refused.
  'POST /api/reports/daily/run': { roles: [], inScope: () => ({ path: '/api/reports/daily/run', body: {} }) },
  'GET /api/reports/daily': {
    roles: ALL,
    inScope: () => ({ path: `/api/reports/daily?gridId=A&date=${iso(0).slice(0, 10)}&format=csv` }),
    outOfScope: () => ({ path: `/api/reports/daily?gridId=B&date=${iso(0).slice(0, 10)}&format=csv` }),
  },
  'GET /api/reports': {
    roles: ALL,
    inScope: () => ({ path: '/api/reports' }),
    outOfScope: () => ({ path: '/api/reports?gridId=B' }),
    listMustNotMention: '"gridId":"B"',
  },
  'POST /api/announcements': {
    roles: ['admin', 'monitor', 'worker'],
    inScope: () => ({ path: '/api/announcements', body: { householdId: 'house-a', reason: '倒垃圾' } }),
    outOfScope: () => ({ path: '/api/announcements', body: { householdId: 'house-b', reason: '倒垃圾' } }),
  },
  'POST /api/households/:id/announce-link': {
    roles: ['admin', 'monitor', 'worker'],
    inScope: () => ({ path: '/api/households/house-a/announce-link', body: {} }),
    outOfScope: () => ({ path: '/api/households/house-b/announce-link', body: {} }),
  },
  'POST /api/households/:id/qr': {
    roles: ['admin', 'monitor', 'worker'],
    inScope: () => ({ path: '/api/households/house-a/qr', body: {} }),
    outOfScope: () => ({ path: '/api/households/house-b/qr', body: {} }),
  },
  'GET /api/overview': { roles: ALL, inScope: () => ({ path: '/api/overview' }), listMustNotMention: '"B"' },
  'GET /api/wall': {
    roles: ALL,
    inScope: () => ({ path: '/api/wall' }),
    outOfScope: () => ({ path: '/api/wall?gridId=B' }),
    listMustNotMention: '乙镇',
  },
  'GET /api/events': {
    roles: ALL,
    inScope: () => ({ path: '/api/events?gridId=A' }),
    outOfScope: () => ({ path: '/api/events?gridId=B' }),
  },
};

/**
 * The routes the carrier platforms call (ingest/platforms/): they carry the platform's signature or
 * the application's token, never a bearer token, so without a valid signature every caller gets 401,
 * with or without a bearer token of any role. pa-ct and pa-b are made in the set-up.
 */
const SIGNED_ROUTES: Record<string, { path: string; body?: unknown }> = {
  'POST /api/ingest/ctwing/:appId': {
    path: '/api/ingest/ctwing/pa-ct?token=guess',
    body: { messageType: 'dataReport', deviceId: 'seal-a', payload: { APPdata: 'e30=' } },
  },
  'POST /api/ingest/onenet/:appId': {
    path: '/api/ingest/onenet/pa-b',
    body: { msg: { type: 1, dev_id: 1, value: '{}' }, msg_signature: 'guess', nonce: '12345678' },
  },
  'GET /api/ingest/onenet/:appId': { path: '/api/ingest/onenet/pa-b?msg=a&nonce=12345678&signature=guess' },
  // The clouds' SMS receipts and replies: the token in the URL is SMS_URL's callback=.
  'POST /api/sms/:gateway/:kind': {
    path: '/api/sms/tencent/reply?token=guess',
    body: { mobile: '13800138000', nationcode: '86', text: '417', time: 1457336869 },
  },
  // The voice clouds' call reports (a press of 1 acknowledges): the token is VOICE_URL's callback=.
  'POST /api/voice/:vendor': {
    path: '/api/voice/tencent?token=guess',
    body: { voicekey_callback: { callid: 'guess', keypress: '1', mobile: '13800138000', nationcode: '86' } },
  },
};

/**
 * Signing in takes a user name and a password, never a token: without the right password every
 * caller gets 401, with or without a bearer token of any role (each call names another user, so
 * the sign-in throttle does not answer instead).
 */
const SIGN_IN_ROUTES: Record<string, (n: number) => { path: string; body: unknown }> = {
  'POST /api/session': (n) => ({
    path: '/api/session',
    body: { username: n % 2 === 0 ? 'person-a' : `nobody-${n}`, password: `guess-${n}` },
  }),
};

/** Grid B's ids, and ids that exist nowhere, to ask the same question about nothing. */
const unknownIds = (): [string, string][] => [
  ['house-b', 'house-z'],
  ['seal-b', 'seal-z'],
  ['worker-b', 'worker-z'],
  ['B', 'Z9'],
  [alertIds.B, 'alert-z'],
  [scheduleIds.quarantineB, 'quarantine-z'],
  [scheduleIds.windowB, 'window-z'],
  [scheduleIds.rosterB, 'roster-z'],
  [scheduleIds.absenceB, 'absence-z'],
  [tokenIds.initialAdmin, 'token-z'],
  ['pa-b', 'pa-z'],
  ['gw-b', 'gw-z'],
  [userIds.B, 'user-z'],
];

function asUnknown(req: { path: string; body?: unknown; csv?: string }): typeof req {
  const swap = (value: string) => unknownIds().find(([b]) => b === value)?.[1] ?? value;
  const path = req.path
    .split(/([/?=&])/)
    .map(swap)
    .join('');
  // Only string values that are exactly one of B's ids change; names and reasons stay.
  const body =
    req.body === undefined
      ? undefined
      : JSON.parse(JSON.stringify(req.body), (_key, value) =>
          typeof value === 'string' ? swap(value) : value,
        );
  const csv = req.csv
    ?.split(/([,\n])/)
    .map(swap)
    .join('');
  return { path, ...(body === undefined ? {} : { body }), ...(csv === undefined ? {} : { csv }) };
}

/** An answer about an unknown id, with that id put back as grid B's, to compare with B's answer. */
function backToGridB(text: string): string {
  return unknownIds().reduce((t, [b, z]) => t.split(z).join(b), text);
}

describe('security', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  const tokens = {} as Record<Role, string>;
  const secrets: string[] = [];

  beforeAll(async () => {
    svc = await startService();
    await svc.api('POST', '/api/grid', { id: 'R', name: '县', parentId: null, level: 'county' });
    await svc.api('POST', '/api/grid', { id: 'A', name: '甲镇', parentId: 'R', level: 'township' });
    await svc.api('POST', '/api/grid', { id: 'B', name: '乙镇', parentId: 'R', level: 'township' });
    await svc.api('POST', '/api/workers', { id: 'worker-a', name: 'wa', gridId: 'A', role: 'worker' });
    await svc.api('POST', '/api/workers', { id: 'worker-b', name: 'wb', gridId: 'B', role: 'worker' });
    for (const [h, g, s] of [
      ['house-a', 'A', 'seal-a'],
      ['house-b', 'B', 'seal-b'],
    ] as const) {
      await svc.api('POST', '/api/households', { id: h, gridId: g, address: `${h} address` });
      const sensor = await svc.api('POST', '/api/sensors', { id: s, householdId: h });
      secrets.push(sensor.body.secret);
    }
    // An open door in each armed household: one breach alert per grid.
    for (const [h, sensor, grid] of [
      ['house-a', 'seal-a', 'A'],
      ['house-b', 'seal-b', 'B'],
    ] as const) {
      await svc.api('POST', '/api/quarantines', { householdId: h, start: iso(-60_000) });
      const c = await connectSensor(svc.mqttUrl, sensor, secrets[grid === 'A' ? 0 : 1] as string);
      await c.publishAsync(`seal/${sensor}/event`, eventPayload('open', 1), { qos: 1 });
      await c.endAsync();
    }
    await eventually(
      async () => {
        const open = (await svc.api('GET', '/api/alerts?status=open')).body as {
          id: string;
          sensorId?: string;
        }[];
        alertIds.A = open.find((a) => a.sensorId === 'seal-a')?.id ?? '';
        alertIds.B = open.find((a) => a.sensorId === 'seal-b')?.id ?? '';
        return alertIds.A !== '' && alertIds.B !== '';
      },
      10_000,
      'a breach alert in each grid',
    );
    for (const [h, key] of [
      ['house-a', 'A'],
      ['house-b', 'B'],
    ] as const) {
      const schedule = (await svc.api('GET', `/api/households/${h}/schedule`)).body;
      scheduleIds[`quarantine${key}`] = schedule.quarantines[0].id;
      const w = { householdId: h, start: iso(7_200_000), end: iso(7_300_000), reason: '送餐', by: 'set-up' };
      scheduleIds[`window${key}`] = (await svc.api('POST', '/api/windows', w)).body.id;
    }
    // A second worker in each grid (after the alerts, which they do not change), grid B's roster
    // entry and absence, ten days ahead.
    await svc.api('POST', '/api/workers', { id: 'worker-a2', name: 'wa2', gridId: 'A', role: 'worker' });
    await svc.api('POST', '/api/workers', { id: 'worker-b2', name: 'wb2', gridId: 'B', role: 'worker' });
    scheduleIds.rosterB = (
      await svc.api('POST', '/api/rosters', { gridId: 'B', workerId: 'worker-b', ...later(0) })
    ).body.id;
    scheduleIds.absenceB = (
      await svc.api('POST', '/api/absences', { workerId: 'worker-b', substituteId: 'worker-b2', ...later(0) })
    ).body.id;
    for (const role of ROLES) {
      const t = await svc.api('POST', '/api/tokens', { role, gridId: 'A', name: `${role} of A` });
      tokens[role] = t.body.token;
      secrets.push(t.body.token);
    }
    secrets.push(svc.adminToken);
    for (const [id, platform, sensor] of [
      ['pa-ct', 'ctwing', 'seal-a'],
      ['pa-b', 'onenet', 'seal-b'],
    ] as const) {
      const app = { id, platform, name: id, sensorIds: [sensor] };
      secrets.push((await svc.api('POST', '/api/platform-apps', app)).body.token);
    }
    secrets.push(
      (await svc.api('POST', '/api/gateways', { id: 'gw-b', name: 'B', sensorIds: ['seal-b'] })).body.secret,
    );
    for (const grid of ['A', 'B'] as const) {
      const user = { username: `person-${grid.toLowerCase()}`, password: 'a long enough password' };
      const made = await svc.api('POST', '/api/users', { ...user, role: 'monitor', gridId: grid });
      userIds[grid] = made.body.id;
      secrets.push(user.password);
    }
    tokenIds.initialAdmin = (await svc.api('GET', '/api/tokens')).body.items.find(
      (t: { name: string }) => t.name === 'initial admin',
    ).id;
  });
  afterAll(async () => svc?.cleanup());

  // Event streams stay open: read the status and leave.
  const call = async (method: string, path: string, body: unknown, token: string | null, csv?: string) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (csv !== undefined) headers['content-type'] = 'text/csv';
    const controller = new AbortController();
    const res = await fetch(`${svc.httpUrl}${path}`, {
      method,
      headers,
      body: csv ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: controller.signal,
    });
    const text = path.startsWith('/api/events') ? '' : await res.text();
    controller.abort();
    return { status: res.status, text };
  };

  it('the table names every API route the service has', async () => {
    const doc = (await svc.api('GET', '/docs/json', undefined, null)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const api = routes.filter((r) => r.split(' ')[1]?.startsWith('/api/'));
    const named = { ...ROUTES, ...SIGNED_ROUTES, ...SIGN_IN_ROUTES };
    expect(api.filter((r) => !(r in named))).toEqual([]);
    // And no row of the table names a route that is gone (or undocumented: test/integration/api/openApi.test.ts).
    expect(Object.keys(named).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it("the platforms' push routes refuse every caller without the platform's signature (401), bearer token or not", async () => {
    for (const [route, req] of Object.entries(SIGNED_ROUTES)) {
      const method = route.split(' ')[0] as string;
      for (const token of [null, ...ROLES.map((r) => tokens[r]), svc.adminToken]) {
        const { status } = await call(method, req.path, req.body, token);
        expect(status, `${route} with ${token === null ? 'no token' : 'a bearer token'}`).toBe(401);
      }
    }
  });

  it('signing in refuses every caller without the right password (401), bearer token or not', async () => {
    let n = 0;
    for (const [route, request] of Object.entries(SIGN_IN_ROUTES)) {
      const method = route.split(' ')[0] as string;
      for (const token of [null, ...ROLES.map((r) => tokens[r]), svc.adminToken]) {
        const req = request(n++);
        const { status } = await call(method, req.path, req.body, token);
        expect(status, `${route} with ${token === null ? 'no token' : 'a bearer token'}`).toBe(401);
      }
    }
  });

  it('every route refuses a missing token (401) and roles it does not allow (403)', async () => {
    let n = 0;
    const outcomes: string[] = [];
    for (const [route, spec] of Object.entries(ROUTES)) {
      const method = route.split(' ')[0] as string;
      const req = spec.inScope(n++);
      expect((await call(method, req.path, req.body, null, req.csv)).status, `${route} without token`).toBe(
        401,
      );
      for (const role of ROLES) {
        const inScope = spec.inScope(n++);
        const { status } = await call(method, inScope.path, inScope.body, tokens[role], inScope.csv);
        const allowed = spec.roles.includes(role);
        if (allowed) expect([401, 403], `${route} as ${role}`).not.toContain(status);
        else expect(status, `${route} as ${role}`).toBe(403);
        outcomes.push(`${route} ${role} ${status}`);
      }
    }
    report('route-matrix', outcomes);
  });

  it('every route keeps each role inside its grid subtree', async () => {
    let n = 1000;
    for (const [route, spec] of Object.entries(ROUTES)) {
      const method = route.split(' ')[0] as string;
      for (const role of spec.roles) {
        if (spec.outOfScope) {
          const req = spec.outOfScope(n++);
          const outside = await call(method, req.path, req.body, tokens[role], req.csv);
          // A CSV import refuses rows outside the scope as a whole: 400 with the row named. A
          // gateway's list of sensors is a body field: unknown ones are a 400 as well.
          const expected =
            req.csv !== undefined ||
            [
              'POST /api/gateways',
              'POST /api/platform-apps',
              'POST /api/rosters',
              'POST /api/absences',
            ].includes(route)
              ? 400
              : 404;
          expect(outside.status, `${route} as ${role} into grid B: ${outside.text}`).toBe(expected);
          // Exactly what an id that exists nowhere gets: nothing tells the caller B's ids exist.
          const unknown = asUnknown(req);
          const nowhere = await call(method, unknown.path, unknown.body, tokens[role], unknown.csv);
          expect(outside.status, `${route} as ${role}: unknown id`).toBe(nowhere.status);
          expect(outside.text, `${route} as ${role}: same body as an unknown id`).toBe(
            backToGridB(nowhere.text),
          );
          // No message names a node of grid B that the caller did not name itself.
          if (!JSON.stringify(unknown).includes('Z9'))
            expect(outside.text, `${route} as ${role} names grid B`).not.toMatch(/'B'|乙镇|"B"/);
        }
        if (spec.listMustNotMention) {
          const req = spec.inScope(n++);
          const { text } = await call(method, req.path, req.body, tokens[role], req.csv);
          expect(text, `${route} as ${role} shows grid B`).not.toContain(spec.listMustNotMention);
        }
      }
    }
  });

  it("only a whole-grid admin edits a sensor model: grid A's admin is refused, the model unchanged", async () => {
    const refused = await call(
      'PATCH',
      '/api/models/aqara-mccgq11lm',
      { missedHeartbeats: 100 },
      tokens.admin,
    );
    expect(refused.status).toBe(403);
    const models = (await svc.api('GET', '/api/models')).body.items as Array<{
      id: string;
      missedHeartbeats: number;
    }>;
    expect(models.find((m) => m.id === 'aqara-mccgq11lm')?.missedHeartbeats).toBe(3);
  });

  it('a wrong device secret is refused, and no secret or token reaches the log', async () => {
    expect(
      await connectRefusal(svc.mqttUrl, { clientId: 'seal-b', username: 'seal-b', password: 'guess' }),
    ).toMatch(/code 4|Bad user/i);
    const a = await connectSensor(svc.mqttUrl, 'seal-a', secrets[0] as string);
    await a.publishAsync('seal/seal-a/event', eventPayload('open', 1), { qos: 1 });
    await a.endAsync();
    const log = svc.logs.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
    for (const secret of [...secrets, 'guess'])
      expect(log.includes(secret), 'a secret in the log').toBe(false);
  });

  it('brute force: after five failed MQTT logins, further attempts are refused without a password check', async () => {
    const started = Date.now();
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      outcomes.push(
        await connectRefusal(svc.mqttUrl, { clientId: 'seal-a', username: 'seal-a', password: `wrong-${i}` }),
      );
    }
    const seconds = (Date.now() - started) / 1000;
    const bad = outcomes.filter((o) => /code 4|Bad user/i.test(o)).length;
    const throttled = outcomes.filter((o) => /code 3|unavailable/i.test(o)).length;
    expect(bad).toBe(5);
    expect(throttled).toBe(25);
    report('brute-force', {
      attempts: 30,
      passwordChecks: bad,
      throttled,
      seconds,
      checksPerSecondAfterLockout: 0,
    });
  });

  it('files in DATA_DIR are readable by the service user only', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
      );
    const loose = walk(svc.dataDir).filter((f) => (statSync(f).mode & 0o077) !== 0);
    expect(loose).toEqual([]);
  });
});
