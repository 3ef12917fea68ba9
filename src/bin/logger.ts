import { pino, type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LogLevel } from '../config/env.js';

/** Options of {@link createRootLogger}. */
export interface RootLoggerOptions {
  /**
   * Human lines (`12:03:07.123 INFO (backend): backend listening`, coloured) instead of JSON.
   * @defaultValue stderr is a terminal; JSON when piped to a file or a log collector
   */
  pretty?: boolean;
  /** Where lines go. @defaultValue stderr (stdout stays free for CLI output) */
  destination?: DestinationStream;
}

/**
 * The process's root logger: JSON lines on stderr, or pretty human lines when a person is
 * watching (stderr is a terminal). Pretty lines drop `pid`/`hostname` and show `service` as the
 * logger's name; the JSON keeps every field.
 */
export function createRootLogger(level: LogLevel, base: Record<string, unknown>, options: RootLoggerOptions = {}): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  if (!pretty) return pino({ level, base: { pid: process.pid, ...base } }, options.destination ?? pino.destination(2));
  const { service, ...rest } = base;
  const prettify = prettyFactory({
    colorize: options.destination === undefined && process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  // Formatted in this thread, written synchronously: a crash's last lines reach the terminal.
  const out = options.destination ?? pino.destination({ fd: 2, sync: true });
  const stream: DestinationStream = { write: (line: string) => void out.write(prettify(line)) };
  return pino({ level, name: typeof service === 'string' ? service : undefined, base: rest }, stream);
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
