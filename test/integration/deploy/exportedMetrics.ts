/**
 * What the rules and the dashboard may name: the metric families a running service exports.
 * Shared by prometheusRules.test.ts and serviceHealthDashboard.test.ts.
 */

/** Metric families in a scrape: each has a TYPE line, with or without samples. */
export function metricFamilies(scrape: string): Set<string> {
  return new Set([...scrape.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

/** The SealWatch metrics (and Prometheus' own `up`) a PromQL expression names. */
export function metricNamesIn(expr: string): string[] {
  // Label matchers ({job="up"}) name no metric: left out first.
  const outsideMatchers = expr.replace(/\{[^}]*\}/g, '{}');
  return [...outsideMatchers.matchAll(/\b(sealwatch_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!);
}

/** Whether a name the rules or the dashboard use is one the service exports (a histogram's series too). */
export function isExported(families: ReadonlySet<string>, name: string): boolean {
  if (families.has(name)) return true;
  const histogram = /^(.+)_(bucket|sum|count)$/.exec(name);
  return histogram !== null && families.has(histogram[1]!);
}
