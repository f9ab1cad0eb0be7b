import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { freePort, killAndWait } from '../../helpers/serverProcess.ts';
import { startService } from '../../helpers/service.ts';

/**
 * deploy/nginx/sealwatch.conf, as the guide installs it, in front of a running service: `nginx -t`
 * accepts it, HTTP goes to HTTPS, the API answers through it, the live event stream comes through,
 * and /metrics is refused to an address not on its list.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
// nginx is not among the test dependencies (installing Debian's package starts a web server on port
// 80 on a machine with systemd): where it is missing there is nothing to run the config with.
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** curl, which takes the test's self-signed certificate (-k) and can speak from another local address. */
function curl(...args: string[]): { status: number | null; out: string } {
  const result = spawnSync('curl', ['-sk', '--max-time', '5', ...args], { encoding: 'utf8' });
  return { status: result.status, out: result.stdout };
}

describe.skipIf(!NGINX)('nginx reverse proxy example', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let dir: string;
  let nginx: ChildProcess | null = null;
  let https = '';
  let httpPort = 0;
  let testOutput = '';

  beforeAll(async () => {
    svc = await startService();
    dir = mkdtempSync(join(tmpdir(), 'sealwatch-nginx-'));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost'],
        ...['-keyout', join(dir, 'privkey.pem'), '-out', join(dir, 'fullchain.pem')],
      ],
      { stdio: 'ignore' },
    );
    httpPort = await freePort();
    const httpsPort = await freePort();
    https = `https://127.0.0.1:${httpsPort}`;
    // The guide's file with only what the test must change: ports, certificate paths, upstream.
    const site = readFileSync(resolve(ROOT, 'deploy/nginx/sealwatch.conf'), 'utf8')
      .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
      .replace('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`)
      .replace(/^\s*listen \[::\]:\d+.*$/gm, '')
      .replaceAll('/etc/sealwatch/tls/', `${dir}/`)
      .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${svc.httpPort};`);
    expect(site).toContain(`server 127.0.0.1:${svc.httpPort};`);
    writeFileSync(join(dir, 'sealwatch.conf'), site);
    mkdirSync(join(dir, 'temp'));
    // What Debian's /etc/nginx/nginx.conf gives the file around it, with paths a test may write.
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        'events {}',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (t) => `  ${t}_temp_path ${dir}/temp/${t};`,
        ),
        `  include ${dir}/sealwatch.conf;`,
        '}',
      ].join('\n'),
    );
    const test = spawnSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    testOutput = `${test.stdout}${test.stderr}`;
    if (test.status !== 0) return;
    nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    await eventually(() => curl(`${https}/healthz`).status === 0, 10_000, 'nginx answers');
  });

  afterAll(async () => {
    if (nginx) await killAndWait(nginx);
    await svc?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes `nginx -t`', () => {
    expect(testOutput).toContain('syntax is ok');
    expect(testOutput).toContain('test is successful');
  });

  it('sends plain HTTP to HTTPS', () => {
    const { out } = curl(
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{redirect_url}',
      `http://127.0.0.1:${httpPort}/`,
    );
    expect(out).toBe(`301 https://127.0.0.1/`);
  });

  it('passes the API through over HTTPS', () => {
    expect(JSON.parse(curl(`${https}/readyz`).out)).toEqual({ ready: true });
    const status = (...auth: string[]) =>
      curl('-o', '/dev/null', '-w', '%{http_code}', ...auth, `${https}/api/seals`).out;
    // The token reaches the service through the proxy.
    expect(status('-H', `authorization: Bearer ${svc.adminToken}`)).toBe('200');
    expect(status()).toBe('401');
  });

  it('passes the live event stream as it comes (the stream stays open: curl stops it)', () => {
    const { status, out } = curl(
      '-N',
      '--max-time',
      '2',
      '-H',
      `authorization: Bearer ${svc.adminToken}`,
      `${https}/api/events`,
    );
    expect(status).toBe(28); // curl's "timed out": the stream was still open
    expect(out).toContain('retry: 2000');
  });

  it('serves /metrics to the listed addresses only', () => {
    expect(curl(`${https}/metrics`).out).toMatch(/^sealwatch_ready 1$/m);
    // The same request from another local address, which is not on the list.
    const other = curl(
      '--interface',
      '127.0.0.2',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${https}/metrics`,
    );
    expect(other.out).toBe('403');
  });
});
