import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { runCli } from '../../src/cli/run-cli.js';
import { FakeBackend, makeOperation, makeWorker, progressAt } from './helpers/fake-backend.js';
import { fakeIo, type FakeIo } from './helpers/fake-io.js';

async function backend(t: TestContext): Promise<FakeBackend> {
  const b = new FakeBackend();
  await b.start();
  t.after(() => b.close());
  return b;
}

function ioFor(b: FakeBackend, extra: Parameters<typeof fakeIo>[0] = {}): FakeIo {
  return fakeIo({ ...extra, env: { KTRDR_API_URL: b.url, ...(extra.env ?? {}) } });
}

const backtestMetrics = {
  total_return: 5230.5,
  total_return_pct: 0.052305,
  annualized_return: 0.1071,
  sharpe_ratio: 1.2345,
  sortino_ratio: 1.9,
  max_drawdown: 3100,
  max_drawdown_pct: 0.031,
  win_rate: 0.55,
  winning_trades: 11,
  total_trades: 20,
  profit_factor: 1.8,
  total_fees: 42.1,
  buy_and_hold_return_pct: -0.0125,
};

/** A backtest that goes pending → 0 % → 42 % → 42 % (same text) → 100 % completed. */
function scriptBacktest(b: FakeBackend, id: string) {
  b.addOperation([
    makeOperation({ operation_id: id, status: 'pending', started_at: null }),
    makeOperation({ operation_id: id, progress: progressAt(0, 'Loading data and computing features') }),
    makeOperation({ operation_id: id, progress: progressAt(42, 'Processing bar 420/1000', 420, 1000) }),
    makeOperation({ operation_id: id, progress: progressAt(42, 'Processing bar 420/1000', 420, 1000) }),
    makeOperation({
      operation_id: id,
      status: 'completed',
      completed_at: '2025-01-01T12:01:00.000Z',
      progress: progressAt(100, 'Completed', 1000, 1000),
      result_summary: { metrics: backtestMetrics, trade_count: 20, equity_curve: [], trades: [] },
    }),
  ]);
}

test('workers list / health / show: tables by default, --json parses to the API reply', async (t) => {
  const b = await backend(t);
  b.workers = [
    makeWorker({ worker_id: 'backtest-1', current_operation_id: 'op_x', status: 'busy' }),
    makeWorker({ worker_id: 'train-gpu', worker_type: 'training', endpoint_url: 'http://10.0.0.2:5002', capabilities: { gpu: true, gpu_type: 'H100', gpu_count: 1 } }),
  ];
  const io = ioFor(b);
  assert.equal(await runCli(['workers'], io), 0, io.stderr.text);
  const lines = io.stdout.text.trimEnd().split('\n');
  assert.match(lines[0] as string, /^ID\s+TYPE\s+STATUS\s+GPU\s+ENDPOINT\s+CURRENT OPERATION$/);
  assert.match(lines[2] as string, /^backtest-1\s+backtesting\s+busy\s+-\s+http:\/\/127\.0\.0\.1:5003\s+op_x$/);
  assert.match(lines[3] as string, /^train-gpu\s+training\s+available\s+yes \(H100\)\s+http:\/\/10\.0\.0\.2:5002\s+-$/);

  const json = ioFor(b);
  assert.equal(await runCli(['workers', 'list', '--json', '--type', 'training'], json), 0);
  assert.deepEqual(JSON.parse(json.stdout.text), [b.workers[1]]);
  assert.deepEqual(b.requestsTo('GET', '/api/v1/workers').at(-1)?.query, { worker_type: 'training' });

  const health = ioFor(b);
  assert.equal(await runCli(['--json', 'workers', 'health'], health), 0);
  const summary = JSON.parse(health.stdout.text) as { total_workers: number; by_type: Record<string, { busy: number }> };
  assert.equal(summary.total_workers, 2);
  assert.equal(summary.by_type['backtesting']?.busy, 1);
  const healthTable = ioFor(b);
  assert.equal(await runCli(['workers', 'health'], healthTable), 0);
  assert.match(healthTable.stdout.text, /^2 workers registered\n/);
  assert.match(healthTable.stdout.text, /\ntotal\s+1\s+1\s+0\n/);

  const show = ioFor(b);
  assert.equal(await runCli(['workers', 'show', 'nope'], show), 1);
  assert.equal(show.stderr.text, "error: Worker 'nope' not found\n");
});

