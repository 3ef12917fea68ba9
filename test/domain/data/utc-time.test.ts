import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUtcTimestamp, parseDateBound, parseUtcTimestamp } from '../../../src/domain/data/utc-time.js';

test('parses random timestamps exactly like Date.parse (oracle) across centuries and leap days', () => {
  let seed = 99;
  const rnd = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < 5000; i++) {
    const ms = Math.floor(Date.UTC(1900, 0, 1) + rnd() * (Date.UTC(2200, 0, 1) - Date.UTC(1900, 0, 1)));
    const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
    assert.equal(parseUtcTimestamp(iso), ms, iso);
    assert.equal(parseUtcTimestamp(iso.slice(0, 19) + 'Z'), Date.parse(iso.slice(0, 19) + 'Z'), iso);
    assert.equal(parseUtcTimestamp(iso.slice(0, 10)), Date.parse(iso.slice(0, 10)), iso);
    assert.equal(formatUtcTimestamp(ms), iso.endsWith('.000Z') ? iso.slice(0, 19) + 'Z' : iso);
    assert.equal(formatUtcTimestamp(Math.floor(ms / 1000) * 1000), iso.slice(0, 19) + 'Z');
  }
  assert.equal(parseUtcTimestamp('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  assert.equal(parseUtcTimestamp('2000-02-29'), Date.UTC(2000, 1, 29));
});

test('offsets shift to UTC; zone-less date-times need assumeUtc', () => {
  assert.equal(parseUtcTimestamp('2020-01-02T13:00:00+05:30'), Date.UTC(2020, 0, 2, 7, 30));
  assert.equal(parseUtcTimestamp('2020-01-02T13:00-0800'), Date.UTC(2020, 0, 2, 21));
  assert.equal(parseUtcTimestamp('2020-01-02T13:00:00+02'), Date.UTC(2020, 0, 2, 11));
  assert.ok(Number.isNaN(parseUtcTimestamp('2020-01-02T13:00:00')));
  assert.equal(parseUtcTimestamp('2020-01-02 13:00:00', { assumeUtc: true }), Date.UTC(2020, 0, 2, 13));
});

test('rejects malformed and out-of-range values', () => {
  for (const s of ['', '2020', '2020-1-2', '2019-02-29', '2020-04-31', '2020-00-10', '2020-01-02T24:00:00Z', '2020-01-02T10:60:00Z', '2020-01-02T10:00:60Z', '2020-01-02T10:00:00ZZ', '2020-01-02T10:00:00+5', '2020-01-02T10:00:00.Z', '2020-01-02X10:00:00Z', '20200102']) {
    assert.ok(Number.isNaN(parseUtcTimestamp(s, { assumeUtc: true })), s);
  }
});

test('a date-only end bound covers the whole day', () => {
  assert.equal(parseDateBound('2024-12-31', 'start'), Date.UTC(2024, 11, 31));
  assert.equal(parseDateBound('2024-12-31', 'end'), Date.UTC(2025, 0, 1) - 1);
  assert.equal(parseDateBound('2024-12-31T12:00:00Z', 'end'), Date.UTC(2024, 11, 31, 12));
  assert.equal(parseDateBound(' 2024-12-31T12:00 ', 'end'), Date.UTC(2024, 11, 31, 12));
  assert.ok(Number.isNaN(parseDateBound('Dec 31', 'end')));
});
