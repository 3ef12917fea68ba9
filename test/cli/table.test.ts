import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shouldUseColor } from '../../src/cli/status-color.js';
import { elideMiddle, formatKeyValues, formatTable, truncate } from '../../src/cli/table.js';

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

interface OpRow {
  id: string;
  type: string;
  status: string;
  created: string;
  subject: string;
}

const opColumns = [
  { header: 'ID', value: (r: OpRow) => r.id, minWidth: 24, elide: 'middle' as const },
  { header: 'TYPE', value: (r: OpRow) => r.type, dropRank: 1 },
  { header: 'STATUS', value: (r: OpRow) => r.status, colorBy: (r: OpRow) => r.status },
  { header: 'CREATED', value: (r: OpRow) => r.created, dropRank: 2 },
  { header: 'SUBJECT', value: (r: OpRow) => r.subject, minWidth: 12 },
];
const opRows: OpRow[] = [
  { id: 'op_backtesting_20250101_120000_1a2b3c4d', type: 'backtesting', status: 'completed', created: '2025-01-01 12:00:00', subject: 'rsi_macd_1h, EURUSD 1h, 2024-01-01 → 2024-06-30' },
  { id: 'op_training_20250101_120500_99aa88bb', type: 'training', status: 'failed', created: '2025-01-01 12:05:00', subject: 'rsi_macd_1h, EURUSD 1h' },
];
const widest = (text: string) => Math.max(...text.trimEnd().split('\n').map((l) => l.length));

test('formatTable without a width keeps every column whole', () => {
  const text = formatTable(opRows, opColumns);
  assert.ok(widest(text) > 100);
  assert.ok(text.includes('op_backtesting_20250101_120000_1a2b3c4d') && text.includes('TYPE') && text.includes('CREATED'));
});

test('formatTable fits a width: cuts free text, then drops columns by rank, keeping whole ids while they fit', () => {
  const text = formatTable(opRows, opColumns, { width: 90 });
  assert.ok(widest(text) <= 90, text);
  const [header] = text.split('\n');
  assert.deepEqual(header?.split(/\s+/), ['ID', 'STATUS', 'CREATED', 'SUBJECT']); // TYPE (rank 1) went first
  assert.ok(text.includes('op_backtesting_20250101_120000_1a2b3c4d'), 'the id still fits whole');
  assert.match(text, /rsi_macd_1h, EUR…/); // the subject is cut, not the id

  const narrow = formatTable(opRows, opColumns, { width: 70 });
  assert.ok(widest(narrow) <= 70, narrow);
  assert.deepEqual(narrow.split('\n')[0]?.split(/\s+/), ['ID', 'STATUS', 'SUBJECT']);
  assert.ok(narrow.includes('op_backtesting_20250101_120000_1a2b3c4d'));

  const tiny = formatTable(opRows, opColumns, { width: 50 });
  assert.ok(widest(tiny) <= 50, tiny);
  assert.match(tiny, /^op_backtesti…[0-9_]*1a2b3c4d /m); // last resort: the id's middle goes, head and tail stay
});

test('formatTable colours status cells only when asked, padding by the visible text', () => {
  const plain = formatTable(opRows, opColumns);
  assert.ok(!plain.includes('\x1b['));
  const colored = formatTable(opRows, opColumns, { color: true });
  assert.ok(colored.includes('\x1b[32mcompleted\x1b[0m') && colored.includes('\x1b[31mfailed\x1b[0m'));
  // eslint-disable-next-line no-control-regex
  assert.equal(colored.replace(/\x1b\[\d+m/g, ''), plain);
});

test('elideMiddle keeps the head and tail', () => {
  assert.equal(elideMiddle('abcdefghij', 10), 'abcdefghij');
  assert.equal(elideMiddle('abcdefghij', 5), 'ab…ij');
  assert.equal(elideMiddle('abcdefghij', 1), '…');
});

test('shouldUseColor: a terminal without NO_COLOR', () => {
  assert.equal(shouldUseColor(true, {}), true);
  assert.equal(shouldUseColor(true, { NO_COLOR: '' }), true);
  assert.equal(shouldUseColor(true, { NO_COLOR: '1' }), false);
  assert.equal(shouldUseColor(false, {}), false);
});
