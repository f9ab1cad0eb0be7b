// The worker thread behind SyncPg (syncClient.ts): owns one PostgreSQL connection, runs each
// request, posts the answer, then bumps the shared counter and wakes the blocked main thread.
// Plain JavaScript: it runs as is next to the bundle (dist/) and next to the sources (tests).
import { workerData } from 'node:worker_threads';
import pg from 'pg';

const { port, signal: sharedSignal, url, applicationName } = workerData;
const signal = new Int32Array(sharedSignal);
const INT8_OID = 20;

// bigint columns (epoch ms, counts) as numbers, as openPool.ts does for the pool.
function parseInt8(text) {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${text} is beyond Number.MAX_SAFE_INTEGER`);
  return n;
}
const types = {
  getTypeParser: (oid, format) =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format),
};

let client = null;

async function connection() {
  if (client) return client;
  const c = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    types,
    keepAlive: true,
  });
  // A connection the server dropped is replaced on the next request.
  c.on('error', () => {
    if (client === c) client = null;
  });
  await c.connect();
  client = c;
  return c;
}

async function run(request) {
  const c = await connection();
  if (request.op === 'query') {
    const r = await c.query(request.text, request.values);
    return { rows: r.rows, rowCount: r.rowCount ?? 0 };
  }
  await c.query('BEGIN');
  try {
    const results = [];
    for (const s of request.statements) {
      const r = await c.query(s.text, s.values);
      results.push({ rows: r.rows, rowCount: r.rowCount ?? 0 });
    }
    await c.query('COMMIT');
    return { results };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

port.on('message', async (request) => {
  let answer;
  try {
    answer = { id: request.id, ...(await run(request)) };
  } catch (err) {
    // Not an error of the statement (no SQLSTATE): the connection is suspect, start a new one.
    if (!err?.code && client) {
      client.end().catch(() => undefined);
      client = null;
    }
    answer = {
      id: request.id,
      error: { message: String(err?.message ?? err), code: err?.code ?? null, detail: err?.detail ?? null },
    };
  }
  port.postMessage(answer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
