import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService } from '../helpers/service.ts';

/** A certificate made by the test: self-signed, for localhost and 127.0.0.1. */
function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function httpsJson(
  port: number,
  path: string,
  ca: Buffer,
  token: string | null,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        ca,
        servername: 'localhost',
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('TLS: MQTT over TLS, MQTT over WebSocket and HTTPS configured by certificate paths', () => {
  let dir: string;
  let ca: Buffer;
  let svc: Awaited<ReturnType<typeof startService>>;
  let ports: { https: number; tls: number; ws: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sealwatch-tls-'));
    const { cert, key } = makeCertificate(dir);
    ca = readFileSync(cert);
    svc = await startService({
      env: {
        TLS_CERT_FILE: cert,
        TLS_KEY_FILE: key,
        MQTT_TLS_PORT: '0',
        MQTT_WS_PORT: '0',
        HTTP_TLS: 'true',
      },
    });
    const ready = await svc.waitForLog((l) => l.msg === 'SealWatch ready');
    ports = {
      https: ready.httpPort as number,
      tls: ready.mqttTlsPort as number,
      ws: ready.mqttWsPort as number,
    };
  });
  afterAll(async () => {
    await svc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS, and a sensor publishes over MQTT/TLS and over WebSocket', async () => {
    const t = svc.adminToken;
    expect((await httpsJson(ports.https, '/healthz', ca, null)).status).toBe(200);
    await httpsJson(ports.https, '/api/grid', ca, t, { id: 'g', name: 'g', parentId: null, level: 'county' });
    await httpsJson(ports.https, '/api/households', ca, t, { id: 'h', gridId: 'g', address: 'a' });
    await httpsJson(ports.https, '/api/quarantines', ca, t, {
      householdId: 'h',
      start: new Date(Date.now() - 1000).toISOString(),
    });
    const secret = (await httpsJson(ports.https, '/api/sensors', ca, t, { id: 'tls-1', householdId: 'h' }))
      .body.secret;

    const overTls = await mqtt.connectAsync(`mqtts://localhost:${ports.tls}`, {
      clientId: 'tls-1',
      username: 'tls-1',
      password: secret,
      ca,
      reconnectPeriod: 0,
    });
    await overTls.publishAsync('seal/tls-1/event', JSON.stringify({ type: 'open', ts: Date.now(), seq: 1 }), {
      qos: 1,
    });
    await overTls.endAsync();
    expect((await httpsJson(ports.https, '/api/seals/tls-1', ca, t)).body).toMatchObject({
      door: 'open',
      armed: true,
    });

    const overWs = await mqtt.connectAsync(`ws://127.0.0.1:${ports.ws}/mqtt`, {
      clientId: 'tls-1',
      username: 'tls-1',
      password: secret,
      reconnectPeriod: 0,
    });
    await overWs.publishAsync('seal/tls-1/event', JSON.stringify({ type: 'close', ts: Date.now(), seq: 2 }), {
      qos: 1,
    });
    await overWs.endAsync();
    expect((await httpsJson(ports.https, '/api/seals/tls-1', ca, t)).body.door).toBe('closed');
  });

  it('refuses a client that does not trust the certificate (no plaintext fallback on the TLS port)', async () => {
    await expect(
      mqtt.connectAsync(`mqtts://localhost:${ports.tls}`, {
        clientId: 'x',
        username: 'x',
        password: 'y',
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});
