import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/env.js';

/** The process's root logger: JSON lines on stderr (stdout stays free for CLI output). */
export function createRootLogger(level: LogLevel, base: Record<string, unknown>): Logger {
  return pino({ level, base: { pid: process.pid, ...base } }, pino.destination(2));
}

/** Runs `close` on SIGINT/SIGTERM, then exits 0; a second signal or a stuck close forces exit. */
export function onShutdownSignal(log: Logger, close: () => Promise<void>, forceAfterMs: number): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, forceAfterMs).unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
