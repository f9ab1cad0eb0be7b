import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../../helpers/service.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../../examples/quwo-county');
const ORDER = [
  'grid',
  'workers',
  'households',
  'sensors',
  'quarantines',
  'windows',
  'rosters',
  'absences',
] as const;

describe('CSV import and export', () => {
  let svc: Awaited<ReturnType<typeof startService>>;

  const importCsv = async (entity: string, csv: string, token = svc.adminToken) => {
    const res = await fetch(`${svc.httpUrl}/api/import/${entity}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: csv,
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
    return { status: res.status, body: (await res.json()) as any };
  };
  const exportCsv = async (entity: string, token = svc.adminToken) => {
    const res = await fetch(`${svc.httpUrl}/api/export/${entity}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get('content-type'), bytes, text: bytes.toString('utf8') };
  };

  beforeAll(async () => {
    svc = await startService();
  });
  afterAll(async () => svc?.cleanup());

  it('imports the example county (five levels, BOM, quoted commas, Chinese text) in order', async () => {
    for (const entity of ORDER) {
      const res = await importCsv(entity, readFileSync(resolve(EXAMPLES, `${entity}.csv`), 'utf8'));
      expect(res.status, `${entity}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    const overview = (await svc.api('GET', '/api/overview')).body.nodes as {
      id: string;
      level: string;
      counts: { households: number };
    }[];
    expect(overview.find((n) => n.id === 'quwo')?.counts.households).toBe(5);
    expect(overview.find((n) => n.id === 'dongcun-3')?.counts.households).toBe(2);
    expect(new Set(overview.map((n) => n.level))).toEqual(
      new Set(['county', 'township', 'village', 'community', 'group']),
    );
    const households = (await svc.api('GET', '/api/households')).body.items as {
      id: string;
      contact: string | null;
    }[];
    expect(households.find((h) => h.id === 'h-dc5-02')?.contact).toBe('李四, 母亲 13900000002');
    expect((await svc.api('GET', '/api/seals/door-dc5-02')).status).toBe(200);
  });

  it('gives every sensor its secret once, in the import answer', async () => {
    const res = await importCsv('sensors', 'id,householdId\ncsv-extra-1,h-dc3-12\ncsv-extra-2,h-dc3-15\n');
    expect(res.status).toBe(201);
    expect(res.body.secrets.map((s: { sensorId: string }) => s.sensorId).sort()).toEqual([
      'csv-extra-1',
      'csv-extra-2',
    ]);
    expect(res.body.secrets.every((s: { secret: string }) => s.secret.length >= 20)).toBe(true);
  });

  it('refuses a file with bad rows as a whole, with a report per row, and imports nothing', async () => {
    const bad = [
      'id,gridId,address,contact',
      'ok-1,dongcun-3,东村三组 1 号,',
      'ok-1,dongcun-3,duplicate id in the file,',
      'bad-grid,nowhere,no such node,',
      'h-dc3-12,dongcun-3,already registered,',
      'has space,dongcun-3,bad id,',
      'ok-2,dongcun-3,,',
    ].join('\r\n');
    const res = await importCsv('households', bad);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation');
    const lines = res.body.error.details.map((d: { line: number }) => d.line);
    expect(lines).toEqual([3, 4, 5, 6, 7]);
    expect(res.body.error.details[1]).toMatchObject({ line: 4, column: 'gridId' });
    const households = (await svc.api('GET', '/api/households')).body.items as { id: string }[];
    expect(households.some((h) => h.id === 'ok-1' || h.id === 'ok-2')).toBe(false);
  });

  it('refuses quarantines that overlap a registered one or one earlier in the file; back to back is fine', async () => {
    // h-dc3-12 is registered in quarantine from 2026-11-20 to 2026-12-04 (+08:00), by the example import.
    const res = await importCsv(
      'quarantines',
      [
        'householdId,start,end',
        'h-dc3-12,2026-12-01T00:00:00+08:00,2026-12-10T00:00:00+08:00',
        'h-dc3-12,2026-12-04T00:00:00+08:00,2026-12-10T00:00:00+08:00',
        'h-dc3-12,2026-12-09T00:00:00+08:00,',
        'h-dc3-12,2026-12-10T00:00:00+08:00,',
      ].join('\n'),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([
      {
        line: 2,
        column: 'start',
        message: expect.stringMatching(/^overlaps quarantine '.+' of household 'h-dc3-12'$/),
      },
      {
        line: 4,
        column: 'start',
        message: "overlaps another quarantine of household 'h-dc3-12' in this file",
      },
    ]);
    // Without the overlapping rows, the quarantines that start where another ends import.
    const ok = await importCsv(
      'quarantines',
      [
        'householdId,start,end',
        'h-dc3-12,2026-12-04T00:00:00+08:00,2026-12-10T00:00:00+08:00',
        'h-dc3-12,2026-12-10T00:00:00+08:00,',
      ].join('\n'),
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it('reports malformed CSV and wrong columns by line', async () => {
    expect(
      (await importCsv('households', 'id,gridId,address\n"unclosed,dongcun-3,x\n')).body.error.details[0]
        .message,
    ).toMatch(/not closed/);
    const wrong = await importCsv('households', 'id,grid,address\nx,dongcun-3,y\n');
    expect(wrong.body.error.details[0]).toMatchObject({ line: 1 });
    expect(wrong.body.error.details[0].message).toMatch(/missing columns: gridId; unknown columns: grid/);
    expect((await importCsv('nonsense', 'a\n1\n')).status).toBe(404);
  });

  it('rosters and absences: imported with their offsets, each row audited; a bad row refuses the file; exported back', async () => {
    // The example county's files were imported by the first test.
    const rosters = (await svc.api('GET', '/api/rosters')).body.items as Array<Record<string, string>>;
    expect(rosters.map((r) => [r.gridId, r.workerId, r.start, r.end])).toEqual([
      ['shicun', 'w-li', '2026-11-24T14:00:00.000Z', '2026-11-24T22:00:00.000Z'],
      ['dongcun', 'w-wang', '2026-11-25T14:00:00.000Z', '2026-11-25T22:00:00.000Z'],
    ]);
    const audit = (await svc.api('GET', '/api/audit?entity=roster')).body as Array<{ action: string }>;
    expect(audit.map((e) => e.action)).toEqual(['import', 'import']);
    expect((await svc.api('GET', '/api/absences')).body.items).toMatchObject([
      { workerId: 'w-zhao', substituteId: 'w-wang' },
    ]);

    const bad = [
      'workerId,start,end,substituteId',
      'w-li,2026-12-01T00:00:00+08:00,2026-12-02T00:00:00+08:00,w-li',
      'w-li,2026-12-01T00:00:00+08:00,2026-12-02T00:00:00+08:00,nobody',
      'w-li,2026-12-02T00:00:00+08:00,2026-12-01T00:00:00+08:00,w-wang',
      'w-li,2026-12-01T00:00:00+08:00,2026-12-02T00:00:00+08:00,w-wang',
    ].join('\n');
    const refused = await importCsv('absences', bad);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details).toEqual([
      {
        line: 2,
        column: 'substituteId',
        message: 'the substitute must be someone other than the absent worker',
      },
      { line: 3, column: 'substituteId', message: "worker 'nobody' does not exist" },
      { line: 4, column: 'end', message: 'end must be after start' },
    ]);
    expect((await svc.api('GET', '/api/absences')).body.total).toBe(1);

    const exported = await exportCsv('rosters');
    expect(exported.text).toContain('shicun,w-li,2026-11-24T14:00:00.000Z,2026-11-24T22:00:00.000Z');
    expect((await exportCsv('absences')).text).toContain('w-zhao,');
  });

  it('exports neutralise formulas and keep the caller’s scope; a scoped admin cannot import outside it', async () => {
    const evil = await svc.api('POST', '/api/households', {
      id: 'evil',
      gridId: 'xicun-1',
      address: '=HYPERLINK("http://x","click")',
    });
    expect(evil.status).toBe(201);
    const all = await exportCsv('households');
    expect(all.type).toMatch(/text\/csv/);
    // The BOM makes spreadsheets read the UTF-8 addresses correctly.
    expect([...all.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(all.text).toContain(`"'=HYPERLINK(""http://x"",""click"")"`);
    expect(all.text).not.toMatch(/,=HYPERLINK/);

    const dongcun = (
      await svc.api('POST', '/api/tokens', { role: 'admin', gridId: 'dongcun', name: 'village admin' })
    ).body.token;
    const scoped = await exportCsv('households', dongcun);
    expect(scoped.text).toContain('h-dc3-12');
    expect(scoped.text).not.toContain('h-xc1-07');
    const outside = await importCsv('households', 'id,gridId,address\nsneaky,xicun-1,x\n', dongcun);
    expect(outside.status).toBe(400);
    // Worded as a grid node that does not exist: the import tells nothing of other grids.
    expect(outside.body.error.details[0].message).toBe("grid node 'xicun-1' does not exist");
    const monitor = (await svc.api('POST', '/api/tokens', { role: 'monitor', gridId: null, name: 'm' })).body
      .token;
    expect((await importCsv('households', 'id,gridId,address\nm1,xicun-1,x\n', monitor)).status).toBe(403);
  });

  it('an export imports again unchanged into a fresh service', async () => {
    const fresh = await startService();
    try {
      for (const entity of ['grid', 'workers', 'households'] as const) {
        const csv = (await exportCsv(entity)).text;
        const res = await fetch(`${fresh.httpUrl}/api/import/${entity}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${fresh.adminToken}`, 'content-type': 'text/csv' },
          body: csv,
        });
        expect(res.status, `${entity}: ${await res.clone().text()}`).toBe(201);
      }
      const address = (
        (await fresh.api('GET', '/api/households?limit=1000')).body.items as { id: string; address: string }[]
      ).find((h) => h.id === 'evil')?.address;
      // The apostrophe that kept the spreadsheet safe stays part of the text.
      expect(address).toBe(`'=HYPERLINK("http://x","click")`);
    } finally {
      await fresh.cleanup();
    }
  });
});
