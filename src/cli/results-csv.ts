import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './cli-error.js';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const TRADE_COLUMNS = [
  'trade_id', 'side', 'entry_time', 'entry_price', 'exit_time', 'exit_price', 'quantity', 'gross_pnl', 'commission',
  'net_pnl', 'holding_period_hours', 'mfe', 'mae', 'exit_reason',
];

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? String(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes a backtest result's `trades.csv` (one row per trade, every field) and `equity.csv`
 * (`time,equity[,benchmark_equity]`, one row per bar of the window) into `dir`, creating it.
 *
 * @returns the files written
 * @throws CliError when the result has neither trades nor an equity curve (not a backtest)
 */
export function writeResultsCsv(dir: string, data: unknown): string[] {
  const d = isRecord(data) ? data : {};
  const trades = Array.isArray(d['trades']) ? d['trades'].filter(isRecord) : undefined;
  const curve = isRecord(d['equity_curve']) ? d['equity_curve'] : undefined;
  if (trades === undefined && curve === undefined) {
    throw new CliError('this result has no trades or equity curve to write as CSV (is it a backtest?)');
  }
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const written: string[] = [];
  if (trades !== undefined) {
    const lines = [TRADE_COLUMNS.join(','), ...trades.map((t) => TRADE_COLUMNS.map((c) => cell(t[c])).join(','))];
    const path = join(out, 'trades.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    written.push(path);
  }
  if (curve !== undefined && Array.isArray(curve['time']) && Array.isArray(curve['equity'])) {
    const time = curve['time'] as unknown[];
    const equity = curve['equity'] as unknown[];
    const bench = Array.isArray(curve['benchmark_equity']) ? (curve['benchmark_equity'] as unknown[]) : undefined;
    const lines = [bench ? 'time,equity,benchmark_equity' : 'time,equity'];
    for (let i = 0; i < time.length; i++) lines.push([time[i], equity[i], ...(bench ? [bench[i]] : [])].map(cell).join(','));
    const path = join(out, 'equity.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    written.push(path);
  }
  return written;
}
