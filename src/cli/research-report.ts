// Report blocks for issue 10's honest evaluation: model-evaluation metrics of a training run and
// the costs, semantics, benchmarks and signal diagnostics of a backtest. Kept apart from
// operation-report.ts, which only calls in here.
import { asNumber, formatAmount, formatFixed, formatPercent } from './format.js';
import { formatKeyValues, formatTable, type TableColumn } from './table.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Summary keys of a training run that {@link formatModelEvaluation} shows itself. */
export const MODEL_EVALUATION_KEYS: ReadonlySet<string> = new Set([
  'test_balanced_accuracy', 'test_macro_f1', 'test_cohen_kappa', 'train_majority_class', 'train_majority_accuracy',
  'chance_accuracy', 'test_per_class', 'test_confusion_matrix', 'baseline_class',
]);

const LABELS = ['BUY', 'HOLD', 'SELL'];

/**
 * The test-set evaluation of a training summary: balanced accuracy, macro-F1 and kappa against
 * the training-majority and chance baselines, per-class precision/recall and the confusion
 * matrix. '' when the summary has none of it.
 */
export function formatModelEvaluation(rs: Json): string {
  const balanced = asNumber(rs['test_balanced_accuracy']);
  if (balanced === undefined) return '';
  const majorityClass = typeof rs['train_majority_class'] === 'string' ? rs['train_majority_class'] : undefined;
  const pairs: Array<[string, string | undefined]> = [
    ['Balanced accuracy', `${formatPercent(balanced)} (chance ${formatPercent(1 / 3)})`],
    ['Macro-F1', formatFixed(rs['test_macro_f1'], 3)],
    ["Cohen's kappa", formatFixed(rs['test_cohen_kappa'], 3) + ' (0 = chance, 1 = perfect)'],
    [
      'Train-majority baseline',
      majorityClass ? `always ${majorityClass}: accuracy ${formatPercent(rs['train_majority_accuracy'])}` : undefined,
    ],
    ['Chance accuracy', formatPercent(rs['chance_accuracy'])],
  ];
  let out = `\nTest-set evaluation\n${formatKeyValues(pairs)}`;
  const perClass = rs['test_per_class'];
  if (Array.isArray(perClass) && perClass.every(isRecord)) {
    const columns: TableColumn<Json>[] = [
      { header: 'Class', value: (r) => String(r['label']) },
      { header: 'Precision', value: (r) => formatPercent(r['precision']), align: 'right' },
      { header: 'Recall', value: (r) => formatPercent(r['recall']), align: 'right' },
      { header: 'F1', value: (r) => formatFixed(r['f1'], 3), align: 'right' },
      { header: 'Support', value: (r) => asNumber(r['support']), align: 'right' },
    ];
    out += `\n${formatTable(perClass, columns)}`;
  }
  const matrix = rs['test_confusion_matrix'];
  if (Array.isArray(matrix) && matrix.every(Array.isArray)) {
    const rows = (matrix as unknown[][]).map((row, i) => ({ label: LABELS[i] ?? String(i), row }));
    const columns: TableColumn<{ label: string; row: unknown[] }>[] = [
      { header: 'actual \\ predicted', value: (r) => r.label },
      ...LABELS.slice(0, rows.length).map((l, c): TableColumn<{ label: string; row: unknown[] }> => ({ header: l, value: (r) => asNumber(r.row[c]), align: 'right' })),
    ];
    out += `\n${formatTable(rows, columns)}`;
  }
  return out;
}

function sizeText(size: unknown): string | undefined {
  if (!isRecord(size)) return undefined;
  if (asNumber(size['fraction']) !== undefined) return `${formatPercent(size['fraction'])} of equity`;
  if (asNumber(size['units']) !== undefined) return `${size['units']} units`;
  return undefined;
}

function separationText(sep: unknown): string | undefined {
  if (!isRecord(sep)) return undefined;
  if (asNumber(sep['bars']) !== undefined) return `${sep['bars']} bars`;
  if (typeof sep['duration'] === 'string') return `${sep['duration']} since the last fill`;
  return undefined;
}