test('--token (or KTRDR_API_TOKEN) is sent as a bearer token; a 401 is one clear line', async (t) => {
  const b = await backend(t);
  b.token = 's3cret';
  const denied = ioFor(b);
  assert.equal(await runCli(['ops'], denied), 1);
  assert.equal(denied.stderr.text, 'error: Missing or invalid bearer token (set KTRDR_API_TOKEN)\n');
  const viaFlag = ioFor(b);
  assert.equal(await runCli(['--token', 's3cret', 'ops'], viaFlag), 0, viaFlag.stderr.text);
  const viaEnv = ioFor(b, { env: { KTRDR_API_TOKEN: 's3cret' } });
  assert.equal(await runCli(['ops', '--json'], viaEnv), 0, viaEnv.stderr.text);
  assert.equal(b.requests.at(-1)?.headers.authorization, 'Bearer s3cret');
});

test('--url overrides KTRDR_API_URL', async (t) => {
  const b = await backend(t);
  const io = fakeIo({ env: { KTRDR_API_URL: 'http://127.0.0.1:9' } });
  assert.equal(await runCli(['--url', b.url, '--json', 'ops'], io), 0, io.stderr.text);
  assert.equal(b.requests.length, 1);
});

test('operations list: query parameters from the flags, table and --json', async (t) => {
  const b = await backend(t);
  scriptBacktest(b, 'op_backtesting_20250101_120000_00000001');
  b.addOperation([makeOperation({ operation_id: 'op_training_1', operation_type: 'training', status: 'failed', error_message: 'boom' })]);
  const io = ioFor(b);
  assert.equal(await runCli(['operations', 'list', '--status', 'failed', '--type', 'training', '--limit', '5', '--active'], io), 0, io.stderr.text);
  assert.deepEqual(b.requests.at(-1)?.query, { status: 'failed', operation_type: 'training', limit: '5', active_only: 'true' });

  const all = ioFor(b);
  assert.equal(await runCli(['ops'], all), 0);
  assert.match(all.stdout.text, /^ID\s+TYPE\s+STATUS\s+PROGRESS\s+WORKER\s+CREATED\s+SUBJECT\n/);
  assert.match(all.stdout.text, /op_training_1\s+training\s+failed\s+0\.0%/);
  assert.match(all.stdout.text, /\n2 shown of 2 \(0 active\)\n$/);

  const json = ioFor(b);
  assert.equal(await runCli(['ops', 'list', '--json'], json), 0);
  const parsed = JSON.parse(json.stdout.text) as { success: boolean; data: Array<{ operation_id: string }>; total_count: number };
  assert.equal(parsed.success, true);
  assert.equal(parsed.total_count, 2);
  assert.deepEqual(parsed.data.map((o) => o.operation_id).sort(), ['op_backtesting_20250101_120000_00000001', 'op_training_1']);
});

