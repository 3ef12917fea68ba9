import { Command } from 'commander';
import { VERSION } from '../bin/version.js';
import { renderEnvHelp } from '../config/env-docs.js';
import { processCliIo, type CliIo } from './cli-io.js';
import { CommandContext } from './command-context.js';
import { registerBacktestCommands } from './commands/backtest-commands.js';
import { registerDataCommands } from './commands/data-commands.js';
import { registerHealthCommand } from './commands/health-command.js';
import { registerModelsCommands } from './commands/models-commands.js';
import { registerOperationsCommands } from './commands/operations-commands.js';
import { registerProcessCommands } from './commands/process-commands.js';
import { registerSweepCommands } from './commands/sweep-commands.js';
import { registerStrategiesCommands } from './commands/strategies-commands.js';
import { registerTrainingCommands } from './commands/training-commands.js';
import { registerWorkersCommands } from './commands/workers-commands.js';

const ENV_HELP = `${renderEnvHelp('cli')}

Exit status: 0 ok, 1 failure (including a followed operation that failed or was cancelled),
2 usage error, 130 when Ctrl+C stopped --follow and the operation keeps running.

Quick start:
  ktrdr data generate                  # sample EURUSD/GBPUSD data in ./data
  ktrdr up                             # backend + workers (leave it running)
  ktrdr backtest rsi_reversion_rules --start-date 2024-01-01 --end-date 2024-06-30 --follow
                                       # a rules strategy: no model needed
  ktrdr train rsi_macd_1h --start-date 2019-01-01 --end-date 2023-12-31 --follow
  ktrdr backtest rsi_macd_1h --start-date 2024-01-01 --end-date 2024-06-30 --follow
                                       # a neural strategy: train it first, then backtest its model
`;

/**
 * Builds the `ktrdr` command tree. Nothing runs until `parseAsync`; commander's usage errors and
 * `--help` throw a CommanderError (exitOverride) instead of exiting, so tests can drive it with a
 * fake {@link CliIo}.
 */
export function buildProgram(io: CliIo = processCliIo()): Command {
  const program = new Command('ktrdr');
  program
    .description('ktrdr: distributed backtesting and neuro-fuzzy model training (backend + workers) from the command line')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .version(VERSION, '-V, --version', 'print the ktrdr version')
    .exitOverride()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError('(add --help for usage)')
    .option('--url <url>', 'backend URL (default: $KTRDR_API_URL or http://localhost:8000)')
    .option('--token-file <path>', 'file whose first line is the API bearer token (default: $KTRDR_API_TOKEN)')
    .option('--token <token>', 'API bearer token; visible to other users in `ps`, prefer $KTRDR_API_TOKEN or --token-file')
    .option('--json', 'print machine-readable JSON (the API replies) instead of tables')
    .addHelpText('after', ENV_HELP);

  const ctx = new CommandContext(io);
  registerBacktestCommands(program, ctx);
  registerTrainingCommands(program, ctx);
  registerSweepCommands(program, ctx);
  registerModelsCommands(program, ctx);
  registerOperationsCommands(program, ctx);
  registerWorkersCommands(program, ctx);
  registerHealthCommand(program, ctx);
  registerDataCommands(program, ctx);
  registerStrategiesCommands(program, ctx);
  registerProcessCommands(program);
  return program;
}
