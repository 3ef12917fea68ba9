import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InvalidRequestError } from '../../src/contracts/errors.js';
import { gridValues, planSweep, resolvePath, walkForwardWindows } from '../../src/workers/sweep/plan-sweep.js';
import { repoRoot } from '../helpers/paths.js';

const strategiesDir = join(repoRoot, 'strategies');

function issueOf(fn: () => unknown): { path: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidRequestError, String(err));
    return err.issues[0]!;
  }
  assert.fail('expected an InvalidRequestError');
}

test('grid values: lists, a,b,c and inclusive start:stop:step ranges without float noise', () => {
  assert.deepEqual(gridValues('7:28:7', 'f', 1000), [7, 14, 21, 28]);
  assert.deepEqual(gridValues('0.4:0.6:0.1', 'f', 1000), [0.4, 0.5, 0.6]);
  assert.deepEqual(gridValues('0.4, 0.5,0.6', 'f', 1000), [0.4, 0.5, 0.6]);
  assert.deepEqual(gridValues('close,open,true', 'f', 1000), ['close', 'open', true]);
  assert.deepEqual(gridValues([1, 2], 'f', 1000), [1, 2]);
  assert.match(issueOf(() => gridValues('7:28:0', 'grid.x', 1000)).message, /step must be > 0/);
  assert.match(issueOf(() => gridValues('7:28', 'grid.x', 1000)).message, /start:stop:step/);
  assert.match(issueOf(() => gridValues('1:5000:1', 'grid.x', 1000)).message, /5000 values: at most 1000/);
  assert.match(issueOf(() => gridValues([1, 1], 'grid.x', 1000)).message, /listed twice/);
  assert.equal(issueOf(() => gridValues('1,,2', 'grid.x', 1000)).path, 'grid.x');
});

test('paths: mapping keys by name, list elements by index or by their id/name', () => {
  const doc = parse('a:\n  list:\n    - id: first\n      n: 1\n    - name: second\n      n: 2\n  m: {k: 3}\n');
  assert.equal(resolvePath(doc, 'a.list.first.n', 'f').value, 1);
  assert.equal(resolvePath(doc, 'a.list.second.n', 'f').value, 2);
  assert.equal(resolvePath(doc, 'a.list.1.n', 'f').value, 2);
  assert.equal(resolvePath(doc, 'a.m.k', 'f').value, 3);
  assert.match(issueOf(() => resolvePath(doc, 'a.list.third.n', 'grid.a.list.third.n')).message, /no element 'third'/);
  assert.match(issueOf(() => resolvePath(doc, 'a.m.k.z', 'f')).message, /is a value/);
  assert.match(issueOf(() => resolvePath(doc, 'a..m', 'f')).message, /not a path/);
});

test('walk-forward windows: k+1 equal windows, the k out-of-sample ones returned, rolling or anchored training', () => {
  const rolling = walkForwardWindows('2024-01-01', '2024-01-10', 4);
  assert.deepEqual(rolling.map((w) => [w.trainStart, w.trainEnd, w.start, w.end]), [
    ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'],
    ['2024-01-03', '2024-01-04', '2024-01-05', '2024-01-06'],
    ['2024-01-05', '2024-01-06', '2024-01-07', '2024-01-08'],
    ['2024-01-07', '2024-01-08', '2024-01-09', '2024-01-10'],
  ]);
  const anchored = walkForwardWindows('2024-01-01', '2024-01-10', 4, 'anchored');
  assert.ok(anchored.every((w) => w.trainStart === '2024-01-01'));
  assert.equal(anchored[3]!.trainEnd, '2024-01-08');
  assert.equal(issueOf(() => walkForwardWindows('2024-01-01', '2024-01-05', 4)).path, 'walk_forward.windows');
});

test('planSweep: one child per combination, each with its edited strategy YAML; symbols and timeframes are dimensions too', () => {
  const plan = planSweep(
    { strategy_name: 'rsi_reversion_rules', grid: { 'indicators.rsi_14.period': '7:21:7', 'decisions.confidence_threshold': [0.5, 0.6] }, symbols: ['EURUSD', 'GBPUSD'], start_date: '2024-01-01', end_date: '2024-03-01' },
    { strategiesDir },
  );
  assert.deepEqual(plan.dimensions, ['indicators.rsi_14.period', 'decisions.confidence_threshold', 'symbol']);
  assert.equal(plan.children.length, 12);
  const c = plan.children.find((x) => x.params['indicators.rsi_14.period'] === 21 && x.params['symbol'] === 'GBPUSD' && x.params['decisions.confidence_threshold'] === 0.6)!;
  const doc = parse(c.request['strategy_yaml'] as string);
  assert.equal(doc.indicators.rsi_14.period, 21);
  assert.equal(doc.decisions.confidence_threshold, 0.6);
  assert.equal(c.request['symbol'], 'GBPUSD');
  assert.equal(c.training, undefined, 'a rules strategy trains nothing');
  const neural = planSweep({ strategy_name: 'rsi_macd_1h', start_date: '2023-01-01', end_date: '2023-12-31', walk_forward: { windows: 3 } }, { strategiesDir });
  assert.equal(neural.children.length, 3);
  assert.ok(neural.children.every((x) => x.training?.['max_attempts'] === 1 && x.training['end_date']! < x.request['start_date']!));
  assert.equal(issueOf(() => planSweep({ strategy_name: 'rsi_reversion_rules', grid: { 'decisions.confidence_threshold': '0:1:0.1', 'indicators.rsi_14.period': '2:30:1' }, start_date: '2024-01-01', end_date: '2024-03-01' }, { strategiesDir, maxChildren: 100 })).path, 'grid');
  assert.equal(issueOf(() => planSweep({ start_date: '2024-01-01', end_date: '2024-03-01' }, { strategiesDir })).path, 'strategy_name');
});