/**
 * Costs, position semantics, buy-and-hold benchmarks and signal diagnostics of a backtest
 * summary, as key-value blocks. '' when the summary has none of them (older results).
 */
export function formatBacktestContext(rs: unknown): string {
  if (!isRecord(rs)) return '';
  let out = '';
  const c = rs['costs'];
  const t = rs['trading'];
  if (isRecord(c) || isRecord(t)) {
    const costs = isRecord(c)
      ? [
          `commission ${formatFixed(c['commission_bps'], 2)} bps`,
          asNumber(c['slippage_bps']) ? `slippage ${formatFixed(c['slippage_bps'], 2)} bps` : undefined,
          asNumber(c['slippage_pips']) ? `slippage ${c['slippage_pips']} pip` : undefined,
          asNumber(c['fee_per_trade']) ? `fee ${formatAmount(c['fee_per_trade'])} per fill` : undefined,
        ].filter((x) => x !== undefined).join(', ') + ` per fill (${String(c['asset_class'])}${isRecord(c['sources']) && c['sources']['commission'] === 'default' ? ' defaults' : ''})`
      : undefined;
    const semantics = isRecord(t)
      ? `${t['allow_short'] === true ? 'long/short' : 'long-only'}, opposite signal ${String(t['on_opposite_signal'])}, size ${sizeText(t['position_size']) ?? '?'}, separation ${separationText(t['min_signal_separation']) ?? '?'}`
      : undefined;
    const model = isRecord(rs['model'])
      ? `${String(rs['model']['version'])}, trained on ${String(rs['model']['trained_from'] ?? '…')} → ${String(rs['model']['trained_to'] ?? 'the end of the data')}: this run is ${rs['model']['out_of_sample'] === true ? 'OUT of sample' : 'IN sample (overlaps the training data)'}`
      : undefined;
    out += `\n${formatKeyValues([['Costs', costs], ['Positions', semantics], ['Model', model]])}`;
  }
  const b = rs['benchmarks'];
  const m = rs['metrics'];
  if (isRecord(b) && isRecord(m)) {
    type Row = { name: string; v: Json };
    const rows: Row[] = [{ name: 'Strategy', v: m }];
    if (isRecord(b['buy_and_hold'])) rows.push({ name: 'Buy & hold (same size, costs)', v: b['buy_and_hold'] });
    if (isRecord(b['buy_and_hold_full'])) rows.push({ name: 'Buy & hold (100 %, costs)', v: b['buy_and_hold_full'] });
    const columns: TableColumn<Row>[] = [
      { header: 'Compared with', value: (r) => r.name },
      { header: 'Return', value: (r) => formatPercent(r.v['total_return_pct']), align: 'right' },
      { header: 'Sharpe', value: (r) => formatFixed(r.v['sharpe_ratio']), align: 'right' },
      { header: 'Max DD', value: (r) => formatPercent(r.v['max_drawdown_pct']), align: 'right' },
    ];
    out += `\n${formatTable(rows, columns)}`;
  }
  const d = rs['diagnostics'];
  if (isRecord(d)) {
    const n = (k: string) => asNumber(d[k]) ?? 0;
    out += `\n${formatKeyValues([
      ['Signals', `BUY ${n('raw_buy')}, SELL ${n('raw_sell')}, HOLD ${n('raw_hold')} of ${n('decision_bars')} bars; executed ${n('executed')}`],
      ['Filtered', `threshold ${n('below_threshold')}, already in position ${n('already_in_position')}, shorts off ${n('short_not_allowed')}, separation ${n('by_separation')}, no capital ${n('no_capital')}`],
      ['Highest probability', `BUY ${formatFixed(d['max_buy_probability'], 3)}, SELL ${formatFixed(d['max_sell_probability'], 3)}`],
      ['Liquidations', n('liquidations') > 0 ? String(n('liquidations')) : undefined],
    ])}`;
    for (const key of ['no_trade_reasons', 'data_warnings'] as const) {
      const list = d[key];
      if (Array.isArray(list)) for (const line of list) out += `${key === 'no_trade_reasons' ? 'No trades' : 'Data warning'}: ${String(line)}\n`;
    }
  }
  return out;
}
