import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleDirSha256, bundleSha256, packBundle, readBundleFiles, unpackBundle } from '../../../src/domain/model/bundle-archive.js';
import { installBundle, publishBundleVersion, withBundleVersion } from '../../../src/domain/model/bundle-install.js';
import { ModelBundleError } from '../../../src/domain/model/model-bundle-error.js';

function bundle(extra: Record<string, unknown> = {}): Map<string, Buffer> {
  return new Map([
    ['model.json', Buffer.from('{"modelTopology":{}}')],
    ['weights.bin', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])],
    ['features.json', Buffer.from('{"feature_names":["a"]}')],
    ['metadata.json', Buffer.from(JSON.stringify({ format: 'ktrdr-model-bundle/1', strategy_name: 's1', timeframe: '1h', version: 1, ...extra }, null, 2) + '\n')],
  ]);
}

async function tmp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ktrdr-archive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('the bundle hash depends on names and bytes only: insertion order and packing do not change it', () => {
  const a = bundle();
  const b = new Map([...a].reverse());
  assert.equal(bundleSha256(a), bundleSha256(b));
  assert.match(bundleSha256(a), /^[0-9a-f]{64}$/);
  const changed = new Map(a).set('weights.bin', Buffer.from([1, 2, 3, 4, 5, 6, 7, 9]));
  assert.notEqual(bundleSha256(changed), bundleSha256(a));
  const renamed = new Map(a);
  renamed.delete('weights.bin');
  renamed.set('weights2.bin', a.get('weights.bin')!);
  assert.notEqual(bundleSha256(renamed), bundleSha256(a));
  assert.deepEqual(packBundle(a), packBundle(b));
});

test('pack → unpack round-trips and verifies the expected hash', () => {
  const files = bundle();
  const { files: back, sha256 } = unpackBundle(packBundle(files), bundleSha256(files));
  assert.equal(sha256, bundleSha256(files));
  assert.deepEqual([...back.keys()].sort(), [...files.keys()].sort());
  for (const [k, v] of files) assert.deepEqual(back.get(k), v);
  assert.throws(() => unpackBundle(packBundle(files), '0'.repeat(64)), (e: unknown) => e instanceof ModelBundleError && /hash mismatch/.test(e.message));
});

test('a damaged archive is refused, naming what is wrong', () => {
  const archive = packBundle(bundle());
  const reject = (buf: Buffer, why: RegExp) =>
    assert.throws(() => unpackBundle(buf), (e: unknown) => e instanceof ModelBundleError && e.code === 'MODEL_BUNDLE_INVALID' && why.test(e.message));
  reject(Buffer.from('not an archive'), /does not start with/);
  reject(archive.subarray(0, archive.byteLength - 1), /truncated/);
  reject(Buffer.concat([archive, Buffer.from('x')]), /bytes after the last file/);
  const flipped = Buffer.from(archive);
  const last = flipped.byteLength - 1;
  flipped.writeUInt8(flipped.readUInt8(last) ^ 0xff, last);
  reject(flipped, /do not match its sha256/);
  const evil = Buffer.from(`ktrdr-bundle-archive/1\n${JSON.stringify({ files: [{ name: '../x', size: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }] })}\n`);
  reject(evil, /unsafe or repeated file name/);
  assert.throws(() => packBundle(new Map([['a/b', Buffer.alloc(0)]])), RangeError);
});

test('install: atomic, readable (0755/0644), idempotent, and _latest moves to the newest version', async (t) => {
  const root = await tmp(t);
  const files = withBundleVersion(bundle(), 2);
  const sha = bundleSha256(files);
  const first = await installBundle(root, 's1/1h_v2', files, sha);
  assert.equal(first.written, true);
  assert.equal(await bundleDirSha256(first.dir), sha);
  assert.equal((await stat(first.dir)).mode & 0o777, 0o755);
  assert.equal((await stat(join(first.dir, 'weights.bin'))).mode & 0o777, 0o644);
  assert.equal(JSON.parse(await readFile(join(root, 's1', '1h_latest.json'), 'utf8')).version, 2);
  assert.equal((await installBundle(root, 's1/1h_v2', files, sha)).written, false);
  // Files that do not hash to the expected identity are never installed.
  await assert.rejects(installBundle(root, 's1/1h_v3', files, '0'.repeat(64)), /hash mismatch/);
  assert.equal((await readdir(join(root, 's1'))).filter((n) => n.startsWith('1h_v3') || n.startsWith('.tmp')).length, 0);
  await assert.rejects(installBundle(root, '../x/1h_v1', files, sha), RangeError);
});

test('two concurrent installs of the same bundle both succeed and leave one intact copy', async (t) => {
  const root = await tmp(t);
  const files = bundle();
  const sha = bundleSha256(files);
  const results = await Promise.all(Array.from({ length: 4 }, () => installBundle(root, 's1/1h_v1', files, sha)));
  assert.equal(results.filter((r) => r.written).length >= 1, true);
  assert.equal(await bundleDirSha256(join(root, 's1', '1h_v1')), sha);
  assert.deepEqual((await readdir(join(root, 's1'))).sort(), ['1h_latest.json', '1h_v1']);
});

test('a different bundle under the same name: a worker cache replaces it, the store refuses it', async (t) => {
  const root = await tmp(t);
  const mine = bundle({ created_at: 'a' });
  await installBundle(root, 's1/1h_v1', mine, bundleSha256(mine));
  const theirs = bundle({ created_at: 'b' });
  await assert.rejects(
    installBundle(root, 's1/1h_v1', theirs, bundleSha256(theirs), { onConflict: 'refuse' }),
    (e: unknown) => e instanceof ModelBundleError && e.code === 'MODEL_BUNDLE_CONFLICT',
  );
  assert.equal(await bundleDirSha256(join(root, 's1', '1h_v1')), bundleSha256(mine));
  const replaced = await installBundle(root, 's1/1h_v1', theirs, bundleSha256(theirs));
  assert.equal(replaced.written, true);
  assert.equal(await bundleDirSha256(join(root, 's1', '1h_v1')), bundleSha256(theirs));
  assert.deepEqual((await readdir(join(root, 's1'))).filter((n) => n.startsWith('.')), []);
});

test('publish numbers versions (metadata.json follows), concurrent publishes get distinct versions', async (t) => {
  const root = await tmp(t);
  await mkdir(join(root, 's1', '1h_v4'), { recursive: true }); // an older version already there
  const published = await Promise.all([1, 2, 3].map((i) => publishBundleVersion(root, 's1', '1h', bundle({ run: i }))));
  assert.deepEqual(published.map((p) => p.version).sort(), [5, 6, 7]);
  for (const p of published) {
    const files = await readBundleFiles(p.dir);
    assert.equal(JSON.parse(files.get('metadata.json')!.toString()).version, p.version);
    assert.equal(bundleSha256(files), p.sha256);
    assert.equal(p.ref, `s1/1h_v${p.version}`);
  }
  assert.equal(JSON.parse(await readFile(join(root, 's1', '1h_latest.json'), 'utf8')).version, 7);
  // The same rewrite on the uploader's side gives the same identity.
  const p0 = published[0]!;
  const run = JSON.parse((await readBundleFiles(p0.dir)).get('metadata.json')!.toString()).run as number;
  assert.equal(bundleSha256(withBundleVersion(bundle({ run }), p0.version)), p0.sha256);
  await assert.rejects(publishBundleVersion(root, 'other', '1h', bundle()), /metadata.json is for s1\/1h, not other\/1h/);
});
