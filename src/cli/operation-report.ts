import type { MetricRecord, Operation, OperationSummary } from '../contracts/index.js';
import { asNumber, formatAmount, formatCount, formatFixed, formatPercent } from './format.js';
import { formatBacktestContext, formatModelEvaluation, MODEL_EVALUATION_KEYS } from './research-report.js';
import { formatKeyValues, formatTable, type TableColumn } from './table.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows a dotted path through nested objects. */
function pick(root: unknown, path: string): unknown {
  let v: unknown = root;
  for (const key of path.split('.')) {
    if (!isRecord(v)) return undefined;
    v = v[key];
  }
  return v;
}

/** The first of several paths that holds a finite number. */
function firstNumber(root: unknown, paths: readonly string[]): number | undefined {
  for (const p of paths) {
    const n = asNumber(pick(root, p));
    if (n !== undefined) return n;
  }
  return undefined;
}

/** True for training operations (their progress comes with per-epoch metrics). */
export function isTrainingOperation(op: Pick<OperationSummary, 'operation_type'>): boolean {
  return /train/i.test(op.operation_type);
}

/** True for backtest operations. */
export function isBacktestOperation(op: Pick<OperationSummary, 'operation_type'>): boolean {
  return /backtest/i.test(op.operation_type);
}

/** An accuracy as a percentage; values above 1 are taken as already being percentages. */
function accuracyText(value: unknown): string | undefined {
  const n = asNumber(value);
  if (n === undefined) return undefined;
  return n > 1 ? `${n.toFixed(2)}%` : formatPercent(n);
}

/** `strategy` (or `strategy/1h_v3` with a model), `EURUSD 1h, 2024-01-01 → 2024-06-30`, from the operation's metadata. */
export function describeOperationSubject(op: Pick<OperationSummary, 'metadata'>): string {
  const md = op.metadata;
  const strategy = pick(md, 'parameters.strategy_name');
  const model = pick(md, 'parameters.model_version');
  const parts: string[] = [];
  // The model version (strategy/tf_vN) already names the strategy.
  if (typeof model === 'string') parts.push(model);
  else if (typeof strategy === 'string') parts.push(strategy);
  const market = [md.symbol, md.timeframe].filter((x): x is string => typeof x === 'string' && x !== '').join(' ');
  if (market) parts.push(market);
  if (md.start_date || md.end_date) parts.push(`${md.start_date ?? '…'} → ${md.end_date ?? '…'}`);
  return parts.join(', ');
}

/** The backtest metrics block of a result summary (`{metrics: {...}}`, or a flat object of metrics). */
export function backtestMetricsOf(result: unknown): Json | undefined {
  if (isRecord(result) && isRecord(result['metrics'])) return result['metrics'];
  if (isRecord(result) && ('total_return_pct' in result || 'sharpe_ratio' in result)) return result;
  return undefined;
}

/**
 * The backtest metrics as `[label, value]` rows. Fractions (`*_pct`, win rate, annualized return)
 * are shown as percentages; rows whose metric is missing are left out.
 */
export function backtestMetricRows(result: unknown): Array<[string, string]> {
  const m = backtestMetricsOf(result) ?? {};
  const withPair = (a: string | undefined, b: string | undefined): string | undefined =>
    a === undefined ? b : b === undefined ? a : `${a} (${b})`;
  const wins = asNumber(m['winning_trades']);
  const total = asNumber(m['total_trades']) ?? asNumber(pick(result, 'trade_count'));
  const rows: Array<[string, string | undefined]> = [
    ['Total return', withPair(formatPercent(m['total_return_pct']), formatAmount(m['total_return']))],
    ['Annualized return', formatPercent(m['annualized_return'])],
    ['Sharpe ratio', formatFixed(m['sharpe_ratio'])],
    ['Sortino ratio', formatFixed(m['sortino_ratio'])],
    ['Max drawdown', withPair(formatPercent(m['max_drawdown_pct']), formatAmount(m['max_drawdown']))],
    ['Win rate', withPair(formatPercent(m['win_rate']), wins !== undefined && total !== undefined ? `${wins}/${total}` : undefined)],
    ['Profit factor', formatFixed(m['profit_factor'])],
    ['Trades', formatCount(total)],
    ['Fees', formatAmount(m['total_fees'])],
    ['Buy & hold return', formatPercent(m['buy_and_hold_return_pct'])],
    ['Exposure', formatPercent(m['exposure_pct'])],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== undefined);
}

