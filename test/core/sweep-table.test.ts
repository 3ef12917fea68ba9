import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyProgress, type Operation } from '../../src/contracts/index.js';
import { InvalidRequestError } from '../../src/contracts/errors.js';
import { sortRows, sweepColumns, sweepRows, toCsv } from '../../src/core/sweeps/sweep-table.js';

function op(id: string, status: Operation['status'], metrics: Record<string, number> | null, modelVersion: string | null = null): Operation {
  return {
    operation_id: id, operation_type: 'backtesting', status, worker_id: null, created_at: '2024-01-01T00:00:00Z', started_at: null, completed_at: null,
    progress: emptyProgress(), metadata: { parameters: { model_version: modelVersion } }, error_message: null,
    result_summary: metrics ? { metrics, trade_count: 3 } : null,
  };
}

test('sweep rows take their numbers from result_summary.metrics; sorting puts empty cells last; CSV quotes what needs it', () => {
  const rows = sweepRows([
    { op: op('a', 'completed', { total_return: 10, total_return_pct: 0.01, sharpe_ratio: 1.5, max_drawdown_pct: 0.02, total_trades: 4 }), params: { p: 7, name: 'x,y' } },
    { op: op('b', 'running', null), params: { p: 14, name: 'plain' } },
    { op: op('c', 'completed', { total_return: -5, total_return_pct: -0.005, sharpe_ratio: -0.5, max_drawdown_pct: 0.03, total_trades: 9 }, 's/1h_v2'), params: { p: 21, name: 'q"q' } },
  ]);
  assert.deepEqual(rows[0], { p: 7, name: 'x,y', model_version: null, total_return: 10, total_return_pct: 0.01, sharpe_ratio: 1.5, max_drawdown_pct: 0.02, total_trades: 4, status: 'completed', operation_id: 'a' });
  assert.equal(rows[1]!['sharpe_ratio'], null);
  assert.equal(rows[2]!['model_version'], 's/1h_v2');
  const columns = sweepColumns(['p', 'name']);
  assert.deepEqual(sortRows(rows, columns, 'sharpe_ratio', 'desc').map((r) => r['operation_id']), ['a', 'c', 'b']);
  assert.deepEqual(sortRows(rows, columns, 'sharpe_ratio', 'asc').map((r) => r['operation_id']), ['c', 'a', 'b']);
  assert.deepEqual(sortRows(rows, columns, 'p', 'desc').map((r) => r['operation_id']), ['c', 'b', 'a']);
  assert.deepEqual(sortRows(rows, columns, undefined).map((r) => r['operation_id']), ['a', 'b', 'c']);
  assert.throws(() => sortRows(rows, columns, 'nope'), (e: unknown) => e instanceof InvalidRequestError && e.issues[0]!.path === 'sort');
  const csv = toCsv(columns, rows).split('\n');
  assert.equal(csv[0], 'p,name,model_version,total_return,total_return_pct,sharpe_ratio,max_drawdown_pct,total_trades,status,operation_id');
  assert.equal(csv[1], '7,"x,y",,10,0.01,1.5,0.02,4,completed,a');
  assert.equal(csv[3], '21,"q""q",s/1h_v2,-5,-0.005,-0.5,0.03,9,completed,c');
});
