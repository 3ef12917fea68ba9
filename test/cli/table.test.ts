import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatKeyValues, formatTable, truncate } from '../../src/cli/table.js';

interface Row {
  name: string;
  n: number | null;
}

test('formatTable pads columns to the widest cell, right-aligns numbers, trims trailing spaces', () => {
  const rows: Row[] = [
    { name: 'a', n: 5 },
    { name: 'longer', n: 1234 },
  ];
  const text = formatTable(rows, [
    { header: 'NAME', value: (r) => r.name },
    { header: 'N', value: (r) => r.n, align: 'right' },
  ]);
  assert.equal(text, ['NAME       N', '------  ----', 'a          5', 'longer  1234', ''].join('\n'));
});

test('formatTable prints - for missing cells, cuts long cells with …, and flattens newlines', () => {
  const text = formatTable([{ name: 'abcdefghij\nxy', n: null }], [
    { header: 'NAME', value: (r: Row) => r.name, maxWidth: 5 },
    { header: 'N', value: (r: Row) => r.n },
  ]);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[2], 'abcd…  -');
});

test('formatTable with no rows prints the empty text', () => {
  assert.equal(formatTable([], [{ header: 'X', value: () => 'x' }], { emptyText: 'No workers.' }), 'No workers.\n');
  assert.equal(formatTable([], [{ header: 'X', value: () => 'x' }]), '(none)\n');
});

test('truncate keeps short text and marks cuts', () => {
  assert.equal(truncate('abc', 3), 'abc');
  assert.equal(truncate('abcd', 3), 'ab…');
  assert.equal(truncate('abcd', 0), '');
});

test('formatKeyValues aligns values and skips undefined', () => {
  const text = formatKeyValues([
    ['Status', 'running'],
    ['Skipped', undefined],
    ['Worker id', null],
  ]);
  assert.equal(text, 'Status:     running\nWorker id:  -\n');
});
