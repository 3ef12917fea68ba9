import { CliError } from './cli-error.js';

/** The one line `ktrdr up`, `ktrdr backend` and `ktrdr worker` print for a port something else holds. */
export function portInUseMessage(port: number | string, holder: 'backend' | 'worker', hint = '--port'): string {
  return `port ${port} is already in use (another ${holder} running?): pick another with ${hint}`;
}

/**
 * Runs a server's main and turns its `listen EADDRINUSE` into {@link portInUseMessage}, the
 * message the user guide promises, instead of Node's raw error.
 */
export async function withPortInUseMessage<T>(holder: 'backend' | 'worker', hint: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (e?.code === 'EADDRINUSE') throw new CliError(portInUseMessage(e.port ?? '?', holder, hint), undefined, { cause: err });
    throw err;
  }
}
