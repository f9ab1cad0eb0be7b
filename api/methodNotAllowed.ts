import type { RouteOptions } from 'fastify';

/**
 * Which methods each path takes, learnt from every route Fastify registers (the route table's and
 * the /docs page's), so that a method a known path does not take answers 405 with `Allow` rather
 * than 404 (RFC 9110 §15.5.6).
 */
export class KnownRoutes {
  private readonly byUrl = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  /** Fastify's onRoute hook. */
  readonly onRoute = (route: RouteOptions): void => {
    let entry = this.byUrl.get(route.url);
    if (!entry) {
      entry = { pattern: patternOf(route.url), methods: new Set() };
      this.byUrl.set(route.url, entry);
    }
    for (const method of [route.method].flat()) entry.methods.add(method.toUpperCase());
    // Fastify answers HEAD for every GET route (exposeHeadRoutes).
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
  };

  /** The methods some route takes on this path (without its query), sorted; empty for an unknown path. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: m } of this.byUrl.values()) {
      if (pattern.test(path)) for (const method of m) methods.add(method);
    }
    return [...methods].sort();
  }
}

/** `/api/alerts/:id/ack` → /^\/api\/alerts\/[^/]+\/ack$/; `*` matches the rest of the path. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}
