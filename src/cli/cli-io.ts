import { createInterface } from 'node:readline';

/** Where text goes: process.stdout/stderr, or a buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

/**
 * Everything the CLI touches outside itself. `buildProgram()` uses the real process; tests pass
 * buffers, an env object and stand-ins for Ctrl+C and the y/N prompt.
 */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** stdout is a terminal: progress is redrawn in place and Ctrl+C asks before cancelling. */
  readonly isTTY: boolean;
  /** Environment: KTRDR_API_URL, KTRDR_API_TOKEN, KTRDR_DATA_DIR, KTRDR_STRATEGIES_DIR. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Terminal width for the progress line. @defaultValue 80 */
  readonly columns?: number;
  /**
   * Subscribes to Ctrl+C (SIGINT) and returns the unsubscribe function.
   * @defaultValue process.on('SIGINT')
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Asks a question on the terminal and resolves with the answer. @defaultValue readline on stdin/stderr */
  readonly prompt?: (question: string) => Promise<string>;
  /** Interval between status polls while following. @defaultValue 750 */
  readonly pollIntervalMs?: number;
  /** Clock for ETA computation. @defaultValue Date.now */
  readonly now?: () => number;
}

/** A {@link CliIo} on the real process (built on call, never at import). */
export function processCliIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    columns: process.stdout.columns,
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    prompt: (question) =>
      new Promise<string>((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        let answered = false;
        const done = (answer: string) => {
          if (answered) return;
          answered = true;
          rl.close();
          resolve(answer);
        };
        // A second Ctrl+C at the prompt means "no".
        rl.on('SIGINT', () => {
          process.stderr.write('\n');
          done('');
        });
        rl.on('close', () => done(''));
        rl.question(question, done);
      }),
  };
}
