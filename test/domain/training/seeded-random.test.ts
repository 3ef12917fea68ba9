import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom, shuffleInPlace } from '../../../src/domain/training/seeded-random.js';

test('same seed, same stream; values in [0, 1)', () => {
  const a = createSeededRandom(9);
  const b = createSeededRandom(9);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, String(mean));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, createSeededRandom(10)));
});

test('shuffle is a permutation and reproducible from the seed', () => {
  const shuffled = (seed: number) => shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), createSeededRandom(seed));
  const s = shuffled(3);
  assert.deepEqual(Array.from(s).sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(Array.from(s), Array.from(shuffled(3)));
  assert.notDeepEqual(Array.from(s), Array.from({ length: 50 }, (_, i) => i));
});
