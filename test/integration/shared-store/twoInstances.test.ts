import type { MqttClient } from 'mqtt';
import { Client as PgClient } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTING_OWNER_LOCK_KEY } from '../../../storage/postgres/ownerLock.ts';
import { eventually } from '../../helpers/eventually.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { connectClient, eventPayload } from '../../helpers/mqtt.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import type { RunningService, startService } from '../../helpers/service.ts';
import { isAlertingOwner, type SharedStoreRig, startSharedStoreRig } from '../../helpers/sharedStoreRig.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { must, provisionGrid } from '../alerting/grid.ts';

/**
 * SPEC's "beyond one machine" as a site runs it: two instances consuming one Mosquitto through a
 * shared subscription, sharing one PostgreSQL (DATABASE_URL). Everything is provisioned through
 * instance A only; B learns it from the database. A breach alerts once, escalates once, and is
 * acknowledged through either instance; a kill -9 under load loses nothing acknowledged and
 * doubles no notification.
 */

const ESCALATE_MS = 4_000;
type Service = Awaited<ReturnType<typeof startService>>;

/** Armed households (each raises a breach when its door opens) and calm ones (the load). */
const ARMED = ['a1', 'a2', 'a3'];
const CALM = ['c1', 'c2', 'c3', 'c4'];

