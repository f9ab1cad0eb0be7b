import { Counter, type Registry as PromRegistry } from 'prom-client';

/** What the voice channel counts (alerting/notifiers/voice/voiceChannel.ts VoiceStats). */
export interface VoiceMetrics {
  vendor: string;
  placed: number;
  failed: number;
  reports: Record<string, number>;
}

/** The voice channel (VOICE_URL): calls the vendor accepted (placed) and ones refused or unreachable (failed). */
export function voiceMetrics(registry: PromRegistry, stats: () => VoiceMetrics | null): void {
  new Counter({
    name: 'sealwatch_voice_calls_total',
    help: 'voice calls since start: placed (the vendor accepted the call) or failed (refused, unreachable; retried by the outbox)',
    labelNames: ['vendor', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      const s = stats();
      if (!s) return;
      this.inc({ vendor: s.vendor, result: 'placed' }, s.placed);
      this.inc({ vendor: s.vendor, result: 'failed' }, s.failed);
    },
  });
  new Counter({
    name: 'sealwatch_voice_reports_total',
    help: "the voice cloud's call reports since start: answered, not_answered, acknowledged (key 1), unmatched",
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [result, n] of Object.entries(stats()?.reports ?? {})) this.inc({ result }, n);
    },
  });
}
