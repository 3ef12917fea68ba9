import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPrng, hashString } from '../../../src/domain/data/prng.js';

test('same seed gives the same stream; different seeds differ', () => {
  const a = createPrng(42);
  const b = createPrng(42);
  const c = createPrng(43);
  const xs = Array.from({ length: 100 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 100 }, () => b.nextUint32()), xs);
  assert.notDeepEqual(Array.from({ length: 100 }, () => c.nextUint32()), xs);
  assert.deepEqual(Array.from({ length: 5 }, createPrng('EURUSD').next), Array.from({ length: 5 }, createPrng('EURUSD').next));
});

test('uniform draws are in [0, 1) with mean 1/2 and variance 1/12', () => {
  const rng = createPrng(1);
  const n = 100_000;
  let sum = 0;
  let sq = 0;
  const buckets = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sq += u * u;
    buckets[Math.floor(u * 10)]!++;
  }
  const mean = sum / n;
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(sq / n - mean * mean - 1 / 12) < 0.002);
  for (const b of buckets) assert.ok(Math.abs(b - n / 10) < 600, `bucket ${b}`); // ~6 sd
});

test('normal draws have mean 0, variance 1, no skew and kurtosis 3', () => {
  const rng = createPrng(2);
  const n = 100_000;
  let m1 = 0, m2 = 0, m3 = 0, m4 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    m1 += z;
    m2 += z * z;
    m3 += z ** 3;
    m4 += z ** 4;
  }
  assert.ok(Math.abs(m1 / n) < 0.02);
  assert.ok(Math.abs(m2 / n - 1) < 0.02);
  assert.ok(Math.abs(m3 / n) < 0.05);
  assert.ok(Math.abs(m4 / n - 3) < 0.1);
});

test('hashString is FNV-1a', () => {
  // Published FNV-1a 32-bit test vectors.
  assert.equal(hashString(''), 0x811c9dc5);
  assert.equal(hashString('a'), 0xe40c292c);
  assert.equal(hashString('foobar'), 0xbf9cf968);
});
