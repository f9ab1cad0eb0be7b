/**
 * The layers of SealWatch and which way their imports may point (`npm run check` fails on a violation; see
 * ARCHITECTURE.md). Bottom to top:
 *
 *   contract   the wire contract shared with devices and outside tools: topics, payload schemas, CSV format
 *   core       config, logger, errors, clock, the typed event bus and the message/state types everyone speaks
 *   registry   the domain of people and places: grid, workers, households, sensors, arming; the ports its
 *              storage implements
 *   broker     MQTT: the embedded Aedes broker's hooks, authentication, ACL; the external-broker consumer
 *   ingest     decoders → de-dup → state change → telemetry (declares the commit port storage implements)
 *   alerting   pure rules, the engine, notifiers (declares the alert store port storage implements)
 *   storage    SQLite and PostgreSQL: implements the ports of registry, ingest and alerting
 *   api        Fastify routes, auth, live streams, metrics
 *   app        the composition root: the only layer that knows every part
 *
 * ingest and alerting sit side by side and never import each other: they meet through events on the bus.
 * The simulator is an outside client: it imports only the contract. bench/ and test/ may import anything;
 * nothing in the product imports them.
 */
const PRODUCT = ['contract', 'core', 'registry', 'broker', 'ingest', 'alerting', 'storage', 'api', 'app'];

/** Which folders each folder may import from (besides npm packages and Node's own modules). */
const MAY_IMPORT = {
  contract: ['contract'],
  core: ['core'],
  registry: ['registry', 'core', 'contract'],
  broker: ['broker', 'registry', 'core', 'contract'],
  ingest: ['ingest', 'broker', 'registry', 'core', 'contract'],
  alerting: ['alerting', 'registry', 'core', 'contract'],
  storage: ['storage', 'alerting', 'ingest', 'registry', 'core', 'contract'],
  api: ['api', 'alerting', 'ingest', 'broker', 'registry', 'core', 'contract'],
  app: [...PRODUCT, 'dashboards'],
  simulator: ['simulator', 'contract'],
  dashboards: ['dashboards'],
};

const TOP_FOLDERS = [
  ...new Set([...Object.keys(MAY_IMPORT), 'bench', 'test', 'scenarios', 'examples', 'deploy']),
];
const folderPattern = (folders) => `^(${folders.join('|')})/`;

const layerRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
  name: `layer-${folder}`,
  comment: `${folder}/ may import only ${allowed.join(', ')} (the layer order in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: folderPattern([folder]) },
  to: { path: folderPattern(TOP_FOLDERS.filter((f) => !allowed.includes(f))) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-product-imports-of-bench-or-test',
      comment: 'bench/ and test/ build on the product, never the other way round',
      severity: 'error',
      from: { path: folderPattern([...PRODUCT, 'simulator', 'dashboards']) },
      to: { path: '^(bench|test)/' },
    },
    {
      name: 'no-circular',
      comment: 'a cycle of imports means two modules are one; split or merge them',
      severity: 'error',
      from: { path: folderPattern([...PRODUCT, 'simulator']) },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve is a typo or a missing package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|bench/results|test/artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.mts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