test('backtest start: request body from the flags; without --follow prints the id and how to follow', async (t) => {
  const b = await backend(t);
  b.startReply = [200, { success: true, operation_id: 'op_b1', status: 'started', worker_id: 'backtest-1' }];
  const io = ioFor(b);
  const code = await runCli(
    ['backtest', 'rsi_macd_1h', '--symbol', 'EURUSD', '--timeframe', '1h', '--start-date', '2024-01-01', '--end-date', '2024-06-30',
      '--capital', '50000', '--commission', '0.002', '--slippage', '0', '--model', 'rsi_macd_1h/1h_v3'],
    io,
  );
  assert.equal(code, 0, io.stderr.text);
  assert.deepEqual(b.requestsTo('POST', '/api/v1/backtests/start')[0]?.body, {
    strategy_name: 'rsi_macd_1h',
    symbol: 'EURUSD',
    timeframe: '1h',
    start_date: '2024-01-01',
    end_date: '2024-06-30',
    initial_capital: 50000,
    commission: 0.002,
    slippage: 0,
    model_path: 'rsi_macd_1h/1h_v3',
  });
  assert.equal(io.stdout.text, 'Started backtest op_b1 on worker backtest-1\nFollow it with: ktrdr operations follow op_b1\n');

  // The seed's form: --model STRATEGY/TF_vN alone names the strategy.
  const seed = ioFor(b);
  assert.equal(await runCli(['--json', 'backtests', 'start', '--model', 'neuro_mean_reversion/1d_v21', '--start-date', '2024-01-01', '--end-date', '2024-12-31'], seed), 0, seed.stderr.text);
  assert.deepEqual(JSON.parse(seed.stdout.text), { success: true, operation_id: 'op_b1', status: 'started', worker_id: 'backtest-1' });
  const body = b.requestsTo('POST', '/api/v1/backtests/start')[1]?.body as Record<string, unknown>;
  assert.equal(body['strategy_name'], 'neuro_mean_reversion');
  assert.equal(body['model_path'], 'neuro_mean_reversion/1d_v21');
  assert.equal('initial_capital' in body, false, 'unset options are not sent: the backend applies its defaults');
});

test('training start: lists and GPU flags map to the request body', async (t) => {
  const b = await backend(t);
  b.startReply = [200, { success: true, operation_id: 'op_t1', status: 'started', worker_id: 'training-1' }];
  const run = async (args: string[]) => {
    const io = ioFor(b);
    assert.equal(await runCli(args, io), 0, io.stderr.text);
    return b.requestsTo('POST', '/api/v1/training/start').at(-1)?.body;
  };
  assert.deepEqual(await run(['models', 'train', '--strategy', 'mtf', '--symbols', 'EURUSD,GBPUSD', '--symbol', 'USDJPY', '--timeframe', '1h', '--start-date', '2020-01-01', '--require-gpu']), {
    strategy_name: 'mtf',
    symbols: ['EURUSD', 'GBPUSD', 'USDJPY'],
    timeframes: ['1h'],
    start_date: '2020-01-01',
    require_gpu: true,
  });
  assert.deepEqual(await run(['train', 'mtf', '--no-prefer-gpu']), { strategy_name: 'mtf', prefer_gpu: false });
  assert.deepEqual(await run(['train', 'mtf', '--prefer-gpu']), { strategy_name: 'mtf', prefer_gpu: true });
  assert.deepEqual(await run(['train', 'mtf']), { strategy_name: 'mtf' });
});

test('a 503 (no workers) is one line with the backend hint, exit 1', async (t) => {
  const b = await backend(t);
  b.startReply = [503, { error: 'No backtesting workers available', worker_type: 'backtesting', registered_workers: 0, hint: 'Start one with `ktrdr worker backtesting` or `ktrdr up`.', operation_id: 'op_x' }];
  const io = ioFor(b);
  assert.equal(await runCli(['backtest', 's', '--start-date', '2024-01-01', '--end-date', '2024-02-01'], io), 1);
  assert.equal(io.stderr.text, 'error: No backtesting workers available (0 backtesting workers registered). Start one with `ktrdr worker backtesting` or `ktrdr up`.\n');
  assert.equal(io.stdout.text, '');
});

test('a 400 names the offending fields', async (t) => {
  const b = await backend(t);
  b.startReply = [400, { detail: 'invalid request', code: 'INVALID_REQUEST', errors: [{ path: 'end_date', message: 'must be after start_date' }] }];
  const io = ioFor(b);
  assert.equal(await runCli(['backtest', 's', '--start-date', '2024-03-01', '--end-date', '2024-02-01'], io), 1);
  assert.equal(io.stderr.text, 'error: invalid request (end_date: must be after start_date)\n');
});

