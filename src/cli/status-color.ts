/** ANSI colours for status words, used only when {@link shouldUseColor} says so. */

const RESET = '\x1b[0m';

const CODES: Readonly<Record<string, string>> = {
  // operations
  completed: '\x1b[32m', // green
  running: '\x1b[36m', // cyan
  pending: '\x1b[33m', // yellow
  failed: '\x1b[31m', // red
  cancelled: '\x1b[35m', // magenta
  // workers
  available: '\x1b[32m',
  busy: '\x1b[36m',
  temporarily_unavailable: '\x1b[31m',
};

/**
 * Colour is for people: only when stdout is a terminal and `NO_COLOR` is unset or empty
 * (https://no-color.org).
 */
export function shouldUseColor(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env['NO_COLOR'];
  return isTTY && (noColor === undefined || noColor === '');
}

/** `text` wrapped in the colour of `status` (a known status word), else `text` unchanged. */
export function colorStatus(text: string, status: string): string {
  const code = CODES[status];
  return code === undefined ? text : `${code}${text}${RESET}`;
}
