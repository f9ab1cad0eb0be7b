import { readFile, writeFile } from 'node:fs/promises';
import { type CsvSyntaxError, csvRecords } from '../../contract/csvFormat.ts';
import { SENSOR_ID_PATTERN } from '../../contract/topics.ts';
import { UsageError } from '../cli/usageError.ts';

/** One simulated device's login, as issued by `POST /api/sensors` (the secret is shown only then). */
export interface SensorCredential {
  sensorId: string;
  secret: string;
  householdId?: string;
  gridId?: string;
}

const COLUMNS = ['sensorId', 'secret', 'householdId', 'gridId'] as const;

export class CredentialsFileError extends UsageError {
  override readonly name = 'CredentialsFileError';
}

export function parseCredentialsCsv(text: string, source = 'credentials file'): SensorCredential[] {
  let records: ReturnType<typeof csvRecords>;
  try {
    records = csvRecords(text).filter((r) => !r.fields[0]?.startsWith('#'));
  } catch (err) {
    throw new CredentialsFileError(
      `${source} line ${(err as CsvSyntaxError).line}: ${(err as Error).message}`,
    );
  }
  const header = records.shift();
  if (!header) throw new CredentialsFileError(`${source} is empty; expected a header line "sensorId,secret"`);
  const columns = header.fields;
  const idCol = columns.indexOf('sensorId');
  const secretCol = columns.indexOf('secret');
  if (idCol < 0 || secretCol < 0) {
    throw new CredentialsFileError(
      `${source} line 1 must name the columns sensorId and secret (got "${columns.join(',')}")`,
    );
  }
  const householdCol = columns.indexOf('householdId');
  const gridCol = columns.indexOf('gridId');
  const seen = new Set<string>();
  return records.map(({ line: n, fields }) => {
    const sensorId = fields[idCol] ?? '';
    const secret = fields[secretCol] ?? '';
    if (!SENSOR_ID_PATTERN.test(sensorId)) {
      throw new CredentialsFileError(
        `${source} line ${n}: sensor id "${sensorId}" must match ^[A-Za-z0-9_-]{1,64}$`,
      );
    }
    if (secret === '')
      throw new CredentialsFileError(`${source} line ${n}: sensor ${sensorId} has no secret`);
    if (seen.has(sensorId))
      throw new CredentialsFileError(`${source} line ${n}: sensor ${sensorId} is listed twice`);
    seen.add(sensorId);
    const credential: SensorCredential = { sensorId, secret };
    const householdId = householdCol >= 0 ? fields[householdCol] : undefined;
    const gridId = gridCol >= 0 ? fields[gridCol] : undefined;
    if (householdId) credential.householdId = householdId;
    if (gridId) credential.gridId = gridId;
    return credential;
  });
}

const quote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export function formatCredentialsCsv(credentials: readonly SensorCredential[]): string {
  const rows = credentials.map((c) => COLUMNS.map((k) => quote(c[k] ?? '')).join(','));
  return `${COLUMNS.join(',')}\n${rows.join('\n')}\n`;
}

export async function readCredentialsFile(path: string): Promise<SensorCredential[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CredentialsFileError(`cannot read credentials file ${path}: ${(err as Error).message}`);
  }
  return parseCredentialsCsv(text, path);
}

/** Secrets inside: readable by the owner only. */
export async function writeCredentialsFile(
  path: string,
  credentials: readonly SensorCredential[],
): Promise<void> {
  await writeFile(path, formatCredentialsCsv(credentials), { mode: 0o600 });
}
