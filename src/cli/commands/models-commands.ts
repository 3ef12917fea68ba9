import type { Command } from 'commander';
import { resolve } from 'node:path';
import type { OperationSummary } from '../../contracts/index.js';
import { CliError, EXIT_USAGE } from '../cli-error.js';
import type { CommandContext } from '../command-context.js';
import { formatFixed, formatPercent } from '../format.js';
import { findModel, listModels, testMetricsOf, type ModelEntry } from '../model-catalog.js';
import { formatKeyValues, formatTable, type TableColumn } from '../table.js';

const DIR_HELP = 'models directory (default: $KTRDR_MODELS_DIR or ./models)';

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
const list = (v: unknown) => (Array.isArray(v) ? v.join(',') : undefined);
const windowOf = (m: ModelEntry) => (m.metadata['start_date'] || m.metadata['end_date'] ? `${text(m.metadata['start_date']) ?? '…'} → ${text(m.metadata['end_date']) ?? '…'}` : 'all data');

const columns: TableColumn<ModelEntry>[] = [
  { header: 'MODEL', value: (m) => `${m.id}${m.latest ? ' *' : ''}` },
  { header: 'SYMBOLS', value: (m) => list(m.metadata['symbols']) },
  { header: 'TRAINED ON', value: windowOf },
  { header: 'TEST ACC', value: (m) => formatPercent(testMetricsOf(m)['accuracy']), align: 'right' },
  { header: 'BAL ACC', value: (m) => formatPercent(testMetricsOf(m)['balanced_accuracy']), align: 'right' },
  { header: 'KAPPA', value: (m) => formatFixed(testMetricsOf(m)['cohen_kappa'], 3), align: 'right' },
  { header: 'CREATED', value: (m) => text(m.metadata['created_at'])?.slice(0, 16).replace('T', ' ') },
];

/** Backtests whose recorded model_path is this bundle (best effort: the backend may be down). */
async function backtestsUsing(ctx: CommandContext, command: Command, entry: ModelEntry): Promise<OperationSummary[] | string> {
  try {
    const ops = await ctx.client(command).listOperations({ operationType: 'backtesting', limit: 1000 });
    return ops.data.filter((op) => {
      const mp = (op.metadata.parameters as Record<string, unknown> | undefined)?.['model_path'];
      return typeof mp === 'string' && (resolve(mp) === entry.path || mp.replace(/\/+$/, '').endsWith(entry.id));
    });
  } catch (err) {
    return `backend not reachable (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** `ktrdr models list` and `ktrdr models show MODEL`: the saved model versions, read from the models directory. */
export function registerModelsCommands(program: Command, ctx: CommandContext): void {
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models');
  models.description('train neuro-fuzzy models on training workers; list and inspect the saved versions');
  const dir = (o: { modelsDir?: string }) => ctx.modelsDir(o.modelsDir);

  models
    .command('list')
    .description('saved model versions: training window, test metrics (* = the latest of its timeframe)')
    .option('--models-dir <dir>', DIR_HELP)
    .action((o: { modelsDir?: string }, command: Command) => {
      const modelsDir = dir(o);
      const entries = listModels(modelsDir);
      if (ctx.isJson(command)) return ctx.printJson({ models_dir: modelsDir, models: entries });
      ctx.print(formatTable(entries, columns, { emptyText: `No models in ${modelsDir}. Train one with \`ktrdr models train --strategy NAME\`.` }));
    });

  models
    .command('show')
    .description('one model version: training window and data, test-set evaluation, and the backtests that used it')
    .argument('<model>', 'STRATEGY/TIMEFRAME_vN, STRATEGY/TIMEFRAME or STRATEGY (latest), or a bundle path')
    .option('--models-dir <dir>', DIR_HELP)
    .addHelpText('after', '\nExample:\n  ktrdr models show rsi_macd_1h/1h_v2')
    .action(async (ref: string, o: { modelsDir?: string }, command: Command) => {
      const modelsDir = dir(o);
      const entry = findModel(listModels(modelsDir), ref, modelsDir);
      if (entry === undefined) throw new CliError(`no model '${ref}' in ${modelsDir} (see \`ktrdr models list\`)`, EXIT_USAGE);
      const used = await backtestsUsing(ctx, command, entry);
      if (ctx.isJson(command)) return ctx.printJson({ ...entry, backtests: used });
      const t = testMetricsOf(entry);
      const majority = t['train_majority'] as Record<string, unknown> | null | undefined;
      ctx.print(
        formatKeyValues([
          ['Model', `${entry.id}${entry.latest ? ' (latest)' : ''}`],
          ['Path', entry.path],
          ['Symbols', list(entry.metadata['symbols'])],
          ['Timeframes', list(entry.metadata['timeframes'])],
          ['Trained on', windowOf(entry)],
          ['Created', text(entry.metadata['created_at'])],
          ['Backend', text(entry.metadata['backend'])],
          ['Seed', entry.metrics?.['seed'] === undefined ? undefined : String(entry.metrics['seed'])],
          ['Epochs', entry.metrics?.['epochs_run'] === undefined ? undefined : `${String(entry.metrics['epochs_run'])} (best ${String(entry.metrics['best_epoch'])})`],
          ['Test accuracy', formatPercent(t['accuracy'])],
          ['Balanced accuracy', t['balanced_accuracy'] === undefined ? undefined : `${formatPercent(t['balanced_accuracy'])} (chance 33.33%)`],
          ['Macro-F1', formatFixed(t['macro_f1'], 3)],
          ["Cohen's kappa", formatFixed(t['cohen_kappa'], 3)],
          ['Train-majority baseline', majority ? `always ${String(majority['class'])}: ${formatPercent(majority['accuracy'])}` : undefined],
          ['Data hash', text(entry.metadata['data_hash'])],
        ]),
      );
      if (typeof used === 'string') ctx.print(`Backtests: ${used}`);
      else if (used.length === 0) ctx.print('Backtests: none recorded by the backend');
      else {
        ctx.print(`Backtests using it (${used.length}):`);
        ctx.print(
          formatTable(used, [
            { header: 'OPERATION', value: (op) => op.operation_id },
            { header: 'STATUS', value: (op) => op.status },
            { header: 'SYMBOL', value: (op) => op.metadata.symbol ?? undefined },
            { header: 'WINDOW', value: (op) => `${op.metadata.start_date ?? '…'} → ${op.metadata.end_date ?? '…'}` },
          ]),
        );
      }
    });
}
