import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from '../core/logger.ts';
import { authenticator } from './authenticate.ts';
import type { ApiDeps } from './deps.ts';
import { frameworkErrorOptions, installErrorHandler } from './errorHandler.ts';
import { KnownRoutes } from './methodNotAllowed.ts';
import { registerOpenApi } from './openApi.ts';
import { forwardAlertingCalls } from './ownerProxy.ts';
import { keepRawJsonBodies } from './rawJsonBody.ts';
import { ackRoutes } from './routes/ack.ts';
import { alertRoutes } from './routes/alerts.ts';
import { announcementRoutes } from './routes/announcements.ts';
import { auditRoutes } from './routes/audit.ts';
import { brokerRoutes } from './routes/broker.ts';
import { csvRoutes } from './routes/csv.ts';
import { gatewayRoutes } from './routes/gateways.ts';
import { gridRoutes } from './routes/grid.ts';
import { gridPolicyRoutes } from './routes/gridPolicy.ts';
import { householdRoutes } from './routes/households.ts';
import { liveRoutes } from './routes/live.ts';
import { modelRoutes } from './routes/models.ts';
import { pageRoutes } from './routes/page.ts';
import { platformAppRoutes } from './routes/platformApps.ts';
import { PLATFORM_PUSH_PREFIX, platformPushRoutes } from './routes/platformPush.ts';
import { reportRoutes } from './routes/reports.ts';
import { residentQrRoutes } from './routes/residentQr.ts';
import { rosterRoutes } from './routes/rosters.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { sealRoutes } from './routes/seals.ts';
import { sensorRoutes } from './routes/sensors.ts';
import { sessionRoutes } from './routes/session.ts';
import { smsCallbackRoutes } from './routes/smsCallbacks.ts';
import { systemRoutes } from './routes/system.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { userRoutes } from './routes/users.ts';
import { voiceCallbackRoutes } from './routes/voiceCallbacks.ts';
import { wallRoutes } from './routes/wall.ts';
import { workerRoutes } from './routes/workers.ts';
import { RouteTable } from './routeTable.ts';

/**
 * Builds the HTTP API; the composition root listens, tests use inject() or a port.
 * `verifyResponses` checks every JSON answer against its schema (api/responseCheck.ts): tests turn it
 * on (API_VERIFY_RESPONSES=true); it costs a second serialization per answer.
 */
export function buildApi(
  deps: ApiDeps,
  logger: Logger,
  https: { cert: Buffer; key: Buffer } | null = null,
  options: { verifyResponses: boolean } = { verifyResponses: false },
): FastifyInstance {
  const app: FastifyInstance = Fastify({
    ...(https ? { https } : {}),
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // One line per request would drown the log on a busy wall screen; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 5 * 1024 * 1024,
    // Acknowledge links carry a signed token in the path (about 200 characters). Router options
    // go under routerOptions: the top-level form is deprecated (FSTDEP022) and warns at every start.
    routerOptions: { maxParamLength: 1024 },
    // Closing waits for in-flight requests; idle keep-alive sockets are cut.
    forceCloseConnections: 'idle',
    ...frameworkErrorOptions,
  });
  if (options.verifyResponses)
    app.log.warn(
      'answers are checked against their schemas (API_VERIFY_RESPONSES=true): a test setting, each answer is serialized twice',
    );
  const known = new KnownRoutes();
  app.addHook('onRoute', known.onRoute);
  installErrorHandler(app, known);
  app.addHook('onResponse', async (request, reply) => {
    deps.observeHttp(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime,
    );
  });
  // CSV imports arrive as text, up to the body limit.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  // The acknowledge and announce pages post plain HTML forms.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // OneNET signs the text of its push: those bodies are kept as received.
  keepRawJsonBodies(app, PLATFORM_PUSH_PREFIX);
  if (deps.alertingOwner) forwardAlertingCalls(app, deps.alertingOwner);
  registerOpenApi(app, deps.version);
  const table = new RouteTable(authenticator(deps.registry, deps.sessions));
  for (const routes of [
    systemRoutes,
    gridRoutes,
    gridPolicyRoutes,
    workerRoutes,
    householdRoutes,
    sensorRoutes,
    modelRoutes,
    gatewayRoutes,
    scheduleRoutes,
    rosterRoutes,
    tokenRoutes,
    userRoutes,
    sessionRoutes,
    sealRoutes,
    liveRoutes,
    pageRoutes,
    csvRoutes,
    alertRoutes,
    reportRoutes,
    ackRoutes,
    announcementRoutes,
    residentQrRoutes,
    brokerRoutes,
    platformAppRoutes,
    platformPushRoutes,
    smsCallbackRoutes,
    voiceCallbackRoutes,
    auditRoutes,
    wallRoutes,
  ]) {
    routes(table, deps);
  }
  // In a plugin registered after the OpenAPI one, so that it sees every route being added.
  void app.register((scope, _options, done) => {
    table.register(scope, options);
    done();
  });
  return app;
}
