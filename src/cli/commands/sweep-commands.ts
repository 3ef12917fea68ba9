import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { SweepRequest, SweepView } from '../../contracts/index.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { parseDate, parsePositiveInteger } from '../option-parsers.js';
import { formatSweepTable, writeSweepCsv } from '../sweep-report.js';

interface SweepOptions {
  grid: string[];
  symbol: string[];
  timeframe: string[];
  startDate: string;
  endDate: string;
  walkForward?: number;
  anchored?: boolean;
  capital?: number;
  priority?: number;
  follow?: boolean;
  csv?: string;
  sort?: string;
  order?: 'asc' | 'desc';
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `path=values` → [path, values]; the backend parses the values (a,b,c or start:stop:step). */
export function parseGridOption(arg: string): [string, string] {
  const i = arg.indexOf('=');
  if (i <= 0 || i === arg.length - 1) {
    throw new CliError(`--grid '${arg}': expected PATH=VALUES, e.g. decisions.confidence_threshold=0.4,0.5,0.6 or indicators.rsi_14.period=7:28:7`, EXIT_USAGE);
  }
  return [arg.slice(0, i).trim(), arg.slice(i + 1).trim()];
}

function strategyFields(arg: string): Pick<SweepRequest, 'strategy_name' | 'strategy_yaml'> {
  if (/\.ya?ml$/i.test(arg) || arg.includes('/')) {
    if (!existsSync(arg)) throw new CliError(`strategy file '${arg}' not found`, EXIT_USAGE);
    return { strategy_yaml: readFileSync(arg, 'utf8') };
  }
  return { strategy_name: arg };
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** `ktrdr sweep STRATEGY --grid …` and `ktrdr sweeps show ID`. */
export function registerSweepCommands(program: Command, ctx: CommandContext): void {
  const printTable = async (command: Command, sweepId: string, o: { sort?: string; order?: 'asc' | 'desc'; csv?: string }) => {
    const table = await ctx.client(command).getSweepTable(sweepId, o.sort, o.order);
    if (o.csv !== undefined) writeSweepCsv(o.csv, table.data);
    if (ctx.isJson(command)) return ctx.printJson(table);
    ctx.print(`Sweep ${sweepId}: ${ctx.status(table.data.status)}, ${table.data.rows.length} children`);
    ctx.print(formatSweepTable(table.data, ctx.tableOptions()));
    if (o.csv !== undefined) ctx.print(`Wrote ${o.csv}`);
  };

  program
    .command('sweep')
    .description('run one backtest per point of a parameter grid (and per walk-forward window), queued across the workers, then compare them')
    .argument('<strategy>', 'strategy name on the backend, or a local YAML file (uploaded)')
    .option('--grid <path=values>', 'a strategy YAML path and its values: a,b,c or start:stop:step (inclusive); repeat for more dimensions', collect, [])
    .option('--symbol <symbol>', 'symbol to test; repeat to sweep over symbols (default: the strategy\'s)', collect, [])
    .option('--timeframe <tf>', 'timeframe to test; repeat to sweep over timeframes (default: the strategy\'s)', collect, [])
    .requiredOption('--start-date <date>', 'first day (YYYY-MM-DD)', parseDate)
    .requiredOption('--end-date <date>', 'last day (YYYY-MM-DD)', parseDate)
    .option('--walk-forward <k>', 'split the range into k+1 windows and backtest windows 2..k+1 (neural: train on the window before)', parsePositiveInteger)
    .option('--anchored', 'with --walk-forward: train from the start date instead of on the previous window only')
    .addOption(new Option('--capital <amount>', 'initial capital of every child').argParser(Number))
    .addOption(new Option('--priority <n>', 'queue priority of every child (-100..100)').argParser(Number))
    .option('--follow', 'wait until every child has ended, then print the comparison table')
    .option('--csv <file>', 'with --follow: also write the table as CSV')
    .option('--sort <column>', 'with --follow: sort the table by this column, e.g. sharpe_ratio')
    .addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']))
    .addHelpText(
      'after',
      "\nExamples:\n  ktrdr sweep rsi_reversion_rules --grid 'decisions.confidence_threshold=0.4,0.5,0.6' \\\n      --grid 'indicators.rsi_14.period=7:28:7' --start-date 2024-01-01 --end-date 2024-06-30 --follow --sort sharpe_ratio\n  ktrdr sweep rsi_reversion_rules --walk-forward 4 --start-date 2023-01-01 --end-date 2024-06-30 --follow --csv wf.csv",
    )
    .action(async (strategy: string, o: SweepOptions, command: Command) => {
      if (o.csv !== undefined && !o.follow) throw new CliError('--csv needs --follow (or use `ktrdr sweeps show ID --csv FILE` later)', EXIT_USAGE);
      const request: SweepRequest = { ...strategyFields(strategy), start_date: o.startDate, end_date: o.endDate };
      if (o.grid.length > 0) request.grid = Object.fromEntries(o.grid.map(parseGridOption));
      if (o.symbol.length > 0) request.symbols = o.symbol;
      if (o.timeframe.length > 0) request.timeframes = o.timeframe;
      if (o.walkForward !== undefined) request.walk_forward = { windows: o.walkForward, mode: o.anchored ? 'anchored' : 'rolling' };
      else if (o.anchored) throw new CliError('--anchored needs --walk-forward K', EXIT_USAGE);
      if (o.capital !== undefined) request.initial_capital = o.capital;
      if (o.priority !== undefined) request.priority = o.priority;
      const client = ctx.client(command);
      const created = await client.startSweep(request);
      if (!o.follow) {
        if (ctx.isJson(command)) return ctx.printJson(created);
        ctx.print(`Sweep ${created.sweep_id}: ${created.children} backtests queued`);
        ctx.print(`Follow it with: ktrdr sweeps show ${created.sweep_id}`);
        return;
      }
      ctx.note(`Sweep ${created.sweep_id}: ${created.children} backtests queued`);
      const view = await followSweep(ctx, command, created.sweep_id);
      await printTable(command, created.sweep_id, o);
      if (view.data.sweep.status !== 'completed') {
        throw new CliError(`sweep ${created.sweep_id} ${view.data.sweep.status}${view.data.sweep.error_message ? `: ${view.data.sweep.error_message}` : ''}`, EXIT_FAILURE);
      }
    });

  const sweeps = program.command('sweeps').description('inspect parameter sweeps (cancel one with `ktrdr ops cancel SWEEP_ID`)');
  sweeps
    .command('show')
    .description("a sweep's comparison table: one row per child (parameters, return, Sharpe, max drawdown, trades, status)")
    .argument('<sweep-id>', 'sweep id (op_sweep_…)')
    .option('--sort <column>', 'sort by this column, e.g. sharpe_ratio or total_return_pct')
    .addOption(new Option('--order <order>', 'sort order (default desc)').choices(['asc', 'desc']))
    .option('--csv <file>', 'also write the table as CSV')
    .action(async (sweepId: string, o: { sort?: string; order?: 'asc' | 'desc'; csv?: string }, command: Command) => {
      if (!ctx.isJson(command)) {
        const view = await ctx.client(command).getSweep(sweepId);
        const s = view.data.sweep;
        if (!TERMINAL.has(s.status)) ctx.print(`Progress: ${s.progress.percentage.toFixed(1)}% (${s.progress.current_step ?? ''})`);
      }
      await printTable(command, sweepId, o);
    });
}

/** Polls the sweep until its parent ends, noting progress on stderr when it changes. */
async function followSweep(ctx: CommandContext, command: Command, sweepId: string): Promise<SweepView> {
  const client = ctx.client(command);
  const interval = ctx.io.pollIntervalMs ?? 750;
  let last = '';
  for (;;) {
    const view = await client.getSweep(sweepId);
    const s = view.data.sweep;
    const line = `${s.progress.percentage.toFixed(0)}% ${s.progress.current_step ?? ''}`;
    if (line !== last) ctx.note(`  ${line}`);
    last = line;
    if (TERMINAL.has(s.status)) return view;
    await new Promise((r) => setTimeout(r, interval));
  }
}
