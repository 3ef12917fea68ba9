/** Exit status of a command-line usage error (unknown option, missing argument, bad value). */
export const EXIT_USAGE = 2;
/** Exit status of every other failure, including a followed operation that failed or was cancelled. */
export const EXIT_FAILURE = 1;
/** Exit status when Ctrl+C stopped `--follow` (the operation keeps running): 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

/**
 * A failure the CLI itself reports: the message is the one line printed on stderr, `exitCode`
 * the process exit status. Commands throw it; only `main.ts` turns it into `process.exit`.
 */
export class CliError extends Error {
  readonly code = 'CLI_ERROR';

  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}
