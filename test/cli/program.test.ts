import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../../src/cli/run-cli.js';
import { repoRoot } from '../helpers/paths.js';
import { fakeIo } from './helpers/fake-io.js';

async function help(args: string[]): Promise<string> {
  const io = fakeIo();
  const code = await runCli([...args, '--help'], io);
  assert.equal(code, 0, io.stderr.text);
  return io.stdout.text;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('buildProgram: every command of the brief exists, with its aliases', () => {
  const program = buildProgram(fakeIo());
  const names = program.commands.map((c) => c.name());
  for (const n of ['backtests', 'backtest', 'models', 'train', 'operations', 'workers', 'data', 'strategies', 'backend', 'worker', 'up', 'demo']) {
    assert.ok(names.includes(n), `missing command ${n}`);
  }
  assert.deepEqual(program.commands.find((c) => c.name() === 'operations')?.aliases(), ['ops']);
  const sub = (name: string) => program.commands.find((c) => c.name() === name)?.commands.map((c) => c.name()) ?? [];
  assert.deepEqual(sub('operations'), ['list', 'status', 'follow', 'cancel', 'results']);
  assert.deepEqual(sub('data'), ['generate', 'import', 'list']);
  assert.deepEqual(sub('strategies'), ['list', 'validate']);
  assert.ok(sub('workers').includes('list') && sub('workers').includes('health'));
});

test('--help texts mention the important options (and the global ones)', async () => {
  const root = await help([]);
  for (const s of ['--url', '--token', '--json', 'KTRDR_API_URL', 'ktrdr up']) assert.ok(root.includes(s), `root help lacks ${s}`);

  const bt = await help(['backtests', 'start']);
  for (const s of ['--strategy', '--model', '--symbol', '--timeframe', '--start-date', '--end-date', '--capital', '--commission', '--slippage', '--follow', '--cancel-on-interrupt', '--json', '--url']) {
    assert.ok(bt.includes(s), `backtests start help lacks ${s}`);
  }
  const short = await help(['backtest']);
  assert.match(short, /Usage: ktrdr backtest \[options\] <strategy>/);
  assert.ok(short.includes('--start-date'));

  const train = await help(['models', 'train']);
  for (const s of ['--strategy', '--symbols', '--timeframes', '--start-date', '--end-date', '--prefer-gpu', '--no-prefer-gpu', '--require-gpu', '--follow']) {
    assert.ok(train.includes(s), `models train help lacks ${s}`);
  }
  const list = await help(['operations', 'list']);
  for (const s of ['--status', '--type', '--active', '--limit']) assert.ok(list.includes(s), `operations list help lacks ${s}`);
  assert.ok((await help(['operations', 'cancel'])).includes('--reason'));
  const up = await help(['up']);
  for (const s of ['--backtest-workers', '--training-workers', '--gpu-workers', '--port', '--host', '--insecure']) assert.ok(up.includes(s), `up help lacks ${s}`);
  const imp = await help(['data', 'import']);
  for (const s of ['<file>', '--symbol', '--timeframe', '--overwrite', '--data-dir']) assert.ok(imp.includes(s), `data import help lacks ${s}`);
  assert.ok((await help(['backend'])).includes('--host'));
  assert.ok((await help(['demo'])).includes('--exit'));
  assert.ok((await help(['worker'])).includes('backtesting or training'));
});

test('usage errors exit 2 with commander\'s message on stderr and nothing on stdout', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['backtests', 'start', '--strategy', 's', '--end-date', '2024-02-01'], /required option '--start-date <date>' not specified/],
    [['backtest', 's', '--start-date', '2024-01-01', '--end-date', '2024-02-01', '--capital', 'lots'], /'lots' is not a number/],
    [['backtest', 's', '--start-date', '01/02/2024', '--end-date', '2024-02-01'], /'01\/02\/2024' is not a date/],
    [['operations', 'list', '--status', 'done'], /'done' is not a status/],
    [['operations', 'list', '--limit', '0'], /must be a whole number, 1 or more/],
    [['ops', 'status'], /missing required argument 'operation-id'/],
    [['worker', 'gpu'], /'gpu' is not a worker type/],
    [['up', '--backtest-workers', '-1'], /whole number, 0 or more/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['workers', 'list', '--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, pattern] of cases) {
    const io = fakeIo();
    const code = await runCli(args, io);
    assert.equal(code, 2, `${args.join(' ')} → ${code}: ${io.stderr.text}`);
    assert.match(io.stderr.text, pattern, args.join(' '));
    assert.equal(io.stdout.text, '', args.join(' '));
  }
});

test('backtests start without --strategy or a STRATEGY/TF_vN model is a usage error', async () => {
  const io = fakeIo({ env: { KTRDR_API_URL: 'http://127.0.0.1:9' } });
  const code = await runCli(['backtests', 'start', '--start-date', '2024-01-01', '--end-date', '2024-02-01'], io);
  assert.equal(code, 2);
  assert.match(io.stderr.text, /^error: a strategy is required: --strategy NAME/);
});

test('--url must be an http(s) URL', async () => {
  const io = fakeIo();
  assert.equal(await runCli(['--url', 'ftp://example.com', 'workers'], io), 2);
  assert.match(io.stderr.text, /--url ftp:\/\/example\.com: expected an http:\/\/ or https:\/\/ URL/);
});

test('a bad KTRDR_API_URL is reported in one line', async () => {
  const io = fakeIo({ env: { KTRDR_API_URL: 'not a url' } });
  assert.equal(await runCli(['ops'], io), 1);
  assert.match(io.stderr.text, /^error: KTRDR_API_URL=not a url: not a URL/);
});

