import type { Command } from 'commander';
import type { Operation, OperationSummary } from '../../contracts/index.js';
import type { CommandContext } from '../command-context.js';
import { followAndReport } from '../follow-and-report.js';
import { formatTimestamp } from '../format.js';
import { describeOperationSubject, formatBacktestMetricsTable, formatCompletionReport } from '../operation-report.js';
import { parseCount, parseOperationStatus, parsePositiveInteger } from '../option-parsers.js';
import { describeProgress } from '../progress-renderer.js';
import { writeResultsCsv } from '../results-csv.js';
import { formatKeyValues, formatTable, type TableColumn } from '../table.js';

// On a narrow terminal TYPE goes first (the id starts with it), then CREATED (the id holds the
// time), WORKER and PROGRESS; SUBJECT is cut before that, the id elided only as a last resort.
const listColumns: TableColumn<OperationSummary>[] = [
  { header: 'ID', value: (o) => o.operation_id, minWidth: 24, elide: 'middle' },
  { header: 'TYPE', value: (o) => o.operation_type, dropRank: 1 },
  { header: 'STATUS', value: (o) => o.status, colorBy: (o) => o.status },
  { header: 'PROGRESS', value: (o) => `${(o.progress.percentage ?? 0).toFixed(1)}%`, align: 'right', dropRank: 4 },
  { header: 'WORKER', value: (o) => o.worker_id, dropRank: 3 },
  { header: 'CREATED', value: (o) => formatTimestamp(o.created_at), dropRank: 2 },
  { header: 'SUBJECT', value: (o) => describeOperationSubject(o), maxWidth: 60, minWidth: 20 },
];

/** The sweep a child belongs to: shown (as its last 8 characters) only when a listed op has one, dropped first on a narrow terminal. */
const sweepColumn: TableColumn<OperationSummary> = {
  header: 'SWEEP',
  value: (o) => {
    const id = o.metadata.parameters['sweep_id'];
    return typeof id === 'string' ? `…${id.slice(-8)}` : null;
  },
  dropRank: 0,
};

function columnsFor(ops: readonly OperationSummary[]): TableColumn<OperationSummary>[] {
  return ops.some((o) => typeof o.metadata.parameters['sweep_id'] === 'string') ? [...listColumns, sweepColumn] : listColumns;
}

/**
 * The detail view of one operation (`operations status`). A cancelled operation's message is the
 * reason it was cancelled, not an error.
 */
export function formatOperationDetails(op: Operation, status: (word: string) => string = (w) => w): string {
  return formatKeyValues([
    ['Operation', op.operation_id],
    ['Type', op.operation_type],
    ['Status', status(op.status)],
    ['Progress', describeProgress(op)],
    ['Queue position', op.status === 'queued' && op.queue_position ? String(op.queue_position) : undefined],
    ['Detail', op.status_detail ?? undefined],
    ['Worker', op.worker_id],
    ['Subject', describeOperationSubject(op) || undefined],
    ['Created', formatTimestamp(op.created_at)],
    ['Started', formatTimestamp(op.started_at)],
    ['Completed', formatTimestamp(op.completed_at)],
    [op.status === 'cancelled' ? 'Reason' : 'Error', op.error_message ?? undefined],
    [
      'Attempts',
      op.attempts && op.attempts.length > 0 ? op.attempts.map((a) => `${a.worker_id}: ${a.outcome}${a.detail ? ` (${a.detail})` : ''}`).join('; ') : undefined,
    ],
  ]);
}

interface ListOptions {
  status?: Operation['status'];
  type?: string;
  active?: boolean;
  limit?: number;
  offset?: number;
}

