import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  decodeSeriesFrame,
  encodeSeriesFrame,
  InvalidSeriesFrameError,
  SERIES_FRAME_MEDIA_TYPE,
  type BinaryBlob,
} from '../../src/contracts/index.js';
import { drawdowns } from '../../src/contracts/downsample-series.js';
import { renderResult } from '../../src/core/results/render-result.js';
import { isStoredBlobRef, ResultFiles } from '../../src/core/results/result-files.js';
import { withResultFiles } from '../../src/core/results/with-result-files.js';
import { SqliteOperationStore } from '../../src/core/operations/sqlite-operation-store.js';
import { artifactToWire, transferables } from '../../src/worker-kit/artifact-wire.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-results-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A bumpy equity curve with one deep drawdown in the middle. */
function curve(n: number): { time: Float64Array; equity: Float64Array } {
  const time = new Float64Array(n);
  const equity = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = Date.UTC(2020, 0, 1) + i * 3_600_000;
    equity[i] = 100_000 + 500 * Math.sin(i / 37) + i * 0.5 - (i > n / 2 && i < n / 2 + 50 ? 20_000 : 0);
  }
  return { time, equity };
}

test('a series frame round-trips its columns and owns its buffer (so it can be transferred)', () => {
  const { time, equity } = curve(1001);
  const bytes = encodeSeriesFrame({ time, equity }, { time_column: 'time', value_column: 'equity' });
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.byteLength, bytes.buffer.byteLength);
  assert.deepEqual(transferables({ equity_curve: bytes, trades: [] }), [bytes.buffer]);
  assert.deepEqual(transferables({ part: bytes.subarray(8) }), [], 'a view on part of a buffer is copied, not transferred');
  const frame = decodeSeriesFrame(bytes);
  assert.deepEqual(frame.header, { time_column: 'time', value_column: 'equity', columns: ['time', 'equity'], length: 1001 });
  assert.deepEqual(frame.columns['time'], time);
  assert.deepEqual(frame.columns['equity'], equity);
  // Read at an odd offset (as from a file read into a shared pool), the columns are copied out.
  const shifted = new Uint8Array(bytes.byteLength + 3);
  shifted.set(bytes, 3);
  assert.deepEqual(decodeSeriesFrame(shifted.subarray(3)).columns['equity'], equity);
});

test('decoding refuses what is not a frame of this version, naming why', () => {
  const bytes = encodeSeriesFrame({ x: [1, 2, 3] });
  assert.throws(() => decodeSeriesFrame(new Uint8Array(4)), InvalidSeriesFrameError);
  const badMagic = bytes.slice();
  badMagic[0] = 0;
  assert.throws(() => decodeSeriesFrame(badMagic), /bad magic/);
  const badVersion = bytes.slice();
  badVersion[4] = 9;
  assert.throws(() => decodeSeriesFrame(badVersion), /version 9/);
  assert.throws(() => decodeSeriesFrame(bytes.subarray(0, bytes.byteLength - 8)), /truncated data/);
  assert.throws(() => encodeSeriesFrame({ a: [1, 2], b: [1] }), /column 'b' has 1 values, expected 2/);
});

test('the file store writes blobs atomically under their own names, reads them back, and removes them', async (t) => {
  const dir = tempDir(t);
  const files = new ResultFiles({ dir });
  const { time, equity } = curve(5000);
  const bytes = encodeSeriesFrame({ time, equity }, { time_column: 'time', value_column: 'equity' });
  const wire = artifactToWire({ metrics: { total_return: 1 }, equity_curve: bytes }) as { metrics: unknown; equity_curve: BinaryBlob };
  assert.equal(wire.equity_curve.media_type, SERIES_FRAME_MEDIA_TYPE);
  const opId = 'op_backtesting_1';
  const first = files.storeBlobs(opId, wire);
  const stored = first.artifact as Record<string, unknown>;
  assert.deepEqual(stored['metrics'], { total_return: 1 }, 'other fields are kept as they are');
  assert.ok(isStoredBlobRef(stored['equity_curve']));
  assert.equal(stored['equity_curve'].bytes, bytes.byteLength);
  const opDir = files.operationDir(opId);
  assert.deepEqual(readdirSync(opDir), first.files, 'no temp file is left behind');
  assert.deepEqual(new Uint8Array(readFileSync(join(opDir, first.files[0]!))), bytes, 'the bytes are written as sent');
  assert.deepEqual(await files.read(opId, stored['equity_curve']), bytes);

  // A second (duplicate) report gets a name of its own: the bytes the first one points to stay.
  const second = files.storeBlobs(opId, wire);
  assert.notDeepEqual(second.files, first.files);
  await files.discard(opId, second.files);
  assert.deepEqual(readdirSync(opDir), first.files);

  const plain = { values: [0, 1, 4, 9] };
  const untouched = files.storeBlobs('op_plain', plain);
  assert.equal(untouched.artifact, plain);
  assert.equal(existsSync(files.operationDir('op_plain')), false, 'an artifact without bytes writes nothing');

  await files.remove(opId);
  assert.equal(existsSync(opDir), false);
});

