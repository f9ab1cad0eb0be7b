/**
 * Issue 15, "Vendor details", end to end in the running service: robot rate limits belong to the
 * robot URL and a DingTalk rate-limit answer blocks the robot for 10 minutes.
 *
 * DingTalk's custom robot: "每个机器人每分钟最多发送20条消息到群里，如果超过20条，会限流10分钟"
 * (https://open.dingtalk.com/document/orgapp/custom-robots-send-group-messages), answered with
 * `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`.
 *
 * The robot API cannot run here: the real HTTP receiver below answering like DingTalk is a TEST
 * DOUBLE of the robot, not the robot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.ts';
import { startService } from '../../helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../helpers/webhookReceiver.ts';
import { armedHousehold, must, publishOpen } from './grid.ts';

const MIN = 60_000;

describe('robot rate limits in the running service (DingTalk test double on loopback)', () => {
  let svc: Awaited<ReturnType<typeof startService>>;
  let dingtalkDouble: WebhookReceiver;

  beforeAll(async () => {
    dingtalkDouble = await startWebhookReceiver();
    svc = await startService({ env: { LOCALE: 'zh-CN', TZ_LOCAL: 'Asia/Shanghai' } });
    await must(
      svc,
      'POST',
      '/api/grid',
      { id: 'quwo', name: '曲沃县', parentId: null, level: 'county' },
      201,
    );
    for (const [id, name] of [
      ['dongcun', '东村'],
      ['licun', '里村'],
    ] as const)
      await must(svc, 'POST', '/api/grid', { id, name, parentId: 'quwo', level: 'village' }, 201);
    // Two grid workers in two villages post to ONE DingTalk group robot.
    const robot = `${dingtalkDouble.url}/robot/send?access_token=SHARED#format=dingtalk`;
    for (const [id, gridId] of [
      ['w-dong', 'dongcun'],
      ['w-li', 'licun'],
    ] as const)
      await must(svc, 'POST', '/api/workers', { id, name: id, gridId, role: 'worker', webhook: robot }, 201);
  });
  afterAll(async () => {
    await svc?.cleanup();
    await dingtalkDouble?.close();
  });

  type Delivery = { recipientId: string; status: string; nextAttemptAt?: string; lastError?: string };
  /** Polls until the recipient's delivery is pending with a next attempt, and returns it. */
  const pendingDelivery = async (sensorId: string, recipientId: string): Promise<Delivery> => {
    let found: Delivery | undefined;
    await eventually(async () => {
      found = (await deliveriesOf(sensorId)).find((x) => x.recipientId === recipientId);
      return found?.status === 'pending' && found.nextAttemptAt !== undefined;
    });
    return found as Delivery;
  };
  const deliveriesOf = async (sensorId: string) => {
    const list = (await svc.api('GET', '/api/alerts?status=open')).body as Array<{
      id: string;
      sensorId?: string;
    }>;
    const alert = list.find((a) => a.sensorId === sensorId);
    if (!alert) return [];
    return (await svc.api('GET', `/api/alerts/${alert.id}`)).body.deliveries as Array<{
      recipientId: string;
      status: string;
      nextAttemptAt?: string;
      lastError?: string;
    }>;
  };

  it('errcode 130101 blocks the robot for 10 minutes, for every worker on that robot', async () => {
    dingtalkDouble.answers.push({
      status: 200,
      body: '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}',
    });
    const a = await armedHousehold(svc, 'dongcun', '1');
    const before = Date.now();
    await publishOpen(svc, a, 1);
    await dingtalkDouble.waitFor(() => true);
    const first = await pendingDelivery(a.sensorId, 'w-dong');
    expect(first.lastError).toContain('130101');
    // Retried after the robot's 10-minute block, not after 60 s.
    expect(Date.parse(first.nextAttemptAt ?? '')).toBeGreaterThanOrEqual(before + 10 * MIN - 1_000);

    // Another worker's alert for the same robot is not sent into the block: it is folded into that
    // worker's next summary, which waits for the robot (queued and folded, never dropped).
    const b = await armedHousehold(svc, 'licun', '2');
    const sentBefore = dingtalkDouble.received.length;
    await publishOpen(svc, b, 1);
    await eventually(async () =>
      (await deliveriesOf(b.sensorId)).some((x) => x.recipientId === 'w-li' && x.status === 'folded'),
    );
    await new Promise((r) => setTimeout(r, 2_000));
    expect(dingtalkDouble.received.length).toBe(sentBefore);
  });
});