/** `ktrdr operations list|status|follow|cancel|results` (alias `ops`). */
export function registerOperationsCommands(program: Command, ctx: CommandContext): void {
  const ops = program.command('operations').alias('ops').description('list, inspect, follow and cancel operations');

  ops
    .command('list', { isDefault: true })
    .description('list operations, newest first')
    .option('--status <status>', 'only this status: queued, pending, running, completed, failed, cancelled', parseOperationStatus)
    .option('--type <type>', 'only this operation type, e.g. backtesting, training or sweep')
    .option('--active', 'only queued, pending and running operations')
    .option('--limit <n>', 'at most N operations (default 100)', parsePositiveInteger)
    .option('--offset <n>', 'skip the first N', parseCount)
    .addHelpText('after', '\nExamples:\n  ktrdr ops\n  ktrdr operations list --active\n  ktrdr operations list --status failed --type training --limit 10\n  ktrdr ops list --status queued')
    .action(async (o: ListOptions, command: Command) => {
      const list = await ctx.client(command).listOperations({
        status: o.status,
        operationType: o.type,
        activeOnly: o.active,
        limit: o.limit,
        offset: o.offset,
      });
      if (ctx.isJson(command)) return ctx.printJson(list);
      ctx.print(formatTable(list.data, columnsFor(list.data), ctx.tableOptions({ emptyText: 'No operations.' })));
      if (list.data.length > 0) {
        ctx.print(`${list.data.length} shown of ${list.total_count} (${list.active_count} active)`);
      }
    });

  ops
    .command('status')
    .description("show an operation's status, progress and (when completed) its result summary")
    .argument('<operation-id>', 'operation id, e.g. op_backtesting_20250101_120000_1a2b3c4d')
    .action(async (operationId: string, _o: unknown, command: Command) => {
      const reply = await ctx.client(command).getOperation(operationId);
      if (ctx.isJson(command)) return ctx.printJson(reply);
      const op = reply.data;
      ctx.print(formatOperationDetails(op, (w) => ctx.status(w)));
      if (op.status === 'completed' && op.result_summary !== null) ctx.print(`\n${formatCompletionReport(op)}`);
    });

  ops
    .command('follow')
    .description('follow a running operation until it ends (progress, epochs, final report)')
    .argument('<operation-id>', 'operation id')
    .option('--cancel-on-interrupt', 'Ctrl+C cancels the operation without asking')
    .action(async (operationId: string, o: { cancelOnInterrupt?: boolean }, command: Command) => {
      await followAndReport(ctx, command, operationId, { cancelOnInterrupt: o.cancelOnInterrupt });
    });

  ops
    .command('cancel')
    .description('cancel a pending or running operation')
    .argument('<operation-id>', 'operation id')
    .option('--reason <text>', 'why (kept with the operation)')
    .action(async (operationId: string, o: { reason?: string }, command: Command) => {
      const reply = await ctx.client(command).cancelOperation(operationId, o.reason);
      if (ctx.isJson(command)) return ctx.printJson(reply);
      ctx.print(`Operation ${reply.data.operation_id} is ${ctx.status(reply.data.status)}${reply.data.reason ? ` (${reply.data.reason})` : ''}`);
    });

  ops
    .command('results')
    .description('the result of a completed operation (all trades, the equity curve downsampled to 1,000 points, …); use --json to save it')
    .argument('<operation-id>', 'operation id')
    .option('--csv <dir>', 'write the trades and the full equity curve (every bar) of a backtest as trades.csv and equity.csv into DIR')
    .option('--full-equity', 'every bar of the equity curve instead of the downsampled one')
    .addHelpText('after', '\nExamples:\n  ktrdr --json operations results op_backtesting_20250101_120000_1a2b3c4d > result.json\n  ktrdr ops results op_backtesting_20250101_120000_1a2b3c4d --csv ./out')
    .action(async (operationId: string, o: { csv?: string; fullEquity?: boolean }, command: Command) => {
      const full = o.csv !== undefined || o.fullEquity === true;
      const reply = await ctx.client(command).getResults(operationId, full ? { equity: 'full' } : {});
      if (o.csv !== undefined) {
        const files = writeResultsCsv(o.csv, reply.data);
        if (ctx.isJson(command)) return ctx.printJson({ files });
        return ctx.print(`Wrote ${files.join(', ')}`);
      }
      if (ctx.isJson(command)) return ctx.printJson(reply);
      ctx.print(formatResults(operationId, reply.data));
    });
}

/** `N equity points (of M bars)` for a backtest's equity curve, '' for anything else. */
function equityPoints(curve: unknown): string {
  if (Array.isArray(curve)) return `${curve.length} equity points`;
  if (typeof curve !== 'object' || curve === null) return '';
  const c = curve as Record<string, unknown>;
  if (!Array.isArray(c['equity'])) return '';
  return typeof c['bars'] === 'number' && c['bars'] !== c['equity'].length
    ? `${c['equity'].length} equity points (of ${c['bars']} bars; --full-equity for all)`
    : `${c['equity'].length} equity points`;
}

/** Human view of a results artifact: the metrics table when it has backtest metrics, else its JSON. */
function formatResults(operationId: string, data: unknown): string {
  const table = formatBacktestMetricsTable(data);
  if (table === '') return JSON.stringify(data, null, 2);
  const d = data as Record<string, unknown>;
  const extra = [
    Array.isArray(d['trades']) ? `${d['trades'].length} trades` : '',
    equityPoints(d['equity_curve']),
  ].filter((s) => s !== '');
  return `Results of ${operationId}\n\n${table}${extra.length > 0 ? `\n${extra.join(', ')} in the full result (use --json to get them).\n` : ''}`;
}
