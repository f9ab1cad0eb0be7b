/**
 * What the administrator's command-line tools (backup, restore, migrate-store) share: how they end.
 * Exit 2 for a wrong call (usage, configuration) with a pointer to --help, 1 for a refusal or a
 * failure; an unexpected error shows its stack, a refusal (ServiceError) only its message.
 */
import { ConfigError } from '../../core/config.ts';
import { ServiceError } from '../../core/errors.ts';

/** The command was called wrongly: exit 2, with a pointer to --help. */
export class UsageError extends Error {}

const isUsageError = (err: unknown): boolean =>
  err instanceof UsageError ||
  err instanceof ConfigError ||
  String((err as { code?: unknown } | null)?.code).startsWith('ERR_PARSE_ARGS');

export interface CliEnding {
  /** How a refusal reads, e.g. `restore refused: …; nothing was changed`. */
  refusal(err: ServiceError): string;
  /** Exit code of a refusal (default 1). */
  refusalExitCode?(err: ServiceError): number;
}

/** Runs `main` with the process's arguments; ends the process with its exit code or the error's. */
export async function runCli(
  name: string,
  main: (argv: string[]) => Promise<number>,
  ending: CliEnding,
): Promise<void> {
  let code: number;
  try {
    code = await main(process.argv.slice(2));
  } catch (err) {
    if (isUsageError(err)) {
      console.error(`${name}: ${(err as Error).message}\n(npm run ${name} -- --help for usage)`);
      code = 2;
    } else if (err instanceof ServiceError) {
      console.error(ending.refusal(err));
      code = ending.refusalExitCode?.(err) ?? 1;
    } else {
      console.error(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      code = 1;
    }
  }
  // A pool or a timer left open by a library must not keep a finished command alive.
  process.exit(code);
}
