import { describe, expect, it } from 'vitest';
import { fromOwnOrigin, requireCsrf } from '../../../api/csrf.ts';
import { ServiceError } from '../../../core/errors.ts';

const PUBLIC = 'https://seals.example.org';
const TOKEN = 'the-session-csrf-token-0123456789';

const refusal = (method: string, headers: Record<string, string>): string | null => {
  try {
    requireCsrf({ method, headers }, TOKEN, PUBLIC);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('forbidden');
    return (err as ServiceError).message;
  }
};

describe('the CSRF check for calls signed in by the cookie', () => {
  it('lets reads through without anything', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(refusal(method, {})).toBeNull();
  });

  it('lets a state-changing call through with our Origin and the session token', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      expect(refusal(method, { origin: PUBLIC, 'x-csrf-token': TOKEN })).toBeNull();
  });

  it('refuses a missing or wrong token, naming the header', () => {
    expect(refusal('POST', { origin: PUBLIC })).toMatch(/x-csrf-token/);
    expect(refusal('POST', { origin: PUBLIC, 'x-csrf-token': `${TOKEN}x` })).toMatch(/x-csrf-token/);
    expect(refusal('DELETE', { origin: PUBLIC, 'x-csrf-token': '' })).toMatch(/x-csrf-token/);
  });

  it('refuses another site, an opaque origin, and no origin at all, naming Origin', () => {
    const cases: Record<string, string>[] = [
      { origin: 'https://evil.example', 'x-csrf-token': TOKEN },
      { origin: 'null', 'x-csrf-token': TOKEN },
      { 'x-csrf-token': TOKEN },
      { origin: 'https://seals.example.org.evil.example', 'x-csrf-token': TOKEN },
      { origin: 'http://seals.example.org', 'x-csrf-token': TOKEN },
    ];
    for (const headers of cases) expect(refusal('POST', headers), JSON.stringify(headers)).toMatch(/Origin/);
  });

  it('takes the Referer when there is no Origin, and the host the request was sent to', () => {
    expect(fromOwnOrigin({ referer: `${PUBLIC}/?lang=en` }, PUBLIC)).toBe(true);
    expect(fromOwnOrigin({ referer: 'https://evil.example/seals.example.org' }, PUBLIC)).toBe(false);
    expect(fromOwnOrigin({ referer: 'not a url' }, PUBLIC)).toBe(false);
    // Reached by address in the command room (PUBLIC_URL names the outside name): its own host counts.
    expect(fromOwnOrigin({ origin: 'http://10.0.0.5:8080', host: '10.0.0.5:8080' }, PUBLIC)).toBe(true);
    expect(fromOwnOrigin({ origin: 'http://10.0.0.6:8080', host: '10.0.0.5:8080' }, PUBLIC)).toBe(false);
  });
});
