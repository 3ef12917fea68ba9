import type { Command } from 'commander';
import { featureNames } from '../../domain/strategy/feature-layout.js';
import { findStrategyFile, listStrategies, loadStrategy } from '../../domain/strategy/load-strategy.js';
import type { StrategyConfig } from '../../domain/strategy/strategy-config.js';
import { StrategyValidationError, type StrategyIssue } from '../../domain/strategy/strategy-validation-error.js';
import { CliError } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { formatKeyValues, formatTable, type TableColumn } from '../table.js';

interface StrategyRow {
  name: string;
  config?: StrategyConfig;
  issues?: readonly StrategyIssue[];
  error?: string;
}

const columns: TableColumn<StrategyRow>[] = [
  { header: 'NAME', value: (r) => r.name },
  { header: 'MODE', value: (r) => r.config?.decisions.mode ?? 'INVALID' },
  { header: 'SYMBOLS', value: (r) => r.config?.training_data.symbols.symbols.join(',') },
  { header: 'TIMEFRAMES', value: (r) => r.config?.training_data.timeframes.timeframes.join(',') },
  {
    header: 'DESCRIPTION',
    value: (r) =>
      r.config?.description ??
      (r.issues ? `${r.issues.length} issue(s): run \`ktrdr strategies validate ${r.name}\`` : r.error),
    maxWidth: 70,
    minWidth: 20,
  },
];

const DIR_HELP = 'strategies directory (default: $KTRDR_STRATEGIES_DIR or ./strategies)';

function loadRow(name: string, dir: string): StrategyRow {
  try {
    return { name, config: loadStrategy(name, dir) };
  } catch (err) {
    if (err instanceof StrategyValidationError) return { name, issues: err.issues };
    return { name, error: err instanceof Error ? err.message : String(err) };
  }
}

/** `ktrdr strategies list|validate` (local files, no backend needed). */
export function registerStrategiesCommands(program: Command, ctx: CommandContext): void {
  const strategies = program.command('strategies').description('strategy YAML files: list and validate');

  strategies
    .command('list', { isDefault: true })
    .description('list the strategies in the strategies directory (each is loaded and validated)')
    .option('--strategies-dir <dir>', DIR_HELP)
    .action((o: { strategiesDir?: string }, command: Command) => {
      const dir = ctx.strategiesDir(o.strategiesDir);
      const rows = listStrategies(dir).map((name) => loadRow(name, dir));
      if (ctx.isJson(command)) {
        return ctx.printJson({
          strategies_dir: dir,
          strategies: rows.map((r) => ({
            name: r.name,
            valid: r.config !== undefined,
            ...(r.config ? { description: r.config.description, mode: r.config.decisions.mode, symbols: r.config.training_data.symbols.symbols, timeframes: r.config.training_data.timeframes.timeframes } : {}),
            ...(r.issues ? { issues: r.issues } : {}),
            ...(r.error ? { error: r.error } : {}),
          })),
        });
      }
      ctx.print(formatTable(rows, columns, ctx.tableOptions({ emptyText: `No strategy files (*.yaml) in ${dir}.` })));
    });

  strategies
    .command('validate')
    .description('validate a strategy file (or name) and list every problem with its path in the document')
    .argument('<file>', 'a strategy file path, or a name from the strategies directory')
    .option('--strategies-dir <dir>', DIR_HELP)
    .addHelpText('after', '\nExamples:\n  ktrdr strategies validate strategies/rsi_macd_1h.yaml\n  ktrdr strategies validate rsi_macd_1h')
    .action((file: string, o: { strategiesDir?: string }, command: Command) => {
      const dir = ctx.strategiesDir(o.strategiesDir);
      const json = ctx.isJson(command);
      const path = findStrategyFile(file, dir) ?? file;
      let config: StrategyConfig;
      try {
        config = loadStrategy(file, dir);
      } catch (err) {
        if (!(err instanceof StrategyValidationError)) throw err;
        if (json) ctx.printJson({ valid: false, file: path, issues: err.issues });
        else {
          ctx.print(`${path}: ${err.issues.length} issue${err.issues.length === 1 ? '' : 's'}`);
          ctx.print(formatTable(err.issues, [
            { header: 'PATH', value: (i) => (i.path === '' ? '(document)' : i.path) },
            { header: 'PROBLEM', value: (i) => i.message },
          ]));
        }
        throw new CliError(`strategy ${path} is invalid (${err.issues.length} issue${err.issues.length === 1 ? '' : 's'})`);
      }
      const features = featureNames(config);
      if (json) return ctx.printJson({ valid: true, file: path, name: config.name, features: features.length, config });
      ctx.print(`✓ ${path} is a valid strategy\n`);
      ctx.print(
        formatKeyValues([
          ['Name', config.name],
          ['Description', config.description || undefined],
          ['Decisions', config.decisions.mode],
          ['Symbols', config.training_data.symbols.symbols.join(', ')],
          ['Timeframes', `${config.training_data.timeframes.timeframes.join(', ')} (base ${config.training_data.timeframes.base_timeframe})`],
          ['Indicators', Object.keys(config.indicators).join(', ')],
          ['Fuzzy sets', Object.keys(config.fuzzy_sets).join(', ')],
          ['Features', features.length],
        ]),
      );
    });
}
