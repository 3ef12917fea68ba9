import type { OperationStatus, Progress } from '../contracts/index.js';
import type { TextSink } from './cli-io.js';
import { formatDuration } from './format.js';
import { truncate } from './table.js';

/** What the renderer reads of an operation. */
export interface ProgressSnapshot {
  readonly status: OperationStatus;
  readonly progress: Progress;
}

/** Options of {@link ProgressRenderer}. */
export interface ProgressRendererOptions {
  /** Redraw one line in place (a terminal) instead of printing a line per change. */
  readonly isTTY: boolean;
  /** Terminal width; the progress line is cut to fit. @defaultValue 80 (also for widths under 20) */
  readonly columns?: number;
  /** Clock for the ETA. @defaultValue Date.now */
  readonly now?: () => number;
  /** Characters in the bar. @defaultValue 24 */
  readonly barWidth?: number;
}

/** Percentage clamped to 0..100; a missing or bad value is 0. */
function percentOf(progress: Progress): number {
  const p = typeof progress.percentage === 'number' && Number.isFinite(progress.percentage) ? progress.percentage : 0;
  return Math.min(100, Math.max(0, p));
}

/** The step text, or the status when the worker has not named a step yet or the operation failed/was cancelled. */
function stepText(snapshot: ProgressSnapshot): string {
  if (snapshot.status === 'failed' || snapshot.status === 'cancelled') return snapshot.status;
  const step = snapshot.progress.current_step;
  return step !== null && step !== undefined && step.trim() !== '' ? step.trim() : snapshot.status;
}

/** `[ 42.0%] Processing bar 420/1000`: the plain progress line (also what non-terminals get). */
export function describeProgress(snapshot: ProgressSnapshot): string {
  return `[${percentOf(snapshot.progress).toFixed(1).padStart(5)}%] ${stepText(snapshot)}`;
}

/** `[██████░░░░]`: a bar `width` characters wide. */
export function progressBar(percent: number, width: number): string {
  const filled = Math.round((Math.min(100, Math.max(0, percent)) / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * Shows an operation's progress while it is followed.
 *
 * - On a terminal: one line, redrawn in place: bar, percentage, current step and an ETA
 *   extrapolated from the rate observed since the first progress seen.
 * - Elsewhere (pipe, file, CI log): a plain `[ 42.0%] step` line each time that text changes.
 *
 * {@link log} prints a whole line (e.g. a training epoch) above the live line.
 */
export class ProgressRenderer {
  readonly #out: TextSink;
  readonly #isTTY: boolean;
  readonly #columns: number;
  readonly #now: () => number;
  readonly #barWidth: number;
  #lastPlain: string | undefined;
  #liveLine: string | undefined;
  /** First observation with progress, the base of the rate. */
  #origin: { at: number; percent: number } | undefined;

  constructor(out: TextSink, options: ProgressRendererOptions) {
    this.#out = out;
    this.#isTTY = options.isTTY;
    // A pty that never got a size reports 0 columns: treat that as unknown.
    this.#columns = options.columns !== undefined && options.columns >= 20 ? options.columns : 80;
    this.#now = options.now ?? Date.now;
    this.#barWidth = options.barWidth ?? 24;
  }

  /** Shows a new snapshot (call it on every poll; unchanged plain lines are not repeated). */
  update(snapshot: ProgressSnapshot): void {
    const percent = percentOf(snapshot.progress);
    const at = this.#now();
    // The rate starts at the last poll before progress moved, so queue time does not skew the ETA.
    if (this.#origin === undefined || percent <= this.#origin.percent) this.#origin = { at, percent };
    if (!this.#isTTY) {
      const line = describeProgress(snapshot);
      if (line !== this.#lastPlain) this.#out.write(`${line}\n`);
      this.#lastPlain = line;
      return;
    }
    const eta = this.#eta(percent, at, snapshot.status);
    const head = `${progressBar(percent, this.#barWidth)} ${percent.toFixed(1).padStart(5)}%`;
    const tail = eta === undefined ? '' : `  ETA ${eta}`;
    const room = this.#columns - 1 - head.length - tail.length - 2;
    const line = `${head}  ${truncate(stepText(snapshot), room)}${tail}`;
    this.#liveLine = line;
    this.#out.write(`${CLEAR_LINE}${line}`);
  }

  /** Prints a full line; on a terminal the live progress line is cleared first and redrawn after. */
  log(line: string): void {
    if (this.#isTTY && this.#liveLine !== undefined) {
      this.#out.write(`${CLEAR_LINE}${line}\n${this.#liveLine}`);
    } else {
      this.#out.write(`${line}\n`);
    }
  }

  /** Ends the live line (a terminal keeps the last state on screen). Safe to call twice. */
  finish(): void {
    if (this.#isTTY && this.#liveLine !== undefined) this.#out.write('\n');
    this.#liveLine = undefined;
  }

  /** Erases the live line without keeping it (before a prompt). */
  clear(): void {
    if (this.#isTTY && this.#liveLine !== undefined) this.#out.write(CLEAR_LINE);
    this.#liveLine = undefined;
  }

  #eta(percent: number, at: number, status: OperationStatus): string | undefined {
    if (status !== 'running' || percent >= 100 || this.#origin === undefined) return undefined;
    const done = percent - this.#origin.percent;
    const elapsed = at - this.#origin.at;
    if (done <= 0 || elapsed <= 0) return undefined;
    return formatDuration(((100 - percent) / done) * elapsed);
  }
}