test('data generate writes the sample files; --json output parses and matches the files on disk', async (t) => {
  const dir = tempDir(t);
  const io = fakeIo();
  const code = await runCli(['--json', 'data', 'generate', '--data-dir', dir, '--symbols', 'EURUSD', '--start', '2024-01-01', '--end', '2024-01-14'], io);
  assert.equal(code, 0, io.stderr.text);
  const out = JSON.parse(io.stdout.text) as { data_dir: string; files: Array<{ symbol: string; timeframe: string; path: string; rows: number }> };
  assert.equal(out.data_dir, dir);
  assert.deepEqual(out.files.map((f) => `${f.symbol}_${f.timeframe}`), ['EURUSD_1h', 'EURUSD_4h', 'EURUSD_1d']);
  for (const f of out.files) {
    const lines = readFileSync(f.path, 'utf8').trimEnd().split('\n');
    assert.equal(f.rows, lines.length - 1, `${f.path}: rows = lines - header`);
  }
  // Daily bars: at most one per calendar day of the 14-day range.
  assert.ok((out.files[2]?.rows ?? 0) <= 14);

  const listIo = fakeIo({ env: { KTRDR_DATA_DIR: dir } });
  assert.equal(await runCli(['data', 'list'], listIo), 0);
  assert.match(listIo.stdout.text, /^SYMBOL\s+TIMEFRAME\s+FILE\n/);
  assert.equal(listIo.stdout.text.trimEnd().split('\n').length, 2 + 3);
});

test('data import: parses a foreign CSV, refuses to overwrite without --overwrite', async (t) => {
  const dir = tempDir(t);
  const csv = join(dir, 'in.csv');
  // Descending, semicolon-separated, decimal commas, Date + Time columns: the importer sorts it.
  writeFileSync(
    csv,
    [
      'Date;Time;Open;High;Low;Close;Volume',
      '2024-01-02;03:00;1,1040;1,1060;1,1030;1,1050;90',
      '2024-01-02;02:00;1,1020;1,1045;1,1010;1,1040;80',
      '2024-01-02;01:00;1,1000;1,1030;1,0990;1,1020;70',
      '2024-01-02;00:00;1,0990;1,1010;1,0980;1,1000;60',
    ].join('\n'),
  );
  const io = fakeIo();
  assert.equal(await runCli(['--json', 'data', 'import', csv, '--symbol', 'TEST', '--timeframe', '1h', '--data-dir', dir], io), 0, io.stderr.text);
  const result = JSON.parse(io.stdout.text) as { path: string; rows: number; first: string; last: string };
  assert.equal(result.rows, 4);
  assert.equal(result.path, join(dir, 'TEST_1h.csv'));
  assert.match(result.first, /^2024-01-02T00:00/);
  assert.match(result.last, /^2024-01-02T03:00/);
  assert.ok(existsSync(result.path));

  const again = fakeIo();
  assert.equal(await runCli(['data', 'import', csv, '--symbol', 'TEST', '--timeframe', '1h', '--data-dir', dir], again), 1);
  assert.match(again.stderr.text, /already exists.*--overwrite/);
  const forced = fakeIo();
  assert.equal(await runCli(['data', 'import', csv, '--symbol', 'TEST', '--timeframe', '1h', '--data-dir', dir, '--overwrite'], forced), 0);
  assert.match(forced.stdout.text, /Imported:\s+4 bars of TEST 1h/);
});

test('strategies list and validate on the shipped strategies', async () => {
  const dir = join(repoRoot, 'strategies');
  const io = fakeIo();
  assert.equal(await runCli(['--json', 'strategies', 'list', '--strategies-dir', dir], io), 0, io.stderr.text);
  const out = JSON.parse(io.stdout.text) as { strategies: Array<{ name: string; valid: boolean }> };
  assert.ok(out.strategies.length >= 1);
  assert.ok(out.strategies.some((s) => s.name === 'rsi_macd_1h'));
  for (const s of out.strategies) assert.equal(s.valid, true, s.name);

  const v = fakeIo({ env: { KTRDR_STRATEGIES_DIR: dir } });
  assert.equal(await runCli(['strategies', 'validate', 'rsi_macd_1h'], v), 0, v.stderr.text);
  assert.match(v.stdout.text, /rsi_macd_1h\.yaml is a valid strategy/);
});

test('strategies validate prints every path-named issue and exits 1', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken.yaml');
  const good = readFileSync(join(repoRoot, 'strategies', 'rsi_reversion_rules.yaml'), 'utf8');
  const bad = good.replace(/indicator: rsi_14\s*$/m, 'indicator: rsi_99');
  assert.notEqual(bad, good, 'the fixture edit must apply');
  writeFileSync(file, bad);
  const io = fakeIo();
  assert.equal(await runCli(['strategies', 'validate', file], io), 1);
  assert.match(io.stdout.text, /fuzzy_sets\.rsi_14\.indicator\s+unknown indicator 'rsi_99'/);
  assert.match(io.stderr.text, /^error: strategy .*broken\.yaml is invalid \(1 issue\)\n$/);

  const json = fakeIo();
  assert.equal(await runCli(['--json', 'strategies', 'validate', file], json), 1);
  const parsed = JSON.parse(json.stdout.text) as { valid: boolean; issues: Array<{ path: string }> };
  assert.equal(parsed.valid, false);
  assert.deepEqual(parsed.issues.map((i) => i.path), ['fuzzy_sets.rsi_14.indicator']);
});

test('strategies validate of a missing strategy names the available ones', async () => {
  const io = fakeIo();
  assert.equal(await runCli(['strategies', 'validate', 'nope', '--strategies-dir', join(repoRoot, 'strategies')], io), 1);
  assert.match(io.stderr.text, /strategy 'nope' not found .*available: .*rsi_macd_1h/);
});