const metricColumns: TableColumn<[string, string]>[] = [
  { header: 'Metric', value: (r) => r[0] },
  { header: 'Value', value: (r) => r[1] },
];

/** The backtest metrics table of a result (summary or full result); '' when it has no metrics. */
export function formatBacktestMetricsTable(result: unknown): string {
  const rows = backtestMetricRows(result);
  return rows.length === 0 ? '' : formatTable(rows, metricColumns);
}

/** `Warning: …` lines for the result's `warnings` (e.g. dates past the end of the data); '' when none. */
export function formatResultWarnings(result: unknown): string {
  const warnings = pick(result, 'warnings');
  if (!Array.isArray(warnings)) return '';
  return warnings.filter((w): w is string => typeof w === 'string' && w !== '').map((w) => `Warning: ${w}\n`).join('');
}

/** `Data: 2024-01-01 00:00 → 2024-12-31 23:00 UTC`: the bars the result covers, or '' when unknown. */
function dataRangeLine(result: unknown): string {
  const first = pick(result, 'data_range.first_bar');
  const last = pick(result, 'data_range.last_bar');
  if (typeof first !== 'string' || typeof last !== 'string') return '';
  const short = (iso: string) => iso.replace('T', ' ').replace(/:00(\.\d+)?Z$/, '');
  return `Data: ${short(first)} → ${short(last)} UTC\n`;
}

/**
 * The completion report of a backtest: a heading, the bars it covered, any warning (dates past
 * the end of the data) and the metrics table.
 */
export function formatBacktestReport(op: Operation): string {
  const subject = describeOperationSubject(op);
  const table = formatBacktestMetricsTable(op.result_summary);
  const head = `Backtest ${op.operation_id} completed${subject ? ` (${subject})` : ''}\n` + dataRangeLine(op.result_summary) + formatResultWarnings(op.result_summary);
  if (table === '') return `${head}(the result has no metrics; see \`ktrdr operations results ${op.operation_id}\`)\n`;
  return `${head}\n${table}${formatBacktestContext(op.result_summary)}`;
}

const EPOCH_KEYS = ['epoch', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'learning_rate', 'duration_s'];

/** One epoch as a log line: `Epoch 3: train_loss=0.6931 train_acc=52.30% val_loss=… lr=0.001 (1.2s)`; unknown numeric keys are kept. */
export function formatEpochLine(record: MetricRecord): string {
  const parts: string[] = [];
  const add = (label: string, text: string | undefined) => {
    if (text !== undefined) parts.push(`${label}=${text}`);
  };
  add('train_loss', formatFixed(record['train_loss'], 4));
  add('train_acc', accuracyText(record['train_accuracy']));
  add('val_loss', formatFixed(record['val_loss'], 4));
  add('val_acc', accuracyText(record['val_accuracy']));
  const lr = asNumber(record['learning_rate']);
  if (lr !== undefined) add('lr', String(+lr.toPrecision(3)));
  for (const [k, v] of Object.entries(record)) {
    const n = asNumber(v);
    if (!EPOCH_KEYS.includes(k) && n !== undefined) add(k, String(+n.toPrecision(6)));
  }
  const duration = asNumber(record['duration_s']);
  const epoch = record['epoch'];
  const label = typeof epoch === 'number' || typeof epoch === 'string' ? `Epoch ${epoch}` : 'Epoch';
  return `${label}: ${parts.join(' ')}${duration !== undefined ? ` (${duration.toFixed(1)}s)` : ''}`;
}

const epochColumns: TableColumn<MetricRecord>[] = [
  { header: 'Epoch', value: (r) => (typeof r['epoch'] === 'number' || typeof r['epoch'] === 'string' ? r['epoch'] : undefined), align: 'right' },
  { header: 'Train loss', value: (r) => formatFixed(r['train_loss'], 4), align: 'right' },
  { header: 'Train acc', value: (r) => accuracyText(r['train_accuracy']), align: 'right' },
  { header: 'Val loss', value: (r) => formatFixed(r['val_loss'], 4), align: 'right' },
  { header: 'Val acc', value: (r) => accuracyText(r['val_accuracy']), align: 'right' },
  { header: 'LR', value: (r) => (asNumber(r['learning_rate']) === undefined ? undefined : String(+(r['learning_rate'] as number).toPrecision(3))), align: 'right' },
  { header: 'Time', value: (r) => (asNumber(r['duration_s']) === undefined ? undefined : `${(r['duration_s'] as number).toFixed(1)}s`), align: 'right' },
];

