/**
 * `npm run broker-config -- mosquitto --out <dir>`: the broker side of an
 * external Mosquitto from the SealWatch registry (read through the API).
 * See broker/EXTERNAL.md.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CsvSyntaxError, csvRecords } from '../../contract/csvFormat.ts';
import { INGEST_TOPIC_FILTERS } from '../../contract/topics.ts';
import { type Listener, mosquittoFiles, parsePasswordFile, type RegistryDevices } from './mosquittoConfig.ts';

const HELP = `Usage: npm run broker-config -- mosquitto --out <dir> [options]

Writes the broker side of an external Mosquitto 2 from the SealWatch registry:
  <dir>/acl             acl_file: a sensor publishes only seal/<its id>/event|heartbeat|status and
                        reads seal/<its id>/config; a gateway only its sensors' native and dialect
                        topics; the SealWatch login only reads its shared subscriptions
  <dir>/passwd          password_file (Mosquitto's PBKDF2 hashes)
  <dir>/sealwatch.conf  conf.d fragment: the two files, queue limit, device and service listeners

SealWatch keeps device secrets as hashes in Mosquitto's own format ($7$, PBKDF2-SHA512), so
the password file is written straight from the registry: no issued secrets are needed. Devices
registered before that format (scrypt) get it at their next login to SealWatch (embedded broker
or the EMQX hook); until then they are reported, and their lines come from the secrets as issued
(--credentials, the CSV the technician saves at provisioning) or from an existing password file
(--passwd-from). Devices the registry no longer has are left out of both files: after removing
a sensor, run this again and reload Mosquitto (kill -HUP).

Options:
  --out DIR                   where to write (created; each file replaced atomically)
  --api URL                   SealWatch API (default http://127.0.0.1:8080)
  --token-file FILE           whole-grid admin token (default: $SEALWATCH_TOKEN, else
                              $DATA_DIR/admin-token, else ./data/admin-token)
  --credentials FILE          for devices still on scrypt: CSV with a header naming the id column
                              (sensorId, id or username) and the secret column (secret or password)
  --passwd-from FILE          for devices still on scrypt: an existing password file whose hashes
                              are kept when no secret is given (often the file this command wrote)
  --keep-user NAME            keep this account (not a device) from --passwd-from; repeatable
  --acl-append FILE           append these lines to the acl (the --keep-user accounts' rights)
  --service-user NAME         the SealWatch login (default $MQTT_USERNAME, else sealwatch)
  --service-password-file F   its password (default $MQTT_PASSWORD, else kept from --passwd-from)
  --share-group NAME          shared-subscription group (default $MQTT_SHARE_GROUP, else sealwatch)
  --listener [HOST:]PORT      device listener (default 1883 on all addresses)
  --service-listener [HOST:]PORT
                              listener for SealWatch instances (default 127.0.0.1:1884)
  --install-dir DIR           where Mosquitto reads the files (default: --out as an absolute path)
  -h, --help                  this text

Exit codes: 0 written, 1 the API failed, 2 a mistake in the command.`;

class UsageError extends Error {}

interface Page<T> {
  items: T[];
  total: number;
}

async function main(argv: string[]): Promise<number> {
  const [target, ...rest] = argv;
  if (target === undefined || target === '-h' || target === '--help') {
    console.log(HELP);
    return target === undefined ? 2 : 0;
  }
  if (target !== 'mosquitto')
    throw new UsageError(`unknown broker '${target}': only 'mosquitto' is generated`);
  const { values } = parseOptions(rest);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out) throw new UsageError('--out DIR is required');
  const shareGroup = values['share-group'] ?? process.env.MQTT_SHARE_GROUP ?? 'sealwatch';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(shareGroup))
    throw new UsageError(`--share-group '${shareGroup}' must be 1–64 of A–Z a–z 0–9 _ -`);
  const deviceListener = parseListener('--listener', values.listener);
  const serviceListener = parseListener('--service-listener', values['service-listener']);
  const token = readToken(values['token-file']);
  const secrets = values.credentials ? readCredentials(values.credentials) : new Map<string, string>();
  const existingHashes = values['passwd-from']
    ? parsePasswordFile(readText(values['passwd-from'], '--passwd-from'))
    : new Map<string, string>();
  const servicePassword = values['service-password-file']
    ? readText(values['service-password-file'], '--service-password-file').trim()
    : (process.env.MQTT_PASSWORD ?? null);

  const api = new Api(values.api, token);
  const me = await api.get<{ gridId: string | null; role: string }>('/api/me');
  if (me.gridId !== null || me.role !== 'admin')
    throw new UsageError(
      'the token must be a whole-grid admin token: a scoped one would leave other grids out of the files',
    );
  const devices: RegistryDevices = {
    sensors: await api.all<{ id: string; friendlyName: string | null }>('/api/sensors'),
    gateways: await api.all<{ id: string; sensorIds: string[] }>('/api/gateways'),
  };
  const registryHashes = new Map<string, string>();
  for (const d of await api.all<{ id: string; mosquittoHash: string | null }>('/api/broker/passwd'))
    if (d.mosquittoHash !== null) registryHashes.set(d.id, d.mosquittoHash);

  const out = resolve(values.out);
  const files = mosquittoFiles({
    ...devices,
    service: {
      username: values['service-user'] ?? process.env.MQTT_USERNAME ?? 'sealwatch',
      password: servicePassword,
    },
    shareGroup,
    topicFilters: INGEST_TOPIC_FILTERS,
    registryHashes,
    secrets,
    existingHashes,
    keepUsers: values['keep-user'],
    deviceListener,
    serviceListener,
    installDir: values['install-dir'] ?? out,
    generatedAt: new Date().toISOString(),
  });
  mkdirSync(out, { recursive: true, mode: 0o750 });
  const appended = values['acl-append']
    ? `\n# Appended from ${values['acl-append']}\n${readText(values['acl-append'], '--acl-append')}`
    : '';
  writeAtomically(join(out, 'acl'), files.acl + appended, 0o640);
  writeAtomically(join(out, 'passwd'), files.passwd, 0o600);
  writeAtomically(join(out, 'sealwatch.conf'), files.conf, 0o644);

  const logins = files.passwd.split('\n').filter(Boolean).length;
  console.log(
    `wrote ${out}/acl (${devices.sensors.length} sensors, ${devices.gateways.length} gateways), ` +
      `${out}/passwd (${logins} logins), ${out}/sealwatch.conf`,
  );
  if (files.stillScrypt.length > 0)
    console.error(
      `note: ${files.stillScrypt.length} devices still have the older scrypt hash (no login to SealWatch since ` +
        `the upgrade), so their lines came from --credentials or --passwd-from: ${preview(files.stillScrypt)}`,
    );
  if (files.withoutSecret.length > 0)
    console.error(
      `warning: ${files.withoutSecret.length} cannot log in (no secret given, none kept): ${preview(files.withoutSecret)}`,
    );
  if (files.unknownSecrets.length > 0)
    console.error(
      `warning: ${files.unknownSecrets.length} secrets are for ids the registry does not have (left out): ${preview(files.unknownSecrets)}`,
    );
  if (files.unusableNames.length > 0)
    console.error(
      `warning: friendly names with + # or control characters cannot be granted as topics: ${preview(files.unusableNames)}`,
    );
  console.log(
    'The files hold no plaintext secret; passwd must be readable by the mosquitto user only (chown mosquitto).',
  );
  console.log('Reload Mosquitto to apply: kill -HUP $(cat /run/mosquitto/mosquitto.pid)');
  return 0;
}

function parseOptions(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        out: { type: 'string' },
        api: { type: 'string', default: 'http://127.0.0.1:8080' },
        'token-file': { type: 'string' },
        credentials: { type: 'string' },
        'passwd-from': { type: 'string' },
        'keep-user': { type: 'string', multiple: true, default: [] },
        'acl-append': { type: 'string' },
        'service-user': { type: 'string' },
        'service-password-file': { type: 'string' },
        'share-group': { type: 'string' },
        listener: { type: 'string', default: '1883' },
        'service-listener': { type: 'string', default: '127.0.0.1:1884' },
        'install-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

class Api {
  private readonly base: string;
  constructor(
    base: string,
    private readonly token: string,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  async get<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(`GET ${path}: cannot reach ${this.base} (${cause})`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (;;) {
      const page = await this.get<Page<T>>(`${path}?limit=1000&offset=${items.length}`);
      items.push(...page.items);
      if (page.items.length === 0 || items.length >= page.total) return items;
    }
  }
}

function parseListener(option: string, text: string): Listener {
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new UsageError(`${option} '${text}' is not [HOST:]PORT`);
  return { host: match[1] ?? null, port };
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${path} (${(err as Error).message})`);
  }
}

function readToken(file: string | undefined): string {
  if (file) return readText(file, '--token-file').trim();
  if (process.env.SEALWATCH_TOKEN) return process.env.SEALWATCH_TOKEN.trim();
  const fallback = join(process.env.DATA_DIR ?? 'data', 'admin-token');
  if (existsSync(fallback)) return readText(fallback, '--token-file').trim();
  throw new UsageError('no token: give --token-file FILE (a whole-grid admin token) or set SEALWATCH_TOKEN');
}

/** id,secret pairs from a CSV whose header names the columns; quoted fields as a spreadsheet writes them. */
export function parseCredentialsCsv(text: string, source: string): Map<string, string> {
  let records: ReturnType<typeof csvRecords>;
  try {
    records = csvRecords(text);
  } catch (err) {
    throw new UsageError(`${source} line ${(err as CsvSyntaxError).line}: ${(err as Error).message}`);
  }
  const rows = records
    .map((r) => ({ fields: r.fields.map((f) => f.trim()), n: r.line }))
    .filter((r) => !r.fields[0]?.startsWith('#'));
  const header = rows.shift();
  const idCol = header ? header.fields.findIndex((f) => ['sensorId', 'id', 'username'].includes(f)) : -1;
  const secretCol = header ? header.fields.findIndex((f) => f === 'secret' || f === 'password') : -1;
  if (idCol < 0 || secretCol < 0)
    throw new UsageError(
      `${source}: the first line must name an id column (sensorId, id or username) and secret`,
    );
  const out = new Map<string, string>();
  for (const { fields, n } of rows) {
    const id = fields[idCol] ?? '';
    const secret = fields[secretCol] ?? '';
    if (id === '' || secret === '')
      throw new UsageError(`${source} line ${n}: id and secret must not be empty`);
    if (/[:\s]/.test(id))
      throw new UsageError(`${source} line ${n}: id '${id}' cannot be a Mosquitto username`);
    if (out.has(id)) throw new UsageError(`${source} line ${n}: ${id} is listed twice`);
    out.set(id, secret);
  }
  return out;
}

function readCredentials(path: string): Map<string, string> {
  return parseCredentialsCsv(readText(path, '--credentials'), path);
}

function writeAtomically(path: string, content: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}

const preview = (list: string[]) =>
  list.length > 10 ? `${list.slice(0, 10).join(', ')} …` : list.join(', ');

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      console.error(`broker-config: ${err.message}`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
