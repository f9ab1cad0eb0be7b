import { connectSensor, eventPayload } from '../../helpers/mqtt.ts';
import { type RunningService, startService } from '../../helpers/service.ts';
import { type SmtpCapture, startSmtp } from '../../helpers/smtp.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhookReceiver.ts';

/**
 * The grid the alerting end-to-end tests share: 曲沃县 (leader) → 史村镇 (leader) → 东村 (grid
 * worker) with households, and a sibling 里村 with its own worker (another grid's worker).
 */
export const GRID = [
  { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' },
  { id: 'shicun', name: '史村镇', parentId: 'quwo', level: 'township' },
  { id: 'dongcun', name: '东村', parentId: 'shicun', level: 'village' },
  { id: 'licun', name: '里村', parentId: 'shicun', level: 'village' },
] as const;

export async function must(svc: RunningService, method: string, path: string, body: unknown, status: number) {
  const r = await svc.api(method, path, body);
  if (r.status !== status)
    throw new Error(`${method} ${path}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function provisionGrid(svc: RunningService, hook: string): Promise<void> {
  for (const n of GRID) await must(svc, 'POST', '/api/grid', n, 201);
  const workers = [
    { id: 'l-county', name: '县指挥中心', gridId: 'quwo', role: 'leader', email: 'county@example.org' },
    {
      id: 'l-town',
      name: '镇网格长',
      gridId: 'shicun',
      role: 'leader',
      email: 'town@example.org',
      webhook: `${hook}/town`,
    },
    {
      id: 'w-dong',
      name: '王网格员',
      gridId: 'dongcun',
      role: 'worker',
      email: 'wang@example.org',
      webhook: `${hook}/wang`,
    },
    { id: 'w-li', name: '李网格员', gridId: 'licun', role: 'worker', email: 'li@example.org' },
  ];
  for (const w of workers) await must(svc, 'POST', '/api/workers', w, 201);
}

/** A household in quarantine (since an hour ago) with one sensor; returns the device secret. */
export async function armedHousehold(
  svc: RunningService,
  gridId: string,
  n: string,
): Promise<{ sensorId: string; secret: string; householdId: string }> {
  const householdId = `h-${n}`;
  await must(
    svc,
    'POST',
    '/api/households',
    { id: householdId, gridId, address: `史村镇东村三组 ${n} 号` },
    201,
  );
  await must(
    svc,
    'POST',
    '/api/quarantines',
    { householdId, start: new Date(Date.now() - 3_600_000).toISOString() },
    201,
  );
  const sensor = await must(svc, 'POST', '/api/sensors', { id: `seal-${n}`, householdId }, 201);
  return { sensorId: `seal-${n}`, secret: sensor.secret as string, householdId };
}

export const ackLinkIn = (text: string): string => {
  const m = /(http:\/\/[^\s"<>]+\/ack\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(text);
  if (!m?.[1]) throw new Error(`no acknowledge link in:\n${text}`);
  return m[1];
};

/** The service with a real SMTP server and webhook receiver behind it, and the shared grid provisioned. */
export async function startAlertingRig(env: Record<string, string>): Promise<{
  svc: Awaited<ReturnType<typeof startService>>;
  smtp: SmtpCapture;
  hook: WebhookReceiver;
  close(): Promise<void>;
}> {
  const smtp = await startSmtp();
  const hook = await startWebhookReceiver();
  const svc = await startService({ env: { SMTP_URL: smtp.url, ...env } });
  await provisionGrid(svc, hook.url);
  return {
    svc,
    smtp,
    hook,
    async close() {
      await svc.cleanup();
      await smtp.stop();
      await hook.close();
    },
  };
}

/** A door opens, published by the sensor itself at QoS 1. */
export async function publishOpen(
  svc: RunningService,
  s: { sensorId: string; secret: string },
  seq: number,
): Promise<void> {
  const client = await connectSensor(svc.mqttUrl, s.sensorId, s.secret);
  await client.publishAsync(`seal/${s.sensorId}/event`, eventPayload('open', seq), { qos: 1 });
  await client.endAsync();
}
