import { CommanderError } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './cli-error.js';

/** What to print for a failure (undefined: already printed) and the exit status. */
export interface CliErrorDescription {
  readonly message: string | undefined;
  readonly exitCode: number;
}

/**
 * Maps anything a command threw to one stderr line and an exit status:
 * 0 after `--help`; 2 for usage errors (commander has already printed them); the CliError's own
 * status; 1 for everything else (API errors, unreachable backend, invalid files, ...).
 */
export function describeCliError(err: unknown): CliErrorDescription {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) {
      return { message: undefined, exitCode: 0 };
    }
    return { message: undefined, exitCode: EXIT_USAGE };
  }
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof Error) return { message: err.message || err.name, exitCode: EXIT_FAILURE };
  return { message: String(err), exitCode: EXIT_FAILURE };
}
