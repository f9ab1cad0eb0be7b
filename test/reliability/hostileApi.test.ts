import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../helpers/service.ts';

/**
 * Inputs an API fuzzer and hand probes found (issue 15, item 2), each refused the way the API
 * refuses everything: `{"error":{"code","message"}}`, and the service still answering after it.
 */
describe('hostile API input', () => {
  let svc: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.cleanup());

  const csv = async (entity: string, text: string) => {
    const res = await fetch(`${svc.httpUrl}/api/import/${entity}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
      body: text,
    });
    return { status: res.status, body: (await res.json()) as ErrorBody & { imported?: number } };
  };
  const gridIds = async () =>
    ((await svc.api('GET', '/api/grid')).body.items as { id: string }[]).map((n) => n.id);
  const stillAnswers = async () => {
    const health = await fetch(`${svc.httpUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    expect(health.status).toBe(200);
  };

  describe('the grid tree', () => {
    it('refuses the CSV row `self1,S,self1,x` (a node that is its own parent), naming the row', async () => {
      const answer = await csv('grid', 'id,name,parentId,level\nself1,S,self1,x\n');
      expect(answer.status).toBe(400);
      expect(answer.body.error.details).toEqual([
        { line: 2, column: 'parentId', message: 'a grid node cannot be its own parent' },
      ]);
      expect(await gridIds()).not.toContain('self1');
      await stillAnswers();
    });

    it('refuses a JSON node that is its own parent with 400', async () => {
      const answer = await svc.api('POST', '/api/grid', {
        id: 'self2',
        name: 'S',
        parentId: 'self2',
        level: 'x',
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain('own parent');
    });

    it('refuses a PATCH that moves a node under its own child, naming both', async () => {
      await svc.api('POST', '/api/grid', { id: 'loop-top', name: 'T', parentId: null, level: 'county' });
      await svc.api('POST', '/api/grid', { id: 'loop-kid', name: 'K', parentId: 'loop-top', level: 'town' });
      const answer = await svc.api('PATCH', '/api/grid/loop-top', { parentId: 'loop-kid' });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain("'loop-top'");
      expect(answer.body.error.message).toContain("'loop-kid'");
    });

    it('imports a CSV that lists a child before its parent, parents first', async () => {
      const answer = await csv(
        'grid',
        'id,name,parentId,level\nord-c,C,ord-b,group\nord-b,B,ord-a,village\nord-a,A,,county\n',
      );
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body.imported).toBe(3);
      const nodes = (await svc.api('GET', '/api/grid')).body.items as { id: string; parentId: string }[];
      expect(nodes.find((n) => n.id === 'ord-c')?.parentId).toBe('ord-b');
    });

    it('imports child-before-parent rows for a scoped admin when the chain hangs in its scope', async () => {
      await svc.api('POST', '/api/grid', { id: 'scope-top', name: 'T', parentId: null, level: 'county' });
      const token = (await svc.api('POST', '/api/tokens', { role: 'admin', gridId: 'scope-top', name: 's' }))
        .body.token as string;
      const res = await fetch(`${svc.httpUrl}/api/import/grid`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: 'id,name,parentId,level\nsc-kid,K,sc-mid,group\nsc-mid,M,scope-top,village\n',
      });
      expect(res.status, await res.clone().text()).toBe(201);
    });

    it('refuses a CSV two-row cycle with 400 naming both rows', async () => {
      const answer = await csv('grid', 'id,name,parentId,level\nring-a,A,ring-b,x\nring-b,B,ring-a,x\n');
      expect(answer.status).toBe(400);
      const details = answer.body.error.details as { line: number; message: string }[];
      expect(details.map((d) => d.line)).toEqual([2, 3]);
      expect(details[0]?.message).toContain('rows 2, 3 form a cycle');
      expect(await gridIds()).not.toContain('ring-a');
    });

    it('refuses a CSV row whose parent is missing with 400 naming the row', async () => {
      const answer = await csv('grid', 'id,name,parentId,level\norphan,O,nowhere,x\n');
      expect(answer.status).toBe(400);
      expect(answer.body.error.details).toEqual([
        { line: 2, column: 'parentId', message: "parent 'nowhere' is neither registered nor in this file" },
      ]);
    });

    it('walks a cycle already stored in the database without hanging, and logs it once', async () => {
      await svc.api('POST', '/api/grid', { id: 'cyc-a', name: 'A', parentId: null, level: 'county' });
      await svc.api('POST', '/api/grid', { id: 'cyc-b', name: 'B', parentId: 'cyc-a', level: 'town' });
      await svc.api('POST', '/api/grid', { id: 'cyc-self', name: 'S', parentId: null, level: 'county' });
      await svc.api('POST', '/api/households', { id: 'cyc-h', gridId: 'cyc-b', address: 'x' });
      await svc.api('POST', '/api/sensors', { id: 'cyc-s', householdId: 'cyc-h' });
      await svc.stop();
      // As a hand edit or an older release could have left it.
      const db = new Database(join(svc.dataDir, 'sealwatch.db'));
      db.prepare("UPDATE grid_nodes SET parent_id = 'cyc-b' WHERE id = 'cyc-a'").run();
      db.prepare("UPDATE grid_nodes SET parent_id = 'cyc-self' WHERE id = 'cyc-self'").run();
      db.close();
      const logsBefore = svc.logs.length;
      await svc.restart();

      for (const gridId of ['cyc-a', 'cyc-b', 'cyc-self']) {
        const seals = await fetch(`${svc.httpUrl}/api/seals?gridId=${gridId}`, {
          headers: { authorization: `Bearer ${svc.adminToken}` },
          signal: AbortSignal.timeout(5_000),
        });
        expect(seals.status, gridId).toBe(200);
      }
      for (const path of [
        '/api/seals',
        '/api/overview',
        '/api/grid',
        '/api/households',
        '/api/seals/cyc-s',
      ]) {
        expect((await svc.api('GET', path)).status, path).toBe(200);
      }
      await stillAnswers();
      const reports = svc.logs
        .slice(logsBefore)
        .filter((l) => typeof l === 'object' && l.code === 'grid_cycle')
        .map((l) => ((l as { ids: string[] }).ids as string[]).slice().sort().join(','));
      expect(reports.sort()).toEqual(['cyc-a,cyc-b', 'cyc-self']);
      // The way out: give one of them a parent outside the cycle.
      expect((await svc.api('PATCH', '/api/grid/cyc-a', { parentId: null })).status).toBe(200);
      expect((await svc.api('PATCH', '/api/grid/cyc-self', { parentId: null })).status).toBe(200);
    });
  });

  describe("Fastify's and Node's own refusals answer in our error shape", () => {
    const get = async (path: string) => {
      const res = await fetch(`${svc.httpUrl}${path}`, {
        headers: { authorization: `Bearer ${svc.adminToken}` },
      });
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        body: (await res.json()) as ErrorBody,
      };
    };

    it('a path parameter of 5,000 characters: 414 {"error":{"code","message"}}', async () => {
      const answer = await get(`/api/seals/${'x'.repeat(5_000)}`);
      expect(answer.status).toBe(414);
      expect(answer.body).toEqual({ error: { code: 'uri_too_long', message: expect.any(String) } });
    });

    it('GET /api/seals/%zz: 400 {"error":{"code","message"}}, not FST_ERR_BAD_URL', async () => {
      const answer = await get('/api/seals/%zz');
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: { code: 'validation', message: expect.any(String) } });
    });

    it('a 64 KiB header: 431 {"error":{"code","message"}}', async () => {
      const raw = await rawHttp(
        svc.httpPort,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
      );
      expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
        error: { code: 'headers_too_large', message: expect.any(String) },
      });
      await stillAnswers();
    });

    it('a request line that is not HTTP: 400 {"error":{"code","message"}}', async () => {
      const raw = await rawHttp(svc.httpPort, 'HELLO\r\n\r\n');
      expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).error.code).toBe('validation');
    });
  });

  describe('what a bad request is told (the same shape for body, query and path; who asks comes first)', () => {
    it('a bad query names the field and lists each problem', async () => {
      const answer = await svc.api('GET', '/api/seals?limit=0&door=ajar');
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: {
          code: 'validation',
          message: 'limit: must be a whole number from 1 to 10000',
          details: [
            { path: 'limit', message: 'must be a whole number from 1 to 10000' },
            { path: 'door', message: 'must be one of open, closed, unknown' },
          ],
        },
      });
    });

    it('a bad body names the first bad field in the message and lists each in details', async () => {
      const answer = await svc.api('POST', '/api/households', { id: 'h bad', gridId: 'x' });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('validation');
      expect(answer.body.error.message).toMatch(/^id: ids are 1–64 characters/);
      expect(answer.body.error.details.map((d: { path: string }) => d.path)).toEqual(['id', 'address']);
    });

    it('a missing body says what to send: JSON, or the CSV file for an import', async () => {
      const json = await fetch(`${svc.httpUrl}/api/grid`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}` },
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as ErrorBody).error.message).toBe(
        'request body is missing: send a JSON object',
      );
      const csvImport = await fetch(`${svc.httpUrl}/api/import/grid`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}` },
      });
      expect(csvImport.status).toBe(400);
      expect(((await csvImport.json()) as ErrorBody).error.message).toBe(
        'send the file as the body with Content-Type: text/csv',
      );
    });

    it('no token is 401 and a role that may not is 403, before anything about the body', async () => {
      const bad = { id: '', name: '' };
      expect((await svc.api('POST', '/api/grid', bad, null)).status).toBe(401);
      const monitor = (await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: null, name: 'm' }))
        .body.token as string;
      expect((await svc.api('POST', '/api/grid', bad, monitor)).status).toBe(403);
      expect((await svc.api('GET', '/api/tokens?limit=0', undefined, monitor)).status).toBe(403);
    });
  });

  describe('looser than it should be', () => {
    beforeAll(async () => {
      await svc.api('POST', '/api/grid', { id: 'loose', name: 'L', parentId: null, level: 'county' });
      await svc.api('POST', '/api/households', { id: 'loose-h', gridId: 'loose', address: 'x' });
    });
    const refused = (answer: { status: number; body: ErrorBody }, status = 400) => {
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      expect(answer.body.error.code).toEqual(expect.any(String));
      expect(answer.body.error.message).toEqual(expect.any(String));
    };

    it('refuses the email a@b-.cn (a domain label that ends with a hyphen)', async () => {
      const worker = { id: 'w-hyphen', name: 'w', gridId: 'loose', role: 'worker' };
      refused(await svc.api('POST', '/api/workers', { ...worker, email: 'a@b-.cn' }));
      refused(await svc.api('POST', '/api/workers', { ...worker, email: 'a@-b.cn' }));
      expect((await svc.api('POST', '/api/workers', { ...worker, email: 'a@b-c.cn' })).status).toBe(201);
    });

    it('refuses application/x-www-form-urlencoded on a JSON route with 415', async () => {
      const res = await fetch(`${svc.httpUrl}/api/grid`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${svc.adminToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'id=form1&name=F&parentId=loose&level=x',
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as ErrorBody).error.code).toBe('unsupported_media_type');
      expect(await gridIds()).not.toContain('form1');
    });

    it('refuses a CSV body on a JSON route and a JSON body on the CSV import with 415', async () => {
      const asCsv = await fetch(`${svc.httpUrl}/api/households`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.adminToken}`, 'content-type': 'text/csv' },
        body: 'id,gridId,address\nx,loose,a\n',
      });
      expect(asCsv.status).toBe(415);
      refused(
        await svc.api('POST', '/api/import/grid', { id: 'j', name: 'j', parentId: null, level: 'x' }),
        415,
      );
    });

    it('refuses names with NUL and with a lone surrogate', async () => {
      const node = { parentId: 'loose', level: 'x' };
      refused(await svc.api('POST', '/api/grid', { ...node, id: 'nul1', name: 'a\u0000b' }));
      refused(await svc.api('POST', '/api/grid', { ...node, id: 'sur1', name: 'a\ud800b' }));
      refused(await svc.api('POST', '/api/grid', { ...node, id: 'sur2', name: 'a\udc00' }));
      refused(await svc.api('PATCH', '/api/households/loose-h', { address: 'x\u0000' }));
      refused(await csv('households', 'id,gridId,address\nnul-h,loose,"a\u0000b"\n'));
      // A real pair (an emoji) is text like any other.
      expect((await svc.api('POST', '/api/grid', { ...node, id: 'pair1', name: '组 😀' })).status).toBe(201);
    });

    it('refuses an announcement that would end in year 10000', async () => {
      const answer = await svc.api('POST', '/api/announcements', {
        householdId: 'loose-h',
        reason: '倒垃圾',
        start: '9999-12-31T23:59:00Z',
      });
      refused(answer);
      refused(
        await svc.api('POST', '/api/announcements', {
          householdId: 'loose-h',
          reason: 'x',
          start: '+10000-01-01',
        }),
      );
    });

    it('refuses a quarantine from 0000 to 9999, and one that overlaps the current one (409)', async () => {
      const start = new Date(Date.now() - 3_600_000).toISOString();
      expect((await svc.api('POST', '/api/quarantines', { householdId: 'loose-h', start })).status).toBe(201);
      refused(
        await svc.api('POST', '/api/quarantines', {
          householdId: 'loose-h',
          start: '0000-01-01T00:00:00Z',
          end: '9999-12-31T23:59:59Z',
        }),
      );
      const overlap = await svc.api('POST', '/api/quarantines', {
        householdId: 'loose-h',
        start: new Date(Date.now() + 86_400_000).toISOString(),
        end: new Date(Date.now() + 2 * 86_400_000).toISOString(),
      });
      refused(overlap, 409);
      expect(overlap.body.error.message).toContain("'loose-h'");
      refused(
        await csv(
          'quarantines',
          `householdId,start,end\nloose-h,${new Date(Date.now() + 86_400_000).toISOString()},\n`,
        ),
      );
      const schedule = (await svc.api('GET', '/api/households/loose-h/schedule')).body;
      expect(schedule.quarantines).toHaveLength(1);
    });

    it('answers 404 for a bad link token on both GET /ack/<bad> and GET /announce/<bad>', async () => {
      for (const path of ['/ack/bad', '/announce/bad', '/ack/a.b.c', '/announce/a.b.c']) {
        expect((await fetch(`${svc.httpUrl}${path}`)).status, path).toBe(404);
      }
      expect((await fetch(`${svc.httpUrl}/ack/bad`, { method: 'POST' })).status).toBe(404);
    });
  });
});

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Sends bytes as they are and reads until the server closes the connection. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}
