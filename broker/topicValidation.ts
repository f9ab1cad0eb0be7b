/**
 * Topic checks Aedes does not make. mqtt-packet decodes invalid UTF-8 into
 * U+FFFD instead of refusing it (MQTT-1.5.3-1), and lets NUL through
 * (MQTT-1.5.3-2); wildcards in PUBLISH (MQTT-3.3.2-2) Aedes refuses itself,
 * checked again here so the rule does not depend on it. Also for will
 * topics, which Aedes takes at CONNECT without any check (MQTT-3.1.3-10,
 * MQTT-4.7.3-1: at least one character).
 */
export function topicProblem(topic: string): string | null {
  if (topic.length === 0) return 'empty topic';
  if (topic.length > 512) return 'topic longer than 512 characters';
  if (topic.includes('\u0000')) return 'topic contains NUL';
  if (topic.includes('\uFFFD')) return 'topic is not valid UTF-8';
  if (topic.includes('+') || topic.includes('#')) return 'wildcards are not allowed in PUBLISH';
  return null;
}

/**
 * What Aedes' own filter check (`validateTopic`: empty, wildcard placement)
 * leaves to us in a SUBSCRIBE: NUL and invalid UTF-8 (MQTT-1.5.3-1/2).
 * Answered 0x80 for that filter, not by closing the connection.
 */
export function filterProblem(filter: string): string | null {
  if (filter.includes('\u0000')) return 'topic filter contains NUL';
  if (filter.includes('\uFFFD')) return 'topic filter is not valid UTF-8';
  return null;
}
