import type { Locale } from './notificationTexts.ts';

/**
 * The reasons a household picks when it announces an opening itself (the one-time link and the
 * QR code's page). A fixed list: what the worker reads is ours, never free text from a stranger.
 */
export const ANNOUNCE_REASONS = ['nucleicTest', 'delivery', 'medical', 'garbage', 'other'] as const;
export type AnnounceReason = (typeof ANNOUNCE_REASONS)[number];

export const REASON_LABELS: Readonly<Record<Locale, Readonly<Record<AnnounceReason, string>>>> = {
  'zh-CN': {
    nucleicTest: '上门核酸',
    delivery: '送餐/取物',
    medical: '就医',
    garbage: '倒垃圾',
    other: '其他',
  },
  en: {
    nucleicTest: 'test at the door',
    delivery: 'delivery',
    medical: 'medical',
    garbage: 'rubbish',
    other: 'other',
  },
};

export const isAnnounceReason = (reason: unknown): reason is AnnounceReason =>
  (ANNOUNCE_REASONS as readonly unknown[]).includes(reason);