test('backtest --follow (not a TTY): plain progress lines when the text changes, then the metrics table', async (t) => {
  const b = await backend(t);
  const id = 'op_backtesting_20250101_120000_00000001';
  scriptBacktest(b, id);
  b.startReply = [200, { success: true, operation_id: id, status: 'started', worker_id: 'backtest-1' }];
  const io = ioFor(b);
  const code = await runCli(['backtest', 'rsi_macd_1h', '--start-date', '2024-01-01', '--end-date', '2024-06-30', '--follow'], io);
  assert.equal(code, 0, io.stderr.text);
  const text = io.stdout.text;
  const [head, report] = text.split('\n\n');
  assert.equal(
    head,
    [
      `Started backtest ${id} on worker backtest-1`,
      '[  0.0%] pending',
      '[  0.0%] Loading data and computing features',
      '[ 42.0%] Processing bar 420/1000',
      '[100.0%] Completed',
    ].join('\n'),
  );
  assert.match(report as string, new RegExp(`^Backtest ${id} completed \\(rsi_macd_1h, EURUSD 1h, 2024-01-01 → 2024-06-30\\)`));
  const table = text.slice(text.indexOf('Metric'));
  const expected: Array<[string, string]> = [
    ['Total return', '5.23% (5,230.50)'],
    ['Annualized return', '10.71%'],
    ['Sharpe ratio', '1.23'],
    ['Sortino ratio', '1.90'],
    ['Max drawdown', '3.10% (3,100.00)'],
    ['Win rate', '55.00% (11/20)'],
    ['Profit factor', '1.80'],
    ['Trades', '20'],
    ['Fees', '42.10'],
    ['Buy & hold return', '-1.25%'],
  ];
  for (const [label, value] of expected) {
    assert.match(table, new RegExp(`\\n${label.replace('&', '\\&')}\\s+${value.replace(/[().]/g, '\\$&')}\\n`), label);
  }
  assert.equal(b.requestsTo('GET', `/api/v1/operations/${id}`).length, 5);
  assert.equal(b.requestsTo('GET', /\/metrics$/).length, 0, 'backtests do not poll metrics');
});

test('--follow --json: no progress on stdout, just the final operation JSON', async (t) => {
  const b = await backend(t);
  scriptBacktest(b, 'op_j');
  const io = ioFor(b);
  assert.equal(await runCli(['--json', 'operations', 'follow', 'op_j'], io), 0, io.stderr.text);
  const parsed = JSON.parse(io.stdout.text) as { success: boolean; data: { status: string; result_summary: { trade_count: number } } };
  assert.equal(parsed.data.status, 'completed');
  assert.equal(parsed.data.result_summary.trade_count, 20);
});

test('training --follow: each new epoch printed once, then the epoch table and test accuracy vs baseline', async (t) => {
  const b = await backend(t);
  const id = 'op_training_1';
  const epochs = [1, 2, 3].map((epoch) => ({
    epoch,
    train_loss: 1.2 - 0.2 * epoch,
    train_accuracy: 0.4 + 0.05 * epoch,
    val_loss: 1.3 - 0.2 * epoch,
    val_accuracy: 0.38 + 0.04 * epoch,
    learning_rate: 0.001,
    duration_s: 0.5,
  }));
  const running = (pct: number, step: string) => makeOperation({ operation_id: id, operation_type: 'training', worker_id: 'training-1', progress: progressAt(pct, step) });
  b.addOperation(
    [
      running(10, 'Epoch 1/3'),
      running(40, 'Epoch 2/3'),
      running(70, 'Epoch 3/3'),
      makeOperation({
        operation_id: id,
        operation_type: 'training',
        status: 'completed',
        progress: progressAt(100, 'Completed'),
        result_summary: { model_path: 'models/rsi_macd_1h/1h_v1', test_accuracy: 0.55, baseline_accuracy: 0.5, epochs_trained: 3, backend: 'cpu' },
      }),
    ],
    { metrics: epochs, metricsVisibleAt: [0, 1, 2, 3] },
  );
  b.startReply = [200, { success: true, operation_id: id, status: 'started', worker_id: 'training-1' }];
  const io = ioFor(b);
  assert.equal(await runCli(['train', 'rsi_macd_1h', '--follow'], io), 0, io.stderr.text);
  const out = io.stdout.text;
  for (const e of [1, 2, 3]) {
    assert.equal(out.split(`\nEpoch ${e}: `).length - 1, 1, `epoch ${e} printed exactly once as a line`);
  }
  assert.match(out, /\nEpoch 1: train_loss=1\.0000 train_acc=45\.00% val_loss=1\.1000 val_acc=42\.00% lr=0\.001 \(0\.5s\)\n/);
  // Epoch 1's record becomes visible with the second poll: it is printed just before that poll's progress line.
  assert.match(out, /\[ 10\.0%\] Epoch 1\/3\nEpoch 1: [^\n]+\n\[ 40\.0%\] Epoch 2\/3\nEpoch 2: [^\n]+\n\[ 70\.0%\] Epoch 3\/3\nEpoch 3: [^\n]+\n\[100\.0%\] Completed\n/);
  assert.match(out, /Epoch\s+Train loss\s+Train acc\s+Val loss\s+Val acc\s+LR\s+Time\n/);
  assert.match(out, /\n\s+3\s+0\.6000\s+55\.00%\s+0\.7000\s+50\.00%\s+0\.001\s+0\.5s\n/);
  assert.match(out, /Test accuracy:\s+55\.00% \(baseline 50\.00%, \+5\.00 pts\)/);
  assert.match(out, /Model:\s+models\/rsi_macd_1h\/1h_v1/);
  // The cursor advances: no record is fetched twice.
  const cursors = b.requestsTo('GET', /\/metrics$/).map((r) => Number(r.query['cursor']));
  assert.deepEqual([...new Set(cursors)], [0, 1, 2, 3]);
});

