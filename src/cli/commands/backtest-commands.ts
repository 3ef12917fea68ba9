import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { SubmitResponse } from '../../contracts/index.js';
import type { BacktestStartBody } from '../../contracts/index.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { followAndReport } from '../follow-and-report.js';
import { parseDate, parseNonNegativeNumber, parseNumber, parseSymbol } from '../option-parsers.js';

interface BacktestOptions {
  strategy?: string;
  model?: string;
  symbol?: string;
  timeframe?: string;
  startDate: string;
  endDate: string;
  capital?: number;
  commission?: number;
  slippage?: number;
  fee?: number;
  allowShort?: boolean;
  onOppositeSignal?: 'close' | 'reverse';
  positionSize?: number;
  positionUnits?: number;
  minSignalSeparation?: string;
  follow?: boolean;
  cancelOnInterrupt?: boolean;
}

/** The options `backtests start` and `backtest` share. */
function addBacktestOptions(command: Command): Command {
  return command
    .option('--model <path>', 'trained model to use: STRATEGY/TIMEFRAME_vN under the models directory, or a path (default: the latest model of the strategy)')
    .option('--symbol <symbol>', "symbol to backtest, e.g. EURUSD (default: the strategy's first symbol)", parseSymbol)
    .option('--timeframe <timeframe>', "bar timeframe, e.g. 1h (default: the strategy's base timeframe)")
    .requiredOption('--start-date <date>', 'first day of the backtest (YYYY-MM-DD)', parseDate)
    .requiredOption('--end-date <date>', 'last day of the backtest (YYYY-MM-DD)', parseDate)
    .addOption(new Option('--capital <amount>', 'initial capital (backend default: 100000)').argParser(parseNumber))
    .addOption(new Option('--commission <rate>', 'commission per trade as a fraction of the notional, e.g. 0.001').argParser(parseNonNegativeNumber))
    .addOption(new Option('--slippage <rate>', 'slippage as a fraction of the price, e.g. 0.0005').argParser(parseNonNegativeNumber))
    .addOption(new Option('--fee <amount>', 'fixed fee per fill, in account currency').argParser(parseNonNegativeNumber))
    .option('--allow-short', "let SELL open shorts (default: the strategy's trading.allow_short, false)")
    .addOption(new Option('--on-opposite-signal <action>', "what an opposite signal does (default: the strategy's, close)").choices(['close', 'reverse']))
    .addOption(new Option('--position-size <fraction>', 'fraction of equity per position, in (0, 1]').argParser(parseNumber))
    .addOption(new Option('--position-units <units>', 'fixed units per position').argParser(parseNumber))
    .option('--min-signal-separation <bars|duration>', "bars (6) or time since the last fill (4h) between signals")
    .option('--follow', 'follow progress until the backtest ends, then print its metrics')
    .option('--cancel-on-interrupt', 'with --follow: Ctrl+C cancels the backtest without asking');
}

/**
 * A strategy argument that is a local YAML file (`./my.yaml`, `../x/s.yml`, an absolute path) is
 * read here and uploaded as `strategy_yaml`, so it works from any directory whatever the backend's
 * strategies directory. A bare name is left to the backend.
 */
function readLocalStrategyFile(arg: string): string | undefined {
  if (!/\.ya?ml$/i.test(arg) && !arg.includes('/')) return undefined;
  if (!existsSync(arg)) {
    if (/\.ya?ml$/i.test(arg)) throw new CliError(`strategy file '${arg}' not found`, EXIT_USAGE);
    return undefined; // e.g. a model path like strategy/1h_v3 is resolved by the backend
  }
  return readFileSync(arg, 'utf8');
}

/** `strategy_name` from `--model strategy/1h_v3`: models live in `{modelsDir}/{strategy}/{timeframe}_v{N}`. */
function strategyFromModel(model: string): string | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/[0-9]+[mhdwM]_v\d+\/?$/.exec(model.trim());
  return m?.[1];
}