/** The per-epoch table of a training run. */
export function formatEpochTable(records: readonly MetricRecord[]): string {
  return formatTable(records, epochColumns, { emptyText: '(no epoch metrics recorded)' });
}

/** Epoch records kept in a training result summary, for when the metrics endpoint had none. */
function historyOf(result: unknown): MetricRecord[] {
  for (const path of ['history', 'metrics.history', 'training_metrics.history']) {
    const h = pick(result, path);
    if (Array.isArray(h) && h.every(isRecord)) return h;
  }
  return [];
}

function primitiveText(v: unknown): string | undefined {
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  const n = asNumber(v);
  return n === undefined ? undefined : String(+n.toPrecision(6));
}

/**
 * A summary field as short text: primitives as is, a list of primitives joined with `, `, a flat
 * object as `key value, …`; undefined (left out) for null and anything nested deeper.
 */
function scalarText(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    const parts = v.map(primitiveText);
    return parts.length > 0 && parts.every((p) => p !== undefined) ? parts.join(', ') : undefined;
  }
  if (isRecord(v)) {
    const parts = Object.entries(v).map(([k, x]) => [k, primitiveText(x)] as const);
    return parts.length > 0 && parts.every(([, p]) => p !== undefined) ? parts.map(([k, p]) => `${k} ${p}`).join(', ') : undefined;
  }
  return primitiveText(v);
}

const SHOWN_TRAINING_KEYS = new Set(['model_path', 'test_accuracy', 'baseline_accuracy', 'data_range', 'warnings']);

/**
 * The completion report of a training run: the epoch table (from the metrics endpoint, else the
 * summary's history), test accuracy against the majority-class baseline, the model path, then any
 * other scalar fields of the summary (its shape varies with the trainer).
 */
export function formatTrainingReport(op: Operation, epochs: readonly MetricRecord[]): string {
  const rs = op.result_summary ?? {};
  const subject = describeOperationSubject(op);
  const records = epochs.length > 0 ? epochs : historyOf(rs);
  let out = `Training ${op.operation_id} completed${subject ? ` (${subject})` : ''}\n` + dataRangeLine(rs) + formatResultWarnings(rs) + '\n';
  if (records.length > 0) out += `${formatEpochTable(records)}\n`;
  const accuracy = firstNumber(rs, ['test_accuracy', 'test_metrics.accuracy', 'test.accuracy', 'metrics.test.accuracy']);
  const baseline = firstNumber(rs, ['baseline_accuracy', 'test_metrics.baseline_accuracy', 'test.baseline_accuracy', 'metrics.test.baseline_accuracy']);
  const pairs: Array<[string, string | undefined]> = [];
  if (accuracy !== undefined) {
    let text = accuracyText(accuracy) as string;
    if (baseline !== undefined) {
      const scale = accuracy > 1 || baseline > 1 ? 1 : 100;
      const delta = (accuracy - baseline) * scale;
      text += ` (baseline ${accuracyText(baseline)}, ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} pts)`;
    }
    pairs.push(['Test accuracy', text]);
  } else if (baseline !== undefined) {
    pairs.push(['Baseline accuracy', accuracyText(baseline)]);
  }
  const modelPath = rs['model_path'];
  if (typeof modelPath === 'string') pairs.push(['Model', modelPath]);
  for (const [k, v] of Object.entries(rs)) {
    if (!SHOWN_TRAINING_KEYS.has(k) && !MODEL_EVALUATION_KEYS.has(k)) pairs.push([k, scalarText(v)]);
  }
  return out + formatKeyValues(pairs) + formatModelEvaluation(rs);
}

/** Report of any other completed operation: its scalar result fields. */
export function formatGenericReport(op: Operation): string {
  const rs = op.result_summary ?? {};
  const pairs = Object.entries(rs).map(([k, v]) => [k, scalarText(v)] as [string, string | undefined]);
  return `Operation ${op.operation_id} (${op.operation_type}) completed\n${formatKeyValues(pairs)}`;
}

/** The completion report for an operation of any type. */
export function formatCompletionReport(op: Operation, epochs: readonly MetricRecord[] = []): string {
  if (isTrainingOperation(op)) return formatTrainingReport(op, epochs);
  if (isBacktestOperation(op) || backtestMetricsOf(op.result_summary) !== undefined) return formatBacktestReport(op);
  return formatGenericReport(op);
}
