/**
 * Topic checks Aedes does not make. mqtt-packet decodes invalid UTF-8 into
 * U+FFFD instead of refusing it (MQTT-1.5.3-1), and lets NUL through
 * (MQTT-1.5.3-2); wildcards in PUBLISH (MQTT-3.3.2-2) Aedes refuses itself,
 * checked again here so the rule does not depend on it.
 */
export function topicProblem(topic: string): string | null {
  if (topic.length === 0) return 'empty topic';
  if (topic.length > 512) return 'topic longer than 512 characters';
  if (topic.includes('\u0000')) return 'topic contains NUL';
  if (topic.includes('\uFFFD')) return 'topic is not valid UTF-8';
  if (topic.includes('+') || topic.includes('#')) return 'wildcards are not allowed in PUBLISH';
  return null;
}