function toRequest(strategy: string | undefined, o: BacktestOptions): BacktestStartBody {
  const name = strategy ?? (o.model !== undefined ? strategyFromModel(o.model) : undefined);
  if (name === undefined) {
    throw new CliError('a strategy is required: --strategy NAME (or --model STRATEGY/TIMEFRAME_vN)', EXIT_USAGE);
  }
  const yaml = readLocalStrategyFile(name);
  const request: BacktestStartBody = {
    ...(yaml === undefined ? { strategy_name: name } : { strategy_yaml: yaml }),
    start_date: o.startDate,
    end_date: o.endDate,
  };
  if (o.fee !== undefined) request.fee_per_trade = o.fee;
  if (o.allowShort !== undefined) request.allow_short = o.allowShort;
  if (o.onOppositeSignal !== undefined) request.on_opposite_signal = o.onOppositeSignal;
  if (o.positionSize !== undefined) request.position_size = o.positionSize;
  if (o.positionUnits !== undefined) request.position_units = o.positionUnits;
  if (o.minSignalSeparation !== undefined) {
    request.min_signal_separation = /^[0-9]+$/.test(o.minSignalSeparation) ? Number(o.minSignalSeparation) : o.minSignalSeparation;
  }
  if (o.symbol !== undefined) request.symbol = o.symbol;
  if (o.timeframe !== undefined) request.timeframe = o.timeframe;
  if (o.capital !== undefined) request.initial_capital = o.capital;
  if (o.commission !== undefined) request.commission = o.commission;
  if (o.slippage !== undefined) request.slippage = o.slippage;
  if (o.model !== undefined) request.model_path = o.model;
  return request;
}

/** Prints what a start request returned; with `--follow`, follows it to the end. */
export async function reportStart(
  ctx: CommandContext,
  command: Command,
  kind: string,
  started: SubmitResponse,
  follow: { follow?: boolean; cancelOnInterrupt?: boolean },
): Promise<void> {
  const json = ctx.isJson(command);
  const where =
    started.status === 'queued'
      ? `Queued ${kind} ${started.operation_id} at position ${started.queue_position ?? '?'}${started.status_detail ? ` (${started.status_detail})` : ''}`
      : `Started ${kind} ${started.operation_id} on worker ${started.worker_id}`;
  if (follow.follow === true) {
    if (!json) ctx.print(where);
    await followAndReport(ctx, command, started.operation_id, { cancelOnInterrupt: follow.cancelOnInterrupt });
    return;
  }
  if (json) {
    ctx.printJson(started);
    return;
  }
  ctx.print(`${where}\nFollow it with: ktrdr operations follow ${started.operation_id}`);
}

async function startBacktest(ctx: CommandContext, command: Command, strategy: string | undefined, options: BacktestOptions) {
  const request = toRequest(strategy, options);
  const started = await ctx.client(command).startBacktest(request);
  await reportStart(ctx, command, 'backtest', started, options);
}

/** `ktrdr backtests start …` and the short form `ktrdr backtest STRATEGY …`. */
export function registerBacktestCommands(program: Command, ctx: CommandContext): void {
  const backtests = program.command('backtests').description('run backtests on backtesting workers');
  addBacktestOptions(
    backtests
      .command('start')
      .description('start a backtest of a strategy (or a trained model) over a date range')
      .option('--strategy <name>', 'strategy name (a file in the strategies directory)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ktrdr backtests start --strategy rsi_macd_1h --symbol EURUSD --timeframe 1h \\\n' +
        '      --start-date 2024-01-01 --end-date 2024-06-30 --follow\n' +
        '  ktrdr backtests start --model rsi_macd_1h/1h_v2 --start-date 2024-01-01 --end-date 2024-12-31',
    )
    .action(async (options: BacktestOptions, command: Command) => {
      await startBacktest(ctx, command, options.strategy, options);
    });

  addBacktestOptions(
    program
      .command('backtest')
      .description('short form of `backtests start`: ktrdr backtest STRATEGY --start-date … --end-date …')
      .argument('<strategy>', 'strategy name, or a local YAML file (uploaded, so it works from any directory)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ktrdr backtest rsi_reversion_rules --start-date 2024-01-01 --end-date 2024-06-30 --follow\n' +
        '  ktrdr backtest rsi_macd_1h --start-date 2024-01-01 --end-date 2024-06-30 --follow   # after: ktrdr train rsi_macd_1h\n' +
        '  ktrdr backtest ./my_strategy.yaml --start-date 2024-01-01 --end-date 2024-06-30 --allow-short --follow',
    )
    .action(async (strategy: string, options: BacktestOptions, command: Command) => {
      await startBacktest(ctx, command, strategy, options);
    });
}
