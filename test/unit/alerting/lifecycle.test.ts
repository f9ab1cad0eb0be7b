import { describe, expect, it } from 'vitest';
import { verifyAckToken } from '../../../alerting/ackLink.ts';
import { DEFAULT_POLICY } from '../../../alerting/alertModel.ts';
import { dueEscalation } from '../../../alerting/escalation.ts';
import {
  acknowledge,
  appendOccurrence,
  applyEscalation,
  autoResolve,
  createAlert,
  resolve,
} from '../../../alerting/lifecycle.ts';
import { planNotifications } from '../../../alerting/notificationPlan.ts';
import { escalationChain, OrgChart } from '../../../alerting/routing.ts';
import { announce } from '../../../alerting/rules/announcement.ts';
import { ServiceError } from '../../../core/errors.ts';
import { MIN, T0 } from './fixtures.ts';

const opened = createAlert(
  {
    type: 'breach',
    severity: 'critical',
    sensorId: 's1',
    householdId: 'h1',
    gridId: 'g3',
    openedAt: T0,
    detail: { cause: 'open' },
  },
  'a1',
  'w-g3',
  T0 + 5 * MIN,
);

describe('alert lifecycle', () => {
  it('opens with count 1, level 0 and the first escalation deadline', () => {
    expect(opened.alert).toMatchObject({
      id: 'a1',
      status: 'open',
      count: 1,
      escalationLevel: 0,
      assignee: 'w-g3',
      nextEscalationAt: T0 + 5 * MIN,
    });
    expect(opened.change).toEqual({
      alertId: 'a1',
      kind: 'opened',
      at: T0,
      actor: 'system',
      detail: { cause: 'open' },
    });
  });

  it('appends occurrences, acknowledges once (stopping escalation), resolves with outcome and note', () => {
    const appended = appendOccurrence(opened.alert, T0 + MIN, { cause: 'open' });
    expect(appended.alert.count).toBe(2);
    const acked = acknowledge(appended.alert, 'w-g3', T0 + 2 * MIN, 'on my way');
    expect(acked.alert).toMatchObject({ status: 'acknowledged', ackedAt: T0 + 2 * MIN, ackedBy: 'w-g3' });
    expect(acked.alert.nextEscalationAt).toBeUndefined();
    expect(acked.change?.detail).toEqual({ note: 'on my way' });
    expect(acknowledge(acked.alert, 'other', T0 + 3 * MIN).change).toBeNull();
    const done = resolve(acked.alert, { outcome: 'visited', note: ' 已上门，误开 ' }, 'w-g3', T0 + 30 * MIN);
    expect(done.alert).toMatchObject({
      status: 'resolved',
      outcome: 'visited',
      note: '已上门，误开',
      resolvedBy: 'w-g3',
    });
  });

  it.each([
    ['empty note', { outcome: 'visited', note: '  ' }, 'validation'],
    ['unknown outcome', { outcome: 'whatever', note: 'x' }, 'validation'],
  ])('resolve refuses %s', (_n, input, code) => {
    expect(() => resolve(opened.alert, input, 'w', T0)).toThrow(ServiceError);
    try {
      resolve(opened.alert, input, 'w', T0);
    } catch (e) {
      expect((e as ServiceError).code).toBe(code);
    }
  });

  it('a resolved alert can be neither acknowledged nor resolved again; auto-resolve is a no-op then', () => {
    const done = resolve(opened.alert, { outcome: 'falseAlarm', note: 'wind' }, 'w', T0 + MIN).alert;
    expect(() => acknowledge(done, 'w', T0 + 2 * MIN)).toThrow(/already resolved/);
    expect(() => resolve(done, { outcome: 'visited', note: 'x' }, 'w', T0 + 2 * MIN)).toThrow(
      /already resolved/,
    );
    expect(autoResolve(done, 'backOnline', T0)).toBeNull();
    expect(autoResolve(opened.alert, 'backOnline', T0)?.alert).toMatchObject({
      status: 'resolved',
      autoResolveReason: 'backOnline',
      resolvedBy: 'system',
    });
  });

  it('escalation moves the level and the next deadline', () => {
    const tree = OrgChart.of(
      [
        { id: 'root', name: 'R', parentId: null },
        { id: 'v', name: 'V', parentId: 'root' },
        { id: 'g3', name: 'G3', parentId: 'v' },
      ],
      [
        { id: 'l-v', gridId: 'v', role: 'leader' },
        { id: 'l-root', gridId: 'root', role: 'leader' },
      ],
    );
    const chain = escalationChain(tree, 'g3');
    const d = dueEscalation(opened.alert, chain, [5 * MIN, 15 * MIN], T0 + 5 * MIN);
    const t = applyEscalation(opened.alert, d!, T0 + 5 * MIN);
    expect(t.alert).toMatchObject({ escalationLevel: 1, nextEscalationAt: T0 + 15 * MIN });
    expect(t.change.detail).toEqual({ level: 1, nodes: ['v'], recipients: ['l-v'] });
  });
});

describe('notification plan', () => {
  it('one delivery per recipient and channel, each with its own recipient-bound ack link', () => {
    let n = 0;
    const key = 'k'.repeat(32);
    const plan = planNotifications({
      alert: opened.alert,
      event: 'opened',
      detail: {},
      recipients: [
        {
          id: 'w1',
          gridId: 'g3',
          role: 'worker',
          email: 'w1@example.org',
          webhook: 'https://oapi.dingtalk.com/robot/send?access_token=x',
        },
        { id: 'w2', gridId: 'g3', role: 'worker' },
        { id: 'w1', gridId: 'g3', role: 'worker', email: 'w1@example.org' },
      ],
      address: '东村三组 12 号',
      gridPath: ['曲沃县', '东村'],
      locale: 'zh-CN',
      tz: 'Asia/Shanghai',
      publicUrl: 'https://sw.example.org',
      ackKey: key,
      now: T0,
      newId: () => `ob${++n}`,
      newNonce: () => `nonce${n}`,
    });
    expect(plan.unreachable).toEqual(['w2']);
    expect(plan.deliveries.map((d) => [d.channel, d.recipientId, d.notification.id, d.ackNonce])).toEqual([
      ['email', 'w1', 'ob1', 'nonce1'],
      ['webhook', 'w1', 'ob2', 'nonce2'],
    ]);
    const url = plan.deliveries[0]!.notification.view.action!.url;
    expect(url.startsWith('https://sw.example.org/ack/')).toBe(true);
    const v = verifyAckToken(url.split('/ack/')[1]!, key, T0 + MIN);
    expect(v).toEqual({
      ok: true,
      claims: { alertId: 'a1', recipientId: 'w1', expiresAt: T0 + 24 * 60 * MIN, nonce: 'nonce1' },
    });
    expect(plan.deliveries[0]!.notification.subject).toContain('开门告警');
  });

  it('announcements default to the policy span', () => {
    expect(announce('h1', '取快递', T0, DEFAULT_POLICY)).toEqual({
      householdId: 'h1',
      start: T0,
      end: T0 + 10 * MIN,
      reason: '取快递',
    });
    expect(() => announce('h1', 'x', T0, DEFAULT_POLICY, 0)).toThrow(RangeError);
  });
});