test('a followed operation that fails: error message on stderr, exit 1', async (t) => {
  const b = await backend(t);
  b.addOperation([
    makeOperation({ operation_id: 'op_f', progress: progressAt(30, 'Processing bar 300/1000') }),
    makeOperation({ operation_id: 'op_f', status: 'failed', error_message: 'data for EURUSD 1h ends at 2024-03-01', progress: progressAt(30, 'Processing bar 300/1000') }),
  ]);
  const io = ioFor(b);
  assert.equal(await runCli(['operations', 'follow', 'op_f'], io), 1);
  assert.equal(io.stderr.text, 'error: operation op_f failed: data for EURUSD 1h ends at 2024-03-01\n');
  assert.equal(io.stdout.text, '[ 30.0%] Processing bar 300/1000\n[ 30.0%] failed\n');
});

test('following an unknown operation: the 404 detail, exit 1', async (t) => {
  const b = await backend(t);
  const io = ioFor(b);
  assert.equal(await runCli(['ops', 'follow', 'op_missing'], io), 1);
  assert.equal(io.stderr.text, "error: Operation 'op_missing' not found\n");
});

/** A backtest stuck at 10 %: only an interrupt ends following. */
function scriptStuck(b: FakeBackend, id: string) {
  b.addOperation([makeOperation({ operation_id: id, progress: progressAt(10, 'Processing bar 100/1000') })]);
}

/** Interrupts once the operation has been polled `afterPolls` times. */
function interruptAfter(b: FakeBackend, io: FakeIo, id: string, afterPolls = 2): void {
  const timer = setInterval(() => {
    if (b.requestsTo('GET', `/api/v1/operations/${id}`).length >= afterPolls) {
      clearInterval(timer);
      io.interrupt();
    }
  }, 2);
}

test('Ctrl+C with --cancel-on-interrupt cancels, follows to "cancelled", exits 1', async (t) => {
  const b = await backend(t);
  scriptStuck(b, 'op_c');
  const io = ioFor(b);
  interruptAfter(b, io, 'op_c');
  assert.equal(await runCli(['ops', 'follow', 'op_c', '--cancel-on-interrupt'], io), 1);
  const cancels = b.requestsTo('DELETE', '/api/v1/operations/op_c/cancel');
  assert.equal(cancels.length, 1);
  assert.deepEqual(cancels[0]?.body, { reason: 'cancelled from the ktrdr CLI (Ctrl+C)' });
  assert.match(io.stderr.text, /^Cancelling op_c…\n/);
  assert.match(io.stderr.text, /error: operation op_c was cancelled/);
  assert.deepEqual(io.questions, []);
});

