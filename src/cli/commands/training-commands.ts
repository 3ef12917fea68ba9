import type { Command } from 'commander';
import type { TrainingStartRequest } from '../../contracts/index.js';
import type { CommandContext } from '../command-context.js';
import { collectList, collectSymbols, parseDate } from '../option-parsers.js';
import { reportStart } from './backtest-commands.js';

interface TrainOptions {
  strategy?: string;
  symbols?: string[];
  timeframes?: string[];
  startDate?: string;
  endDate?: string;
  preferGpu?: boolean;
  requireGpu?: boolean;
  force?: boolean;
  follow?: boolean;
  cancelOnInterrupt?: boolean;
}

function addTrainOptions(command: Command): Command {
  return command
    .option('--symbol, --symbols <list>', "symbols to train on, comma-separated or repeated (default: the strategy's)", collectSymbols)
    .option('--timeframe, --timeframes <list>', "timeframes, comma-separated or repeated (default: the strategy's)", collectList)
    .option('--start-date <date>', 'first day of the training data (YYYY-MM-DD)', parseDate)
    .option('--end-date <date>', 'last day of the training data (YYYY-MM-DD)', parseDate)
    .option('--prefer-gpu', 'prefer a GPU worker, fall back to CPU (the backend default)')
    .option('--no-prefer-gpu', 'do not prefer GPU workers')
    .option('--require-gpu', 'only run on a GPU worker (fails with 503 when none is free)')
    .option('--force', "train a rules-mode strategy anyway (its backtests use its rules, not the model)")
    .option('--follow', 'follow progress and print each epoch until training ends')
    .option('--cancel-on-interrupt', 'with --follow: Ctrl+C cancels the training without asking');
}

async function startTraining(ctx: CommandContext, command: Command, strategy: string, o: TrainOptions) {
  const request: TrainingStartRequest = { strategy_name: strategy };
  if (o.symbols !== undefined) request.symbols = o.symbols;
  if (o.timeframes !== undefined) request.timeframes = o.timeframes;
  if (o.startDate !== undefined) request.start_date = o.startDate;
  if (o.endDate !== undefined) request.end_date = o.endDate;
  if (o.preferGpu !== undefined) request.prefer_gpu = o.preferGpu;
  if (o.requireGpu === true) request.require_gpu = true;
  if (o.force === true) request.force = true;
  const started = await ctx.client(command).startTraining(request);
  await reportStart(ctx, command, 'training', started, o);
}

/** `ktrdr models train …` and the short form `ktrdr train STRATEGY …`. */
export function registerTrainingCommands(program: Command, ctx: CommandContext): void {
  const models = program.command('models').description('train neuro-fuzzy models on training workers');
  addTrainOptions(
    models
      .command('train')
      .description("train a strategy's model (GPU workers first, CPU workers as fallback)")
      .requiredOption('--strategy <name>', 'strategy name (a file in the strategies directory)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ktrdr models train --strategy rsi_macd_1h --follow\n' +
        '  ktrdr models train --strategy mtf_trend_1h_4h --symbols EURUSD,GBPUSD --timeframes 1h,4h \\\n' +
        '      --start-date 2019-01-01 --end-date 2023-12-31 --require-gpu',
    )
    .action(async (options: TrainOptions & { strategy: string }, command: Command) => {
      await startTraining(ctx, command, options.strategy, options);
    });

  addTrainOptions(
    program
      .command('train')
      .description('short form of `models train`: ktrdr train STRATEGY')
      .argument('<strategy>', 'strategy name'),
  )
    .addHelpText('after', '\nExample:\n  ktrdr train rsi_macd_1h --follow')
    .action(async (strategy: string, options: TrainOptions, command: Command) => {
      await startTraining(ctx, command, strategy, options);
    });
}
