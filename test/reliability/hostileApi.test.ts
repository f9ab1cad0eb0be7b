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
