import { writeFileSync } from 'node:fs';
import type { SweepTable } from '../contracts/index.js';
import { formatTable, type FormatTableOptions, type TableColumn } from './table.js';

type Row = Record<string, unknown>;

const fixed = (digits: number) => (v: unknown) => (typeof v === 'number' ? v.toFixed(digits) : null);
const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : null);

/** `indicators.rsi_14.period` → `rsi_14.period`: the last two segments name a grid column. */
function shortHeader(path: string): string {
  const parts = path.split('.');
  return parts.length <= 2 ? path : parts.slice(-2).join('.');
}

/**
 * A sweep's comparison table for the terminal: grid parameters, then return, Sharpe, drawdown,
 * trades, model and status. Narrow terminals drop the model, then the id, then the window dates.
 */
export function formatSweepTable(table: SweepTable['data'], options: FormatTableOptions = {}): string {
  const metricNames = new Set(['model_version', 'total_return', 'total_return_pct', 'sharpe_ratio', 'max_drawdown_pct', 'total_trades', 'status', 'operation_id']);
  const params = table.columns.filter((c) => !metricNames.has(c));
  const columns: TableColumn<Row>[] = params.map((p) => ({
    header: shortHeader(p).toUpperCase(),
    value: (r: Row) => (r[p] === undefined || r[p] === null ? null : String(r[p])),
    align: 'right' as const,
    ...(p === 'window_start' || p === 'window_end' ? { dropRank: 3 } : {}),
  }));
  const hasModel = table.rows.some((r) => r['model_version'] !== null && r['model_version'] !== undefined);
  columns.push(
    { header: 'RETURN', value: (r) => pct(r['total_return_pct']), align: 'right' },
    { header: 'SHARPE', value: (r) => fixed(2)(r['sharpe_ratio']), align: 'right' },
    { header: 'MAX DD', value: (r) => pct(r['max_drawdown_pct']), align: 'right' },
    { header: 'TRADES', value: (r) => (typeof r['total_trades'] === 'number' ? r['total_trades'] : null), align: 'right' },
    ...(hasModel ? [{ header: 'MODEL', value: (r: Row) => r['model_version'] as string | null, dropRank: 1 }] : []),
    { header: 'STATUS', value: (r) => r['status'] as string, colorBy: (r) => r['status'] as string },
    { header: 'OPERATION', value: (r) => r['operation_id'] as string, elide: 'middle', minWidth: 20, dropRank: 2 },
  );
  return formatTable(table.rows, columns, { emptyText: 'No children.', ...options });
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes the table as CSV (every column, raw numbers), the same as `GET /sweeps/{id}/table?format=csv`. */
export function writeSweepCsv(file: string, table: SweepTable['data']): void {
  const lines = [table.columns.map(csvCell).join(','), ...table.rows.map((r) => table.columns.map((c) => csvCell(r[c])).join(','))];
  writeFileSync(file, `${lines.join('\n')}\n`);
}
