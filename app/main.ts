/**
 * The process: configuration, signals, exit codes. Exit 2 for bad
 * configuration, 1 for a failure at start or stop, 0 after a clean stop.
 */
import { ConfigError, configHelp, loadConfig } from '../core/config.ts';
import { ServiceError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { createService } from './createService.ts';
import { missingNodeFlags } from './nodeFlags.ts';

const STOP_DEADLINE_MS = 10_000;

// Everything the service writes (database, spool, secrets) is for its own user only.
process.umask(0o077);

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(configHelp());
  process.exit(0);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`sealwatch: invalid configuration: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const logger = createLogger(config.LOG_LEVEL);
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
const missingFlags = missingNodeFlags(process.execArgv);
if (missingFlags.length > 0)
  logger.warn(
    { code: 'node_flags_missing', missing: missingFlags },
    `node was started without ${missingFlags.join(' ')}: it runs, but its PUBACKs come later after a quiet spell and under a steady load (app/nodeFlags.ts says why); start it as \`npm start\` does`,
  );

try {
  const service = await createService(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: STOP_DEADLINE_MS }, 'stop took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  if (err instanceof ServiceError && err.code === 'config') {
    logger.fatal({ code: err.code }, err.message);
    console.error(`sealwatch: ${err.message}`);
    process.exit(2);
  }
  logger.fatal({ err }, 'start failed');
  process.exit(1);
}