test('operation ids from outside never leave the results folder', async (t) => {
  const dir = tempDir(t);
  const files = new ResultFiles({ dir: join(dir, 'results') });
  const blob = artifactToWire({ b: new Uint8Array([1, 2, 3]) });
  for (const id of ['../escape', '..', '.', 'a/../../b', 'x\\..\\y']) {
    const { files: written } = files.storeBlobs(id, blob);
    assert.equal(written.length, 1);
    assert.ok(files.operationDir(id).startsWith(join(dir, 'results') + '/'), id);
  }
  assert.deepEqual(readdirSync(dir), ['results']);
  await assert.rejects(files.read('x', { $file: '../../etc/passwd', media_type: 'x', bytes: 1 }), /bad result file name/);
});

test('a stored result renders its equity curve downsampled by default and every bar on request, from a file or inline', async (t) => {
  const files = new ResultFiles({ dir: tempDir(t) });
  const { time, equity } = curve(20_000);
  const bench = equity.map((v) => v * 0.9);
  const bytes = encodeSeriesFrame({ time, equity, benchmark_equity: bench }, { time_column: 'time', value_column: 'equity' });
  const wire = artifactToWire({ trades: [], equity_curve: bytes });
  const { artifact } = files.storeBlobs('op_1', wire);
  const read = (ref: Parameters<ResultFiles['read']>[1]) => files.read('op_1', ref);

  const small = (await renderResult(artifact, { full: false, maxPoints: 1000, read })) as { trades: unknown[]; equity_curve: Record<string, unknown[] | number | boolean> };
  assert.deepEqual(small.trades, []);
  const c = small.equity_curve;
  assert.equal(c['bars'], 20_000);
  assert.equal(c['downsampled'], true);
  const eq = c['equity'] as number[];
  assert.ok(eq.length <= 1000);
  assert.equal((c['time'] as string[]).length, eq.length);
  assert.equal((c['benchmark_equity'] as number[]).length, eq.length);
  assert.equal((c['time'] as string[])[0], new Date(time[0]!).toISOString());
  assert.equal((c['time'] as string[]).at(-1), new Date(time.at(-1)!).toISOString());
  assert.equal(eq[0], equity[0]);
  assert.equal(eq.at(-1), equity.at(-1));
  assert.equal(Math.min(...eq), Math.min(...equity));
  assert.equal(Math.max(...eq), Math.max(...equity));
  assert.equal(Math.max(...(c['drawdown_pct'] as number[])), Math.max(...drawdowns(equity)), 'the maximum drawdown survives');

  const full = (await renderResult(artifact, { full: true, maxPoints: 1000, read })) as { equity_curve: Record<string, unknown> };
  assert.equal(full.equity_curve['downsampled'], false);
  assert.deepEqual(full.equity_curve['equity'], Array.from(equity));
  assert.equal((full.equity_curve['time'] as string[]).length, 20_000);

  // The polling path stores the artifact as the worker serves it: base64 inline. Same view.
  const inline = (await renderResult(wire, { full: false, maxPoints: 1000, read })) as typeof small;
  assert.deepEqual(inline.equity_curve, c);
});

test('a result saved through the store (the polling path, base64 inline) is kept as a file too', async (t) => {
  const dir = tempDir(t);
  const files = new ResultFiles({ dir: join(dir, 'results') });
  const store = withResultFiles(new SqliteOperationStore(join(dir, 'ktrdr.db')), files);
  t.after(async () => store.close());
  const bytes = encodeSeriesFrame({ time: [1, 2], equity: [3, 4] }, { time_column: 'time', value_column: 'equity' });
  await store.saveResult('op_polled', artifactToWire({ trades: [], equity_curve: bytes }));
  const stored = (await store.getResult('op_polled')) as Record<string, unknown>;
  assert.deepEqual(stored['trades'], []);
  assert.ok(isStoredBlobRef(stored['equity_curve']), 'the store holds a reference, not 4/3 of the bytes as base64');
  assert.deepEqual(await files.read('op_polled', stored['equity_curve']), bytes);
  await store.saveResult('op_plain', { values: [1] });
  assert.deepEqual(await store.getResult('op_plain'), { values: [1] });
});
