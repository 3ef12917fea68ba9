import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSha256Cache } from '../../../src/domain/data/file-sha256.js';
import { installDataFile } from '../../../src/domain/data/install-data-file.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

test('file hashes follow the bytes: a rewrite (new mtime or size) is hashed again; a missing file has none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ktrdr-sha-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cache = new FileSha256Cache();
  const path = join(dir, 'EURUSD_1h.csv');
  assert.equal(await cache.sha256(path), undefined);
  await writeFile(path, 'a,b\n1,2\n');
  assert.equal(await cache.sha256(path), hex('a,b\n1,2\n'));
  await writeFile(path, 'a,b\n3,4\n'); // same size: the mtime tells it apart
  await utimes(path, new Date(), new Date(Date.now() + 5_000));
  assert.equal(await cache.sha256(path), hex('a,b\n3,4\n'));
  await writeFile(path, 'a,b\n3,4\n5,6\n');
  assert.equal(await cache.sha256(path), hex('a,b\n3,4\n5,6\n'));
  assert.equal(await cache.sha256(dir), undefined, 'a folder is not a file');
});

test('installDataFile checks the hash, then replaces the file atomically with a readable one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ktrdr-install-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bytes = Buffer.from('timestamp,open\n');
  await assert.rejects(installDataFile(join(dir, 'data'), 'EURUSD', '1h', bytes, '0'.repeat(64)), /hash mismatch/);
  await assert.rejects(installDataFile(join(dir, 'data'), '..', '1h', bytes, hex('timestamp,open\n')), /invalid symbol/);
  const [a, b] = await Promise.all([1, 2].map(() => installDataFile(join(dir, 'data'), 'EURUSD', '1h', bytes, hex('timestamp,open\n'))));
  assert.equal(a, b);
  const { readdir, readFile, stat } = await import('node:fs/promises');
  assert.deepEqual(await readdir(join(dir, 'data')), ['EURUSD_1h.csv']);
  assert.equal(await readFile(a!, 'utf8'), 'timestamp,open\n');
  assert.equal((await stat(a!)).mode & 0o777, 0o644);
});
