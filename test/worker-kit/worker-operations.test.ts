import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerOperations } from '../../src/worker-kit/worker-operations.js';

const bulky = () => ({ equity_curve: new Uint8Array(1024) });

test('a delivered artifact is dropped; the op and its summary stay', () => {
  const ops = new WorkerOperations('w1');
  ops.create('op1', 'backtesting', { parameters: {} });
  ops.complete('op1', { summary: { total: 1 }, artifact: bulky() });
  assert.equal(ops.artifactCount(), 1);
  assert.equal(ops.artifact('op1').found, true);
  ops.dropArtifact('op1');
  assert.equal(ops.artifactCount(), 0);
  assert.deepEqual(ops.artifact('op1'), { found: false, artifact: undefined, dropped: true });
  assert.equal(ops.read('op1')?.status, 'completed');
  assert.deepEqual(ops.read('op1')?.result_summary, { total: 1 });
});

test('after N runs whose final state was never acknowledged, at most keepArtifacts artifacts are held', () => {
  const ops = new WorkerOperations('w1', 200, 3);
  for (let i = 0; i < 20; i++) {
    ops.create(`op${i}`, 'backtesting', { parameters: {} });
    ops.complete(`op${i}`, { summary: {}, artifact: bulky() });
  }
  assert.equal(ops.artifactCount(), 3);
  assert.deepEqual([17, 18, 19].map((i) => ops.artifact(`op${i}`).found), [true, true, true], 'the newest are kept');
  assert.equal(ops.artifact('op0').dropped, true);
  for (let i = 17; i < 20; i++) ops.dropArtifact(`op${i}`);
  assert.equal(ops.artifactCount(), 0, 'after every push was acknowledged the worker holds no artifact');
});
