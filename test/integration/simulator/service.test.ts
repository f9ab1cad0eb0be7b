import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../simulator/api/apiClient.ts';
import { commission } from '../../../simulator/commission/commission.ts';
import { parseCredentialsCsv } from '../../../simulator/fleet/credentials.ts';
import { ScenarioSensor } from '../../../simulator/scenario/scenarioSensor.ts';
import { connectSensor } from '../../helpers/mqtt.ts';
import { provisionArmedSensor, type RunningService, startService } from '../../helpers/service.ts';
import { simulate } from '../../helpers/simulatorCli.ts';

let svc: RunningService & { cleanup(): Promise<void> };
let dir: string;
beforeAll(async () => {
  svc = await startService();
  dir = await mkdtemp(join(tmpdir(), 'sealwatch-sim-svc-'));
});
afterAll(async () => {
  await svc?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('simulator against the real service', () => {
  it('provisions a fleet through the API, saves its credentials, and the service sees every seal', async () => {
    const csv = join(dir, 'fleet.csv');
    const env = { SEALWATCH_TOKEN: svc.adminToken };
    const first = await simulate(
      [
        'fleet',
        '--api',
        svc.httpUrl,
        '--url',
        svc.mqttUrl,
        '--sensors',
        '6',
        '--per-node',
        '3',
        '--heartbeat',
        '500ms',
        '--duration',
        '3s',
        '--save-credentials',
        csv,
        '--opens-per-day',
        '0',
      ],
      env,
    );
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/connected at stop 6 \(peak 6\)/);
    expect(first.stdout).toMatch(/errors 0 \(refused 0\)/);
    expect(first.stdout + first.stderr).not.toContain(svc.adminToken);
    const credentials = parseCredentialsCsv(await readFile(csv, 'utf8'));
    expect(credentials).toHaveLength(6);
    expect(new Set(credentials.map((c) => c.gridId)).size).toBe(2);
    for (const c of credentials) {
      const seal = await svc.api('GET', `/api/seals/${c.sensorId}`);
      expect(seal.status).toBe(200);
      expect(seal.body).toMatchObject({ sensorId: c.sensorId, door: 'closed', armed: true });
      expect(seal.body.lastSeen).toBeTruthy();
    }

    const again = await simulate(
      ['fleet', '--url', svc.mqttUrl, '--credentials', csv, '--heartbeat', '500ms', '--duration', '2s'],
      {},
    );
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/peak 6\)/);
    expect(again.stdout).toMatch(/errors 0 \(refused 0\)/);
  });

  it('provisions a Zigbee2MQTT fleet with its gateway and the service sees each seal through it', async () => {
    const csv = join(dir, 'zigbee.csv');
    const r = await simulate(
      [
        'fleet',
        '--dialect',
        'zigbee2mqtt',
        '--api',
        svc.httpUrl,
        '--url',
        svc.mqttUrl,
        '--sensors',
        '3',
        '--heartbeat',
        '500ms',
        '--duration',
        '3s',
        '--save-credentials',
        csv,
        '--opens-per-day',
        '0',
      ],
      { SEALWATCH_TOKEN: svc.adminToken },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gateway sim-\w+-gw registered for 3 sensors/);
    expect(r.stdout).toMatch(/fleet summary: 3 sensors on 1 connection\(s\), zigbee2mqtt/);
    expect(r.stdout).toMatch(/errors 0 \(refused 0\)/);
    for (const c of parseCredentialsCsv(await readFile(csv, 'utf8'))) {
      const seal = await svc.api('GET', `/api/seals/${c.sensorId}`);
      expect(seal.body, c.sensorId).toMatchObject({ sensorId: c.sensorId, door: 'closed' });
      expect(seal.body.lastSeen, c.sensorId).toBeTruthy();
    }
  });

  const api = () => new ApiClient({ baseUrl: svc.httpUrl, token: svc.adminToken });

  async function commissionWith(
    sensorId: string,
    behave: (s: ScenarioSensor) => Promise<void>,
    timeoutMs: number,
  ) {
    const p = await provisionArmedSensor(svc, { sensor: sensorId });
    const device = new ScenarioSensor({
      name: sensorId,
      sensorId,
      secret: p.secret,
      url: svc.mqttUrl,
      heartbeatMs: 60_000,
      qos: 1,
      seed: 1,
      onProblem: (text) => lines.push(`problem: ${text}`),
    });
    const lines: string[] = [];
    let acting: Promise<void> | undefined;
    let commissioningDuring: unknown;
    const result = await commission({
      sensorId,
      api: api(),
      token: svc.adminToken,
      brokerUrl: svc.mqttUrl,
      timeoutMs,
      print: (line) => {
        lines.push(line);
        // The technician acts once the tool is listening.
        if (line.startsWith('listening on')) {
          acting = svc
            .api('GET', `/api/seals/${sensorId}`)
            .then((seal) => {
              commissioningDuring = seal.body.commissioning;
            })
            .then(() => device.connect())
            .then(() => behave(device));
        }
      },
    });
    await acting;
    device.drop();
    const after = await svc.api('GET', `/api/seals/${sensorId}`);
    return { result, lines, commissioningDuring, commissioningAfter: after.body.commissioning };
  }

  it('commissioning passes for a sensor that heartbeats, opens and closes, and ends commissioning', async () => {
    const { result, lines, commissioningDuring, commissioningAfter } = await commissionWith(
      'comm-good',
      async (s) => {
        await s.send('open');
        await s.send('close');
      },
      20_000,
    );
    expect(result).toMatchObject({ passed: true, missing: [], interrupted: false });
    expect(lines.some((l) => /heartbeat seq \d+, door closed/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('event open'))).toBe(true);
    expect(commissioningDuring).toBe(true);
    expect(lines).toContain('commissioning ended');
    expect(commissioningAfter).toBe(false);
  });

  it('commissioning fails naming the missing close for a sensor that never closes', async () => {
    const { result, lines, commissioningAfter } = await commissionWith(
      'comm-stuck',
      async (s) => {
        await s.send('open');
      },
      3000,
    );
    expect(result).toMatchObject({ passed: false, missing: ['close'], interrupted: false });
    expect(lines).toContain('commissioning ended');
    expect(commissioningAfter).toBe(false);
  });

  /** Runs the commissioning tool; `act` plays the technician at the door once the tool is listening. */
  async function commissionWhile(
    sensorId: string,
    act: () => Promise<void>,
    timeoutMs: number,
    client = api(),
  ) {
    const lines: string[] = [];
    let acting: Promise<void> | undefined;
    const result = await commission({
      sensorId,
      api: client,
      token: svc.adminToken,
      brokerUrl: svc.mqttUrl,
      timeoutMs,
      print: (line) => {
        lines.push(line);
        if (line.startsWith('listening on')) acting = act();
      },
    });
    await acting;
    return { result, lines };
  }

  /** A sensor with a friendly name and the gateway credential that publishes for it. */
  async function dialectSensor(sensorId: string, friendlyName: string, gatewayId: string) {
    await provisionArmedSensor(svc, { sensor: sensorId });
    expect((await svc.api('PATCH', `/api/sensors/${sensorId}`, { friendlyName })).status).toBe(200);
    const gw = await svc.api('POST', '/api/gateways', {
      id: gatewayId,
      name: gatewayId,
      sensorIds: [sensorId],
    });
    expect(gw.status).toBe(201);
    return gw.body.secret as string;
  }

  it('commissions a Zigbee2MQTT sensor through its gateway, with the friendly name read from the registry', async () => {
    const secret = await dialectSensor('comm-zb', 'hall_door_zb', 'comm-zb-gw');
    const { result, lines } = await commissionWhile(
      'comm-zb',
      async () => {
        const gw = await connectSensor(svc.mqttUrl, 'comm-zb-gw', secret);
        for (const contact of [true, false, true])
          await gw.publishAsync(
            'zigbee2mqtt/hall_door_zb',
            JSON.stringify({ contact, battery: 97, linkquality: 120, tamper: false }),
            { qos: 1 },
          );
        await gw.endAsync();
      },
      20_000,
    );
    expect(result, lines.join('\n')).toMatchObject({ passed: true, missing: [], problems: [] });
    expect(lines).toContain('friendly name hall_door_zb (Zigbee2MQTT / Shelly device id)');
    expect(lines.some((l) => l.includes('zigbee2mqtt contact OPEN'))).toBe(true);
    expect(lines).toContain('commissioning ended');
    expect((await svc.api('GET', '/api/seals/comm-zb')).body).toMatchObject({
      door: 'closed',
      commissioning: false,
    });
  });

  it('commissions a Shelly Door/Window sensor publishing under its device id', async () => {
    const secret = await dialectSensor('comm-shelly', 'shellydw2-8A1B2C', 'shellydw2-8A1B2C');
    const { result, lines } = await commissionWhile(
      'comm-shelly',
      async () => {
        // A Shelly logs in as itself: a gateway of one sensor, client id = its device id.
        const device = await connectSensor(svc.mqttUrl, 'shellydw2-8A1B2C', secret);
        const base = 'shellies/shellydw2-8A1B2C';
        await device.publishAsync(`${base}/online`, 'true', { qos: 1, retain: true });
        await device.publishAsync(`${base}/sensor/battery`, '96', { qos: 1 });
        await device.publishAsync(`${base}/sensor/state`, 'open', { qos: 1 });
        await device.publishAsync(`${base}/sensor/state`, 'close', { qos: 1 });
        await device.endAsync();
      },
      20_000,
    );
    expect(result, lines.join('\n')).toMatchObject({ passed: true, missing: [], problems: [] });
    expect(lines.some((l) => l.includes('shelly battery 96%'))).toBe(true);
    expect(lines.some((l) => l.includes('shelly door OPEN'))).toBe(true);
    expect((await svc.api('GET', '/api/seals/comm-shelly')).body).toMatchObject({
      door: 'closed',
      battery: 96,
      commissioning: false,
    });
  });

  it('a failed friendly-name lookup is said with its status and message, not swallowed', async () => {
    await provisionArmedSensor(svc, { sensor: 'comm-lookup' });
    // A real HTTP hop in front of the service that refuses only the sensor lookup, as an overloaded or older
    // service would; everything else goes through.
    const hop = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/api/sensors/comm-lookup') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"unavailable","message":"registry busy, try again"}}');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const answer = await fetch(`${svc.httpUrl}${req.url}`, {
          method: req.method ?? 'GET',
          headers: req.headers as Record<string, string>,
          ...(body.length > 0 ? { body } : {}),
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => hop.listen(0, '127.0.0.1', r));
    try {
      const client = new ApiClient({
        baseUrl: `http://127.0.0.1:${(hop.address() as AddressInfo).port}`,
        token: svc.adminToken,
      });
      const { result, lines } = await commissionWhile('comm-lookup', async () => undefined, 1500, client);
      const said = 'GET /api/sensors/comm-lookup answered 503 unavailable: registry busy, try again';
      expect(
        lines.some((l) => l.startsWith('warning: could not read sensor comm-lookup') && l.includes(said)),
      ).toBe(true);
      expect(result.passed).toBe(false);
      expect(result.problems.some((p) => p.includes(said))).toBe(true);
      expect(lines).toContain('commissioning ended');
    } finally {
      await new Promise<void>((r) => hop.close(() => r()));
    }
  });

  it('commission CLI prints FAIL with what was missing and exits 1', async () => {
    await provisionArmedSensor(svc, { sensor: 'comm-silent' });
    const r = await simulate(
      ['commission', 'comm-silent', '--api', svc.httpUrl, '--url', svc.mqttUrl, '--timeout', '2s'],
      { SEALWATCH_TOKEN: svc.adminToken },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /FAIL comm-silent: missing a heartbeat, an open \(door opened\), a close after the open/,
    );
  });
});
