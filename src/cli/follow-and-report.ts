import type { Command } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED } from './cli-error.js';
import type { CommandContext } from './command-context.js';
import { followOperation } from './follow.js';
import { formatCompletionReport, isTrainingOperation } from './operation-report.js';

/**
 * Follows an operation to its end and prints the outcome: the completion report (or, with
 * `--json`, `{success, data: operation, metrics?}`). A failed or cancelled operation, or Ctrl+C
 * without cancelling, ends in a {@link CliError}: exit 1 for failed/cancelled, 130 for detached.
 */
export async function followAndReport(
  ctx: CommandContext,
  command: Command,
  operationId: string,
  options: { cancelOnInterrupt?: boolean } = {},
): Promise<void> {
  const json = ctx.isJson(command);
  const outcome = await followOperation(ctx.client(command), operationId, {
    io: ctx.io,
    cancelOnInterrupt: options.cancelOnInterrupt,
    quiet: json,
  });
  if (outcome.kind === 'detached') {
    throw new CliError(
      `stopped following ${operationId}; it keeps running. Resume with: ktrdr operations follow ${operationId}`,
      EXIT_INTERRUPTED,
    );
  }
  const op = outcome.operation;
  if (json) {
    ctx.printJson(isTrainingOperation(op) ? { success: true, data: op, metrics: outcome.metrics } : { success: true, data: op });
  }
  if (op.status === 'completed') {
    if (!json) ctx.print(`\n${formatCompletionReport(op, outcome.metrics)}`);
    return;
  }
  if (op.status === 'failed') {
    throw new CliError(`operation ${operationId} failed: ${op.error_message ?? 'no error message recorded'}`, EXIT_FAILURE);
  }
  throw new CliError(`operation ${operationId} was cancelled${op.error_message ? `: ${op.error_message}` : ''}`, EXIT_FAILURE);
}