describe('two instances behind Mosquitto on one PostgreSQL', () => {
  let pg: PostgresServer;
  let hook: WebhookReceiver;
  let rig: SharedStoreRig;
  let a: Service;
  let b: Service;
  const secrets = new Map<string, string>();
  const clients: MqttClient[] = [];

  const device = async (id: string) => {
    const c = await connectClient(rig.deviceUrl, {
      protocolVersion: 5,
      clientId: id,
      username: id,
      password: secrets.get(id) as string,
    });
    clients.push(c);
    return c;
  };
  const isOwner = isAlertingOwner;
  const alertsOf = async (s: RunningService, sensorId: string) =>
    (
      (await s.api('GET', '/api/alerts')).body as Array<{ id: string; sensorId?: string; status: string }>
    ).filter((x) => x.sensorId === sensorId);
  /** Webhook deliveries about one household, by recipient path. */
  const hooksAbout = (n: string) => hook.received.filter((r) => r.body.includes(`${n} 号`));

  beforeAll(async () => {
    [pg, hook] = await Promise.all([startPostgres(), startWebhookReceiver()]);
    rig = await startSharedStoreRig({
      databaseUrl: pg.url,
      instances: 2,
      env: { ESCALATE_AFTER: `${ESCALATE_MS / 1000}s,60s`, PUBLIC_URL: 'http://sealwatch.test' },
      async provision(first) {
        await provisionGrid(first, hook.url);
        const start = new Date(Date.now() - 3_600_000).toISOString();
        for (const id of [...ARMED, ...CALM]) {
          const householdId = `h-${id}`;
          await must(
            first,
            'POST',
            '/api/households',
            { id: householdId, gridId: 'dongcun', address: `${id} 号` },
            201,
          );
          if (ARMED.includes(id)) await must(first, 'POST', '/api/quarantines', { householdId, start }, 201);
          secrets.set(id, (await must(first, 'POST', '/api/sensors', { id, householdId }, 201)).secret);
        }
        return secrets;
      },
    });
    [a, b] = rig.instances as unknown as [Service, Service];
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await rig?.close();
    await hook?.close();
    await pg?.close();
  });

  it('exactly one instance owns alerting; the other learned the registry from the database', async () => {
    await eventually(async () => (await isOwner(a)) !== (await isOwner(b)), 10_000, 'one owner');
    // Provisioned through A only: B authenticates nothing itself (Mosquitto does), but knows every seal.
    const seal = await b.api('GET', '/api/seals/a1');
    expect(seal.status).toBe(200);
    expect(seal.body).toMatchObject({ sensorId: 'a1', armed: true });
    const schedule = await b.api('GET', '/api/households/h-a3/schedule');
    expect(schedule.status).toBe(200);
    expect(schedule.body.quarantines).toHaveLength(1);
  });

  it('a breach alerts once, escalates once, and is acknowledged through the instance that does not own alerting', async () => {
    const door = await device('a1');
    await door.publishAsync('seal/a1/event', eventPayload('open', 1), { qos: 1 });
    // Both instances show the open door, whichever ingested it.
    for (const s of [a, b]) {
      await eventually(
        async () => (await s.api('GET', '/api/seals/a1')).body.door === 'open',
        10_000,
        'a1 open',
      );
    }
    await hook.waitFor((r) => r.path === '/wang' && r.body.includes('a1 号'), 10_000);
    // The town leader is told once the first step is due, and only once.
    await hook.waitFor((r) => r.path === '/town' && r.body.includes('a1 号'), ESCALATE_MS + 10_000);
    const [alert, ...more] = await alertsOf(a, 'a1');
    expect(more).toEqual([]);
    expect(await alertsOf(b, 'a1')).toEqual([alert]);

    const follower = (await isOwner(a)) ? b : a;
    const acked = await follower.api('POST', `/api/alerts/${alert?.id}/ack`, { note: '已电话联系' });
    expect(acked.status, JSON.stringify(acked.body)).toBe(200);
    expect(acked.body.status).toBe('acknowledged');
    expect((await a.api('GET', `/api/alerts/${alert?.id}`)).body.status).toBe('acknowledged');
    // One more escalation period: nothing more is sent about it.
    await new Promise((r) => setTimeout(r, ESCALATE_MS + 1_500));
    expect(
      hooksAbout('a1')
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/town', '/wang']);
  });

  it('kill -9 of the owner under load: the other takes alerting over, no acknowledged message is lost, no notification doubled', async () => {
    const owner = (await isOwner(a)) ? a : b;
    const other = owner === a ? b : a;
    const publishers = await Promise.all(CALM.map((id) => device(id)));
    const sent = new Map<string, number[]>(CALM.map((id) => [id, []]));
    let stop = false;
    let seq = 0;
    const base = Date.now();
    const load = (async () => {
      // Bounded: one history page (1,000) holds every event of a sensor.
      while (!stop && seq < 900) {
        const n = ++seq;
        await Promise.all(
          publishers.map((p, i) => {
            const id = CALM[i] as string;
            return p
              .publishAsync(`seal/${id}/event`, eventPayload(n % 2 ? 'open' : 'close', n, base + n), {
                qos: 1,
              })
              .then(() => (sent.get(id) as number[]).push(n));
          }),
        );
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // A breach just before the kill: its first notification and escalation fall on either side of it.
    const a2 = await device('a2');
    await a2.publishAsync('seal/a2/event', eventPayload('open', 1), { qos: 1 });
    await hook.waitFor((r) => r.path === '/wang' && r.body.includes('a2 号'), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    await owner.kill();
    // A breach while there is no owner yet: raised by the next one.
    const a3 = await device('a3');
    await a3.publishAsync('seal/a3/event', eventPayload('open', 1), { qos: 1 });

    await eventually(() => isOwner(other), 15_000, 'the survivor owns alerting');
    await hook.waitFor((r) => r.path === '/wang' && r.body.includes('a3 号'), 15_000);
    await hook.waitFor((r) => r.path === '/town' && r.body.includes('a2 号'), ESCALATE_MS + 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    stop = true;
    await load;

    // Mosquitto kept routing the dead instance's share to its session: the survivor empties it.
    const published = [...sent.values()].reduce((n, s) => n + s.length, 0);
    for (const id of CALM) {
      const want = sent.get(id) as number[];
      let seqs: number[] = [];
      await eventually(
        async () => {
          const items = (await other.api('GET', `/api/seals/${id}/history?limit=1000`)).body.items as {
            seq: number;
          }[];
          seqs = [...new Set(items.map((e) => e.seq))].sort((x, y) => x - y);
          return seqs.length >= want.length;
        },
        30_000,
        `${id}: all ${want.length} acknowledged events applied`,
      );
      // Every acknowledged event is there (a message the broker still held may add a later one).
      expect(
        want.every((n) => seqs.includes(n)),
        `${id} history`,
      ).toBe(true);
    }
    for (const n of ['a2', 'a3']) {
      expect(await alertsOf(other, n), `${n}: one alert`).toHaveLength(1);
    }
    expect(
      metricValue((await other.api('GET', '/metrics', undefined, null)).body, 'sealwatch_instances', {
        counter: 'sessions_rescued',
      }),
    ).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500));
    // Each recipient told once per alert: a3's escalation may or may not have come by now.
    expect(
      hooksAbout('a2')
        .map((r) => r.path)
        .sort(),
      'a2 notifications',
    ).toEqual(['/town', '/wang']);
    const a3Paths = hooksAbout('a3').map((r) => r.path);
    expect(a3Paths, 'a3 notifications').toContain('/wang');
    expect(new Set(a3Paths).size, 'a3: nobody told twice').toBe(a3Paths.length);
    // Restarted, the killed instance joins as a follower with a fresh session and forwards alerting calls.
    await owner.restart();
    expect(await isOwner(owner)).toBe(false);
    await eventually(async () => (await owner.api('GET', '/readyz', undefined, null)).status === 200, 20_000);
    expect((await owner.api('GET', '/api/alerts?status=open')).status).toBe(200);
    console.log(
      `kill -9 of the owner under load: ${published} acknowledged events, all applied without its restart; takeover clean`,
    );
  });

  it('an owner cut off from PostgreSQL exits at once (exit 1), and the other instance takes alerting over', async () => {
    const owner = (await isOwner(a)) ? a : b;
    const other = owner === a ? b : a;
    const admin = new PgClient({ connectionString: pg.url });
    await admin.connect();
    try {
      // The connection that holds the alerting lock, as if the network to the database failed.
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1`,
        [ALERTING_OWNER_LOCK_KEY],
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    const gone = () => {
      try {
        process.kill(owner.pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    await eventually(async () => gone(), 10_000, 'the cut-off owner exited');
    // Already exited: stop() only reports the exit code.
    expect(await owner.stop()).toBe(1);
    expect(
      owner.logs.some(
        (l) => typeof l === 'object' && l.msg?.toString().startsWith('lost the alerting ownership'),
      ),
    ).toBe(true);
    await eventually(() => isOwner(other), 10_000, 'the other instance owns alerting');
    // Back under its supervisor, it is a follower.
    await owner.restart();
    expect(await isOwner(owner)).toBe(false);
  });
});
