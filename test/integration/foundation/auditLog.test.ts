import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person } from '../../helpers/person.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { type ApiAnswer, startService } from '../../helpers/service.ts';

/**
 * GET /api/audit through the running service, on SQLite and on PostgreSQL (issue 18.2): the registry's
 * changes made through the API name who made them (a token's name, or a signed-in person's user
 * name), filter by entity, id, actor and time, page with limit/offset and x-total-count, and a scoped
 * admin reads only the entries of its subtree.
 */
let postgres: PostgresServer | null = null;
afterAll(async () => {
  await postgres?.close();
});
const BACKENDS = [
  { name: 'SQLite', env: async (): Promise<Record<string, string>> => ({}) },
  {
    name: 'PostgreSQL',
    env: async (): Promise<Record<string, string>> => {
      postgres ??= await startPostgres();
      return { DATABASE_URL: await postgres.createDatabase('audit_api') };
    },
  },
];

type Entry = {
  at: string;
  actor: string;
  entity: string;
  id: string;
  action: string;
  gridId: string | null;
  after: unknown;
};

describe.each(BACKENDS)('the audit log API: $name', (backend) => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let north: string;
  let start: string;
  /** After the grid nodes were created, before anything else. */
  let afterGrid: string;
  const audit = async (query: string, token?: string): Promise<ApiAnswer<Entry[]>> =>
    svc.api('GET', `/api/audit?${query}`, undefined, token);
  /** "entity:id:action by actor"; the ids the service draws (quarantines, windows, tokens) as *. */
  const summary = (entries: Entry[]) =>
    entries.map((e) => {
      const id = ['quarantine', 'window', 'token', 'announcement'].includes(e.entity) ? '*' : e.id;
      return `${e.entity}:${id}:${e.action} by ${e.actor}`;
    });

  beforeAll(async () => {
    svc = await startService({ env: await backend.env() });
    start = new Date().toISOString();
    const ok = async (method: string, path: string, body?: unknown, token?: string) => {
      const res = await svc.api(method, path, body, token);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      return res.body;
    };
    await ok('POST', '/api/grid', { id: 'county', name: '县', parentId: null, level: 'county' });
    await ok('POST', '/api/grid', { id: 'north', name: '北镇', parentId: 'county', level: 'town' });
    await ok('POST', '/api/grid', { id: 'south', name: '南镇', parentId: 'county', level: 'town' });
    await new Promise((r) => setTimeout(r, 5));
    afterGrid = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    north = (await ok('POST', '/api/tokens', { role: 'admin', gridId: 'north', name: '北镇管理员' })).token;
    // The north admin's changes carry its token's name.
    await ok('POST', '/api/workers', { id: 'w-n', name: '李四', gridId: 'north', role: 'worker' }, north);
    await ok('POST', '/api/households', { id: 'h-n', gridId: 'north', address: '北镇 1 号' }, north);
    await ok('POST', '/api/sensors', { id: 's-n', householdId: 'h-n' }, north);
    await ok('POST', '/api/sensors/s-n/commissioning', undefined, north);
    const q = await ok('POST', '/api/quarantines', { householdId: 'h-n', start }, north);
    await ok(
      'PATCH',
      `/api/quarantines/${q.id}`,
      { end: new Date(Date.now() + 86_400_000).toISOString() },
      north,
    );
    await ok('POST', '/api/announcements', { householdId: 'h-n', reason: '倒垃圾', minutes: 10 }, north);
    await ok('POST', '/api/households', { id: 'h-s', gridId: 'south', address: '南镇 1 号' });
    const w = await ok('POST', '/api/windows', {
      householdId: 'h-s',
      start,
      end: new Date(Date.now() + 3_600_000).toISOString(),
      reason: '上门核酸',
      by: '王医生',
    });
    await ok('DELETE', `/api/windows/${w.id}`);
    // A person signed in with a cookie: the entry names the user.
    await ok('POST', '/api/users', {
      username: 'wang.li',
      password: 'correct horse battery',
      role: 'admin',
      gridId: null,
    });
    const session = await fetch(`${svc.httpUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: svc.httpUrl },
      body: JSON.stringify({ username: 'wang.li', password: 'correct horse battery' }),
    });
    const cookie = (session.headers.get('set-cookie') as string).split(';')[0] as string;
    const { csrfToken } = (await session.json()) as { csrfToken: string };
    const patched = await fetch(`${svc.httpUrl}/api/households/h-s`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', origin: svc.httpUrl, cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({ contact: '赵六' }),
    });
    expect(patched.status).toBe(200);
    // A CSV import: one entry per row.
    const csv = await fetch(`${svc.httpUrl}/api/import/households`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
      body: 'id,gridId,address\nh-c1,south,南镇 2 号\nh-c2,north,北镇 2 号\n',
    });
    expect(csv.status, await csv.clone().text()).toBe(201);
  });
  afterAll(async () => svc?.cleanup());

  it('names each change with its actor; filters by entity, id, actor and time', async () => {
    const households = await audit('entity=household');
    expect(summary(households.body)).toEqual([
      'household:h-c2:import by initial admin',
      'household:h-c1:import by initial admin',
      'household:h-s:update by wang.li',
      'household:h-s:create by initial admin',
      'household:h-n:create by 北镇管理员',
    ]);
    expect(summary((await audit('entity=sensor&id=s-n')).body)).toEqual([
      'sensor:s-n:commissioning by 北镇管理员',
      'sensor:s-n:create by 北镇管理员',
    ]);
    expect(
      summary((await audit(`actor=${encodeURIComponent('北镇管理员')}&entity=quarantine`)).body),
    ).toEqual(['quarantine:*:end by 北镇管理员', 'quarantine:*:create by 北镇管理员']);
    expect(summary((await audit('entity=window')).body)).toEqual([
      'window:*:cancel by initial admin',
      'window:*:create by initial admin',
    ]);
    // An announcement made by staff (the household's own link is not a staff change).
    const announced = await audit('entity=announcement');
    expect(summary(announced.body)).toEqual(['announcement:*:create by 北镇管理员']);
    expect(announced.body[0]).toMatchObject({
      gridId: 'north',
      after: { householdId: 'h-n', reason: '倒垃圾' },
    });
    const tokens = await audit('entity=token');
    // The first admin token was issued by the service itself at its first start.
    expect(summary(tokens.body)).toEqual([
      'token:*:create by initial admin',
      'token:*:create by SealWatch service',
    ]);
    expect(JSON.stringify(tokens.body)).not.toContain(north);
    expect((await audit(`to=${encodeURIComponent(afterGrid)}`)).body).toHaveLength(4); // and the first token
    expect((await audit(`entity=grid&from=${encodeURIComponent(afterGrid)}`)).body).toEqual([]);
    expect(
      (await audit(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body,
    ).toEqual([]);
  });

  it('pages with limit and offset, the whole count in x-total-count', async () => {
    const all = await audit('limit=1000');
    const total = Number(all.headers['x-total-count']);
    expect(total).toBe(all.body.length);
    expect(total).toBeGreaterThanOrEqual(17);
    const page = await audit('limit=5&offset=5');
    expect(page.headers['x-total-count']).toBe(String(total));
    expect(page.body).toEqual(all.body.slice(5, 10));
  });

  it("a scoped admin reads only its subtree's entries; other roles are refused", async () => {
    const scoped = await audit('limit=1000', north);
    expect(scoped.status).toBe(200);
    expect(new Set(scoped.body.map((e) => e.gridId))).toEqual(new Set(['north']));
    expect(summary(scoped.body).sort()).toEqual(
      [
        'grid:north:create by initial admin',
        'worker:w-n:create by 北镇管理员',
        'household:h-n:create by 北镇管理员',
        'household:h-c2:import by initial admin',
        'sensor:s-n:create by 北镇管理员',
        'sensor:s-n:commissioning by 北镇管理员',
        'quarantine:*:create by 北镇管理员',
        'quarantine:*:end by 北镇管理员',
        'announcement:*:create by 北镇管理员',
        'token:*:create by initial admin',
      ].sort(),
    );
    expect(scoped.headers['x-total-count']).toBe('10');
    const monitor = (await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: null, name: 'wall' }))
      .body.token;
    expect((await audit('', monitor)).status).toBe(403);
  });
  it('a grid leader signed in as a person reads the entries of their subtree; a plain grid worker is refused', async () => {
    const ok = async (method: string, path: string, body?: unknown) => {
      const res = await svc.api(method, path, body);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    };
    await ok('POST', '/api/workers', { id: 'lead-n', name: '北镇网格长', gridId: 'north', role: 'leader' });
    const password = 'leader-password-2026';
    await ok('POST', '/api/users', {
      username: 'bei.lead',
      password,
      role: 'worker',
      gridId: 'north',
      workerId: 'lead-n',
    });
    await ok('POST', '/api/users', {
      username: 'bei.worker',
      password,
      role: 'worker',
      gridId: 'north',
      workerId: 'w-n',
    });
    const leader = person(svc);
    expect((await leader.signIn('bei.lead', password)).status).toBe(200);
    const read = await leader.call('GET', '/api/audit?limit=1000');
    expect(read.status, read.text).toBe(200);
    const entries = read.body as Entry[];
    expect(entries.length).toBeGreaterThanOrEqual(10);
    expect(new Set(entries.map((e) => e.gridId))).toEqual(new Set(['north']));
    expect(entries.some((e) => e.entity === 'household' && e.id === 'h-s')).toBe(false);

    const worker = person(svc);
    expect((await worker.signIn('bei.worker', password)).status).toBe(200);
    const refused = await worker.call('GET', '/api/audit');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('grid leaders');
  });
});
