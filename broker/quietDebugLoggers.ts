import { requireFromMqttPacket } from './aedesInternals.ts';

/**
 * mqtt-packet (Aedes' parser and writer, and mqtt.js's) logs through the `debug` package at every
 * step of every packet: about twenty calls per PUBLISH and its PUBACK. A `debug` logger is
 * `function debug(...args)`, so each call builds its arguments array before it finds itself disabled:
 * 1.1–1.4 KB of garbage per message, the largest single source in the service (issue 20.1, V8's
 * sampling heap profiler on the closed-loop ingest bench), plus the `enabled` getter's work.
 *
 * This makes `debug(namespace)` hand a namespace that is disabled when it is created a function
 * that does nothing, and an enabled one the real logger. Called before mqtt-packet is first loaded
 * (createBroker imports Aedes after it; the external consumer imports mqtt.js after it), since
 * mqtt-packet creates its loggers once, when it loads. What changes for a person: `DEBUG=mqtt-packet:*`
 * still works, set in the environment at start as always; `debug.enable()` called later no longer
 * turns on a logger created while its namespace was off. Nothing in SealWatch calls it.
 */
export function quietDisabledDebugLoggers(): void {
  // The `debug` mqtt-packet itself resolves, not whichever one is hoisted.
  const path = requireFromMqttPacket.resolve('debug');
  const real = requireFromMqttPacket('debug') as DebugFactory;
  if (real[QUIET] === true) return;
  const cached = requireFromMqttPacket.cache[path];
  if (cached === undefined) throw new Error(`debug is not in the module cache after loading it (${path})`);
  cached.exports = quietFactory(real);
}

interface DebugLogger {
  (...args: unknown[]): void;
  readonly namespace: string;
  enabled: boolean;
  extend(sub: string, delimiter?: string): DebugLogger;
}

interface DebugFactory {
  (namespace: string): DebugLogger;
  enabled(namespace: string): boolean;
  [QUIET]?: true;
}

const QUIET = Symbol.for('sealwatch.quietDebugLoggers');

function quietFactory(real: DebugFactory): DebugFactory {
  const factory = ((namespace: string) =>
    real.enabled(namespace) ? real(namespace) : silentLogger(factory, namespace)) as DebugFactory;
  // enable, disable, formatters, log, …: the real module's, for anyone who reads or changes them.
  Object.setPrototypeOf(factory, real);
  factory[QUIET] = true;
  return factory;
}

function silentLogger(factory: DebugFactory, namespace: string): DebugLogger {
  // No rest parameter: extra arguments cost a call nothing.
  const logger = (() => {}) as unknown as DebugLogger;
  Object.defineProperties(logger, {
    namespace: { value: namespace, enumerable: true },
    enabled: { value: false, enumerable: true, writable: true },
  });
  logger.extend = (sub, delimiter = ':') => factory(`${namespace}${delimiter}${sub}`);
  return logger;
}
