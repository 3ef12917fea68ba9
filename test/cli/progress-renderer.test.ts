import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyProgress, type OperationStatus } from '../../src/contracts/index.js';
import { describeProgress, progressBar, ProgressRenderer } from '../../src/cli/progress-renderer.js';
import { BufferSink } from './helpers/fake-io.js';

function snap(percentage: number, step: string | null, status: OperationStatus = 'running') {
  return { status, progress: { ...emptyProgress(), percentage, current_step: step } };
}

test('describeProgress: percentage padded to 5 with one decimal, then the step (or the status)', () => {
  assert.equal(describeProgress(snap(42, 'Processing bar 420/1000')), '[ 42.0%] Processing bar 420/1000');
  assert.equal(describeProgress(snap(5, 'x')), '[  5.0%] x');
  assert.equal(describeProgress(snap(100, 'Completed', 'completed')), '[100.0%] Completed');
  assert.equal(describeProgress(snap(0, null, 'pending')), '[  0.0%] pending');
  assert.equal(describeProgress(snap(150, 'over')), '[100.0%] over');
  assert.equal(describeProgress(snap(30, 'Processing bar 300/1000', 'cancelled')), '[ 30.0%] cancelled');
  assert.equal(describeProgress(snap(30, 'Processing bar 300/1000', 'failed')), '[ 30.0%] failed');
});

test('progressBar fills round(p/100 * width) cells', () => {
  assert.equal(progressBar(50, 10), '[█████░░░░░]');
  assert.equal(progressBar(0, 4), '[░░░░]');
  assert.equal(progressBar(100, 4), '[████]');
  assert.equal(progressBar(12.5, 8), '[█░░░░░░░]');
});

test('non-TTY: prints a plain line only when the text changes', () => {
  const out = new BufferSink();
  const r = new ProgressRenderer(out, { isTTY: false });
  r.update(snap(0, null, 'pending'));
  r.update(snap(0, null, 'pending'));
  r.update(snap(42, 'Processing bar 420/1000'));
  r.update(snap(42, 'Processing bar 420/1000'));
  r.log('Epoch 1: train_loss=0.5000');
  r.update(snap(100, 'Completed', 'completed'));
  r.finish();
  assert.equal(
    out.text,
    '[  0.0%] pending\n[ 42.0%] Processing bar 420/1000\nEpoch 1: train_loss=0.5000\n[100.0%] Completed\n',
  );
  assert.ok(!out.text.includes('\r'), 'no carriage returns off a terminal');
});

test('TTY: redraws one line in place with bar and ETA from the observed rate', () => {
  const out = new BufferSink();
  let now = 0;
  const r = new ProgressRenderer(out, { isTTY: true, now: () => now, barWidth: 10, columns: 100 });
  r.update(snap(10, 'Processing bar 100/1000'));
  now = 10_000; // 10 % more in 10 s: 1 %/s, 70 % left → 70 s
  r.update(snap(20, 'Processing bar 200/1000'));
  const frames = out.text.split('\r\x1b[2K').filter((s) => s !== '');
  assert.equal(frames.length, 2);
  assert.equal(frames[0], '[█░░░░░░░░░]  10.0%  Processing bar 100/1000');
  assert.equal(frames[1], '[██░░░░░░░░]  20.0%  Processing bar 200/1000  ETA 1m20s');
  assert.ok(!out.text.includes('\n'), 'nothing scrolls while running');
  r.finish();
  assert.ok(out.text.endsWith('\n'));
});

test('TTY: the rate starts at the last poll before progress moved (queue time is not counted)', () => {
  const out = new BufferSink();
  let now = 0;
  const r = new ProgressRenderer(out, { isTTY: true, now: () => now, barWidth: 4 });
  r.update(snap(0, null, 'pending'));
  now = 60_000;
  r.update(snap(0, 'Starting'));
  now = 65_000; // 25 % in 5 s → 75 % left takes 15 s
  r.update(snap(25, 'Working'));
  assert.ok(out.text.endsWith('ETA 15s'), out.text);
});

test('TTY: log() clears the live line, prints the text, and redraws the line', () => {
  const out = new BufferSink();
  const r = new ProgressRenderer(out, { isTTY: true, barWidth: 4, now: () => 0 });
  r.update(snap(50, 'Epoch 2/4'));
  out.text = '';
  r.log('Epoch 1: train_loss=0.7000');
  assert.equal(out.text, '\r\x1b[2KEpoch 1: train_loss=0.7000\n[██░░]  50.0%  Epoch 2/4');
});

test('TTY: the line is cut to the terminal width', () => {
  const out = new BufferSink();
  const r = new ProgressRenderer(out, { isTTY: true, columns: 40, barWidth: 10, now: () => 0 });
  r.update(snap(30, 'A very long step description that cannot fit on one line at all'));
  const frame = out.text.replace('\r\x1b[2K', '');
  assert.ok(frame.length <= 39, `${frame.length}: ${frame}`);
  assert.ok(frame.endsWith('…'));
});