test('Ctrl+C off a TTY without the flag: stop following, print how to resume, exit 130, no cancel', async (t) => {
  const b = await backend(t);
  scriptStuck(b, 'op_d');
  const io = ioFor(b);
  interruptAfter(b, io, 'op_d');
  assert.equal(await runCli(['ops', 'follow', 'op_d'], io), 130);
  assert.equal(b.requestsTo('DELETE', /cancel$/).length, 0);
  assert.equal(io.stderr.text, 'error: stopped following op_d; it keeps running. Resume with: ktrdr operations follow op_d\n');
  assert.deepEqual(io.questions, []);
});

test('Ctrl+C on a TTY asks; "y" cancels, "n" detaches', async (t) => {
  const b = await backend(t);
  scriptStuck(b, 'op_y');
  const yes = ioFor(b, { isTTY: true, answers: ['y'] });
  interruptAfter(b, yes, 'op_y');
  assert.equal(await runCli(['ops', 'follow', 'op_y'], yes), 1);
  assert.deepEqual(yes.questions, ['Cancel operation op_y? [y/N] ']);
  assert.equal(b.requestsTo('DELETE', '/api/v1/operations/op_y/cancel').length, 1);
  assert.ok(yes.stdout.text.includes('\r\x1b[2K'), 'TTY progress is redrawn in place');

  scriptStuck(b, 'op_n');
  const no = ioFor(b, { isTTY: true, answers: [''] });
  interruptAfter(b, no, 'op_n');
  assert.equal(await runCli(['ops', 'follow', 'op_n'], no), 130);
  assert.deepEqual(no.questions, ['Cancel operation op_n? [y/N] ']);
  assert.equal(b.requestsTo('DELETE', '/api/v1/operations/op_n/cancel').length, 0);
});

test('operations status, cancel and results', async (t) => {
  const b = await backend(t);
  scriptBacktest(b, 'op_s');
  b.operations.get('op_s')!.gets = 10; // already completed
  const status = ioFor(b);
  assert.equal(await runCli(['ops', 'status', 'op_s'], status), 0, status.stderr.text);
  assert.match(status.stdout.text, /^Operation:\s+op_s\nType:\s+backtesting\nStatus:\s+completed\nProgress:\s+\[100\.0%\] Completed\n/);
  assert.match(status.stdout.text, /Sharpe ratio\s+1\.23/);

  const statusJson = ioFor(b);
  assert.equal(await runCli(['ops', 'status', 'op_s', '--json'], statusJson), 0);
  assert.equal((JSON.parse(statusJson.stdout.text) as { data: { operation_id: string } }).data.operation_id, 'op_s');

  const results = ioFor(b);
  assert.equal(await runCli(['ops', 'results', 'op_s'], results), 0, results.stderr.text);
  assert.match(results.stdout.text, /^Results of op_s\n\nMetric\s+Value\n/);
  assert.match(results.stdout.text, /0 trades, 0 equity points in the full result/);
  const resultsJson = ioFor(b);
  assert.equal(await runCli(['--json', 'ops', 'results', 'op_s'], resultsJson), 0);
  assert.equal((JSON.parse(resultsJson.stdout.text) as { data: { trade_count: number } }).data.trade_count, 20);

  scriptStuck(b, 'op_k');
  const cancel = ioFor(b);
  assert.equal(await runCli(['ops', 'cancel', 'op_k', '--reason', 'wrong dates'], cancel), 0, cancel.stderr.text);
  assert.equal(cancel.stdout.text, 'Operation op_k is cancelled (wrong dates)\n');
  assert.deepEqual(b.requestsTo('DELETE', '/api/v1/operations/op_k/cancel')[0]?.body, { reason: 'wrong dates' });
});

test('health: backend and worker summary', async (t) => {
  const b = await backend(t);
  b.workers = [makeWorker({ worker_id: 'w1' })];
  const io = ioFor(b);
  assert.equal(await runCli(['health'], io), 0, io.stderr.text);
  assert.match(io.stdout.text, new RegExp(`^Backend ${b.url.replace(/\./g, '\\.')}: healthy \\(ktrdr-backend 0\\.1\\.0\\)\\n`));
  const json = ioFor(b);
  assert.equal(await runCli(['health', '--json'], json), 0);
  assert.equal((JSON.parse(json.stdout.text) as { workers: { total_workers: number } }).workers.total_workers, 1);
});
