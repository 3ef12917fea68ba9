import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { computeDataHash } from '../../../src/domain/model/data-hash.js';

test('SHA-256 over length-prefixed parts (checked against node:crypto directly)', () => {
  // 'ab' as UTF-8 with an 8-byte little-endian length prefix of 2.
  const expected = createHash('sha256')
    .update(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]))
    .update('ab')
    .digest('hex');
  assert.equal(computeDataHash(['ab']), `sha256:${expected}`);
});

test('typed arrays hash by their bytes (views respected); splits and content both matter', () => {
  const a = Float64Array.from([1, 2, 3]);
  assert.equal(computeDataHash([a]), computeDataHash([Float64Array.from([1, 2, 3])]));
  assert.equal(computeDataHash([a.subarray(1)]), computeDataHash([Float64Array.from([2, 3])]));
  assert.notEqual(computeDataHash([a]), computeDataHash([Float64Array.from([1, 2, 4])]));
  assert.notEqual(computeDataHash(['ab', 'c']), computeDataHash(['a', 'bc']));
  assert.match(computeDataHash([]), /^sha256:[0-9a-f]{64}$/);
});
