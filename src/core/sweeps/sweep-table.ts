import { SWEEP_METRIC_COLUMNS, type Operation } from '../../contracts/index.js';
import { InvalidRequestError } from '../../contracts/errors.js';

export type SweepRow = Record<string, unknown>;

/**
 * One comparison-table row per child: its grid point, then the numbers of its stored result
 * summary (`result_summary.metrics`, as the backtest wrote them; null until it completed).
 */
export function sweepRows(children: readonly { op: Operation; params: Record<string, unknown> }[]): SweepRow[] {
  return children.map(({ op, params }) => {
    const metrics = (op.result_summary?.['metrics'] ?? null) as Record<string, unknown> | null;
    const num = (k: string) => (metrics && typeof metrics[k] === 'number' ? (metrics[k] as number) : null);
    const p = op.metadata.parameters;
    return {
      ...params,
      model_version: typeof p['model_version'] === 'string' ? p['model_version'] : null,
      total_return: num('total_return'),
      total_return_pct: num('total_return_pct'),
      sharpe_ratio: num('sharpe_ratio'),
      max_drawdown_pct: num('max_drawdown_pct'),
      total_trades: num('total_trades'),
      status: op.status,
      operation_id: op.operation_id,
    };
  });
}

export function sweepColumns(dimensions: readonly string[]): string[] {
  return [...dimensions, ...SWEEP_METRIC_COLUMNS];
}

/** Sorted copy: numbers numerically, strings by locale; empty cells last whatever the order. */
export function sortRows(rows: readonly SweepRow[], columns: readonly string[], sort: string | undefined, order: 'asc' | 'desc' = 'desc'): SweepRow[] {
  if (sort === undefined) return rows.slice();
  if (!columns.includes(sort)) throw InvalidRequestError.field('sort', `unknown column '${sort}' (columns: ${columns.join(', ')})`);
  const dir = order === 'asc' ? 1 : -1;
  return rows.slice().sort((a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir;
    return String(x).localeCompare(String(y)) * dir;
  });
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: readonly string[], rows: readonly SweepRow[]): string {
  return [columns.map(csvCell).join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}
