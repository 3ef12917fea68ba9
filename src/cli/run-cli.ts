import type { CliIo } from './cli-io.js';
import { describeCliError } from './describe-cli-error.js';
import { buildProgram } from './program.js';

/**
 * Runs one `ktrdr` invocation against `io` and resolves with its exit status, printing a failure
 * as one `error: …` line on `io.stderr`. What `main.ts` does, minus `process.exit` (for tests and
 * embedding).
 *
 * @param args - the arguments after `ktrdr`, e.g. `['ops', '--json']`
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    const { message, exitCode } = describeCliError(err);
    if (message !== undefined) io.stderr.write(`error: ${message}\n`);
    return exitCode;
  }
}
