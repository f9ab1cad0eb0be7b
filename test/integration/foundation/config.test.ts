import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = (env: Record<string, string>, args: string[] = []) =>
  spawnSync(process.execPath, ['dist/main.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: '/nonexistent-not-used', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });

describe('configuration at start-up', () => {
  it.each([
    ['MQTT_PORT', 'abc'],
    ['HTTP_PORT', '70000'],
    ['HEARTBEAT_INTERVAL', '60'],
    ['ESCALATE_AFTER', '15m,5m'],
    ['TZ_LOCAL', 'Mars/Olympus'],
    ['LOCALE', 'fr'],
    ['PUBLIC_URL', 'not a url'],
  ])('a bad %s exits 2 with one line naming it', (name, value) => {
    const result = run({ [name]: value });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(lines[0]).toContain('example');
  });

  it('a secret in a bad value is not echoed', () => {
    const result = run({
      INFLUX_URL: 'http://localhost:8086',
      INFLUX_ORG: 'o',
      INFLUX_BUCKET: 'b',
      INFLUX_TOKEN: '',
      INFLUX_API: 'v3',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('INFLUX_API');
  });

  it('REDIS_URL without DATABASE_URL exits 2 with one line naming both and why', () => {
    const result = run({ REDIS_URL: 'redis://:hunter2@127.0.0.1:6379', DATABASE_URL: '' });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL is required with REDIS_URL: .*offline alerts/);
    expect(lines[0]).not.toContain('hunter2');
  });

  it('--help says REDIS_URL needs DATABASE_URL', () => {
    const result = run({}, ['--help']);
    expect(result.stdout).toMatch(/REDIS_URL .*needs DATABASE_URL/);
  });

  it('--help lists every variable', () => {
    const result = run({}, ['--help']);
    expect(result.status).toBe(0);
    for (const name of [
      'MQTT_PORT',
      'MQTT_URL',
      'HTTP_PORT',
      'DATA_DIR',
      'INFLUX_URL',
      'SMTP_URL',
      'ESCALATE_AFTER',
      'LOG_LEVEL',
    ]) {
      expect(result.stdout).toContain(name);
    }
  });
});
