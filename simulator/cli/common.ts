import { readFileSync } from 'node:fs';
import { parseDuration } from './duration.ts';
import { apiUrlOption, numberOption } from './options.ts';
import { UsageError } from './usageError.ts';

/** Options every mode that talks to the API shares; the token may come from a file or the environment. */
export const apiArgs = {
  api: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

export const API_HELP = `  --api URL            SealWatch HTTP API base, e.g. http://127.0.0.1:8080
  --token TOKEN        API bearer token (or --token-file FILE, or env SEALWATCH_TOKEN; a file or the
                       environment keeps it out of the process list and shell history)`;

export interface ApiTarget {
  baseUrl: string;
  token: string;
}

export function apiTargetOption(
  values: { api?: string | undefined; token?: string | undefined; 'token-file'?: string | undefined },
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ApiTarget | undefined {
  const baseUrl = apiUrlOption(values.api);
  let token = values.token;
  if (token === undefined && values['token-file'] !== undefined) {
    try {
      token = readFile(values['token-file']).trim();
    } catch (err) {
      throw new UsageError(`--token-file ${values['token-file']} cannot be read: ${(err as Error).message}`);
    }
  }
  token ??= env.SEALWATCH_TOKEN;
  if (baseUrl === undefined) {
    if (values.token !== undefined || values['token-file'] !== undefined) {
      throw new UsageError('--token needs --api (the HTTP address of the SealWatch service)');
    }
    return undefined;
  }
  if (!token) throw new UsageError('--api needs a token: --token, --token-file or env SEALWATCH_TOKEN');
  return { baseUrl, token };
}

/** `60-100` or `5s-60s`: a closed range for uniformly drawn values. */
export function rangeOption(
  name: string,
  value: string | undefined,
  fallback: readonly [number, number],
  kind: 'number' | 'duration',
): readonly [number, number] {
  if (value === undefined) return fallback;
  const parts = value.split('-');
  const parse = (p: string): number | null =>
    kind === 'duration' ? parseDuration(p) : Number.isFinite(Number(p)) && p.trim() !== '' ? Number(p) : null;
  const [a, b] =
    parts.length === 1 ? [parse(parts[0]!), parse(parts[0]!)] : [parse(parts[0]!), parse(parts[1]!)];
  if (parts.length > 2 || a === null || b === null || a > b) {
    const example = kind === 'duration' ? '5s-60s' : '60-100';
    throw new UsageError(`--${name} must be a range like ${example} (got "${value}")`);
  }
  return [a, b];
}

export function probabilityOption(name: string, value: string | undefined, fallback: number): number {
  return numberOption(name, value, fallback, { min: 0, max: 1 });
}
