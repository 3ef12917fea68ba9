import { isTerminal, type MetricRecord, type Operation } from '../contracts/index.js';
import { ApiError } from './api-error.js';
import type { BackendClient } from './backend-client.js';
import { BackendUnreachableError } from './backend-unreachable-error.js';
import type { CliIo, TextSink } from './cli-io.js';
import { formatEpochLine, isTrainingOperation } from './operation-report.js';
import { ProgressRenderer } from './progress-renderer.js';

/** Options of {@link followOperation}. */
export interface FollowOptions {
  /** Terminal, output sinks, Ctrl+C source, prompt, poll interval and clock. */
  readonly io: CliIo;
  /** Ctrl+C cancels the operation without asking. @defaultValue false */
  readonly cancelOnInterrupt?: boolean;
  /** Render nothing (for `--json`: stdout must stay parseable). @defaultValue false */
  readonly quiet?: boolean;
  /** Consecutive failed polls (backend unreachable) tolerated before giving up. @defaultValue 5 */
  readonly maxPollFailures?: number;
}

/** How following ended. */
export type FollowOutcome =
  /** The operation reached a terminal status; `metrics` holds every metric record seen (training epochs). */
  | { readonly kind: 'finished'; readonly operation: Operation; readonly metrics: MetricRecord[] }
  /** Ctrl+C without cancelling: the operation keeps running. */
  | { readonly kind: 'detached'; readonly operation: Operation };

const NULL_SINK: TextSink = { write: () => true };
const CANCEL_REASON = 'cancelled from the ktrdr CLI (Ctrl+C)';

/**
 * Polls `GET /operations/{id}` until the operation is completed, failed or cancelled, rendering its
 * progress (see {@link ProgressRenderer}) and, for training, printing each new epoch from the
 * metrics cursor.
 *
 * Ctrl+C: with `cancelOnInterrupt` the operation is cancelled and followed to its end; on a terminal
 * the user is asked `Cancel operation X? [y/N]`; otherwise (or on "no") following stops and the
 * outcome is `detached`. A second Ctrl+C after a cancel request detaches at once.
 */
export async function followOperation(client: BackendClient, operationId: string, options: FollowOptions): Promise<FollowOutcome> {
  const { io } = options;
  const renderer = new ProgressRenderer(options.quiet ? NULL_SINK : io.stdout, {
    isTTY: io.isTTY,
    columns: io.columns,
    now: io.now,
  });
  const pollIntervalMs = io.pollIntervalMs ?? 750;
  const maxFailures = options.maxPollFailures ?? 5;
  const metrics: MetricRecord[] = [];
  let cursor = 0;
  let interrupts = 0;
  let cancelRequested = false;
  let wake: (() => void) | undefined;

  const unsubscribe = io.onInterrupt?.(() => {
    interrupts++;
    wake?.();
  });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (interrupts > 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  const pullMetrics = async (final: boolean) => {
    try {
      // A finished run may have more records than one page: read until the cursor stops moving.
      for (let page = 0; page < 1000; page++) {
        const reply = await client.getMetrics(operationId, cursor);
        for (const record of reply.data.metrics) {
          metrics.push(record);
          renderer.log(formatEpochLine(record));
        }
        const moved = reply.data.new_cursor > cursor;
        cursor = Math.max(cursor, reply.data.new_cursor);
        if (!final || !moved || reply.data.metrics.length === 0) break;
      }
    } catch (err) {
      // Metrics are extra: a failed read must not stop following; the next poll retries.
      if (!(err instanceof ApiError || err instanceof BackendUnreachableError)) throw err;
    }
  };

  try {
    let failures = 0;
    let last: Operation | undefined;
    for (;;) {
      let op: Operation;
      try {
        op = (await client.getOperation(operationId)).data;
        failures = 0;
      } catch (err) {
        // Ride out a backend restart; a 404 or other HTTP error is final.
        if (!(err instanceof BackendUnreachableError) || ++failures >= maxFailures || last === undefined) throw err;
        await sleep(pollIntervalMs);
        if (interrupts > 0) return { kind: 'detached', operation: last };
        continue;
      }
      last = op;
      const terminal = isTerminal(op.status);
      // Epochs first: a finished epoch reads before the progress line of the next one.
      if (isTrainingOperation(op)) await pullMetrics(terminal);
      renderer.update(op);
      if (terminal) {
        renderer.finish();
        return { kind: 'finished', operation: op, metrics };
      }
      await sleep(pollIntervalMs);
      if (interrupts === 0) continue;

      interrupts = 0;
      if (cancelRequested) {
        renderer.finish();
        return { kind: 'detached', operation: op };
      }
      let cancel = options.cancelOnInterrupt === true;
      if (!cancel && io.isTTY && io.prompt !== undefined) {
        renderer.clear();
        const answer = await io.prompt(`Cancel operation ${operationId}? [y/N] `);
        cancel = /^\s*y(es)?\s*$/i.test(answer);
      }
      if (!cancel) {
        renderer.finish();
        return { kind: 'detached', operation: op };
      }
      renderer.finish();
      io.stderr.write(`Cancelling ${operationId}…\n`);
      cancelRequested = true;
      try {
        await client.cancelOperation(operationId, CANCEL_REASON);
      } catch (err) {
        // 409: it finished meanwhile; the next poll shows how.
        if (!(err instanceof ApiError && err.status === 409)) throw err;
      }
    }
  } finally {
    wake?.();
    unsubscribe?.();
  }
}
