import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ModelListEntry } from '../../contracts/artifacts.js';
import { BUNDLE_ARCHIVE_CONTENT_TYPE, bundleSha256, packBundle, unpackBundle, type BundleFiles } from '../../domain/model/bundle-archive.js';
import { checkMetadata, parseModelRef, withBundleVersion } from '../../domain/model/bundle-install.js';
import { ModelBundleError } from '../../domain/model/model-bundle-error.js';
import { assertSafeSegment } from '../../domain/model/model-bundle-layout.js';
import { modelRef } from '../../domain/model/model-ref.js';
import type { ModelStore, StoredBundle } from './model-store.js';

export interface S3ModelStoreOptions {
  /** `s3://bucket/prefix` (the prefix may be empty). */
  url: string;
  /** S3-compatible endpoint (MinIO, …); AWS when absent. Path-style addressing is used with it. */
  endpoint?: string | undefined;
  /** @defaultValue 'us-east-1' */
  region?: string | undefined;
  /** Explicit credentials (tests); otherwise the AWS SDK's default chain (env, profile, role). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

const BUNDLE_SUFFIX = '.bundle';
const LATEST_SUFFIX = '_latest.json';
const SHA_META = 'sha256';

/**
 * The model store in an S3-compatible bucket (AWS S3, MinIO), for clusters where the backend's
 * disk should not hold every model:
 *
 * ```text
 * {prefix}{strategy}/{timeframe}_v{N}.bundle      the archive (bundle-archive.ts), metadata sha256 = identity
 * {prefix}{strategy}/{timeframe}_latest.json      {"version": N, "dir": "{timeframe}_vN", "updated_at": …}
 * ```
 *
 * A version is claimed with a conditional write (`If-None-Match: *`), so two publishes never
 * take the same number and a stored version is never overwritten; the pointer is written after
 * the bundle. Identities are cached (stored versions are immutable).
 */
export class S3ModelStore implements ModelStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #shaByRef = new Map<string, string>();

  constructor(options: S3ModelStoreOptions) {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(options.url);
    if (!m) throw new RangeError(`KTRDR_MODEL_STORE=${options.url}: expected s3://bucket or s3://bucket/prefix`);
    this.#bucket = m[1]!;
    const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
    this.#prefix = prefix === '' ? '' : `${prefix}/`;
    this.#client = new S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // Plain Content-Length uploads (no aws-chunked trailers): what every S3-compatible server takes.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  close(): void {
    this.#client.destroy();
  }

  async list(): Promise<ModelListEntry[]> {
    const keys = await this.#keys(this.#prefix);
    const latest = new Map<string, number>();
    for (const key of keys.filter((k) => k.endsWith(LATEST_SUFFIX))) {
      const [strategy, name] = key.slice(this.#prefix.length).split('/');
      const p = await this.#pointer(strategy!, name!.slice(0, -LATEST_SUFFIX.length));
      if (p !== undefined) latest.set(`${strategy}/${name!.slice(0, -LATEST_SUFFIX.length)}`, p);
    }
    const out: ModelListEntry[] = [];
    for (const key of keys) {
      const m = /^([^/]+)\/([0-9]+[mhdwM])_v([0-9]+)\.bundle$/.exec(key.slice(this.#prefix.length));
      if (!m) continue;
      const [, strategy, timeframe, v] = m;
      out.push({
        model_path: modelRef(strategy!, timeframe!, Number(v)),
        strategy_name: strategy!,
        timeframe: timeframe!,
        version: Number(v),
        is_latest: latest.get(`${strategy}/${timeframe}`) === Number(v),
      });
    }
    return out.sort((a, b) => (a.strategy_name !== b.strategy_name ? (a.strategy_name < b.strategy_name ? -1 : 1) : a.timeframe !== b.timeframe ? (a.timeframe < b.timeframe ? -1 : 1) : a.version - b.version));
  }

  async read(strategyName: string, version: string): Promise<{ ref: string; files: Map<string, Buffer> } | undefined> {
    let ref = `${strategyName}/${version}`;
    if (version.endsWith('_latest')) {
      const latest = await this.latestRef(strategyName, version.slice(0, -'_latest'.length));
      if (latest === undefined) return undefined;
      ref = latest;
    }
    const bytes = await this.#get(this.#bundleKey(ref));
    if (bytes === undefined) return undefined;
    const { files, sha256 } = unpackBundle(bytes);
    this.#shaByRef.set(ref, sha256);
    return { ref, files };
  }

  async identify(ref: string): Promise<string | undefined> {
    const known = this.#shaByRef.get(ref);
    if (known !== undefined) return known;
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#bundleKey(ref) }));
      const sha = head.Metadata?.[SHA_META];
      if (sha !== undefined) {
        this.#shaByRef.set(ref, sha);
        return sha;
      }
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    const { strategyName, timeframe, version } = parseModelRef(ref);
    return (await this.read(strategyName, `${timeframe}_v${version}`)) === undefined ? undefined : this.#shaByRef.get(ref);
  }

  async latestRef(strategyName: string, timeframe: string): Promise<string | undefined> {
    const v = await this.#pointer(strategyName, timeframe);
    return v === undefined ? undefined : modelRef(strategyName, timeframe, v);
  }

  async publish(strategyName: string, timeframe: string, files: BundleFiles): Promise<StoredBundle> {
    assertSafeSegment('strategy name', strategyName);
    assertSafeSegment('timeframe', timeframe);
    checkMetadata(files, strategyName, timeframe);
    const versions = (await this.#keys(`${this.#prefix}${strategyName}/${timeframe}_v`))
      .map((k) => /_v([0-9]+)\.bundle$/.exec(k)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number);
    let version = Math.max(0, ...versions) + 1;
    for (let attempt = 0; ; attempt++, version++) {
      const numbered = withBundleVersion(files, version);
      const ref = modelRef(strategyName, timeframe, version);
      const sha256 = bundleSha256(numbered);
      if (!(await this.#putIfAbsent(this.#bundleKey(ref), packBundle(numbered), sha256))) {
        if (attempt >= 20) throw new ModelBundleError('MODEL_BUNDLE_WRITE_FAILED', ref, `could not claim a version for ${strategyName}/${timeframe}`);
        continue;
      }
      this.#shaByRef.set(ref, sha256);
      await this.#movePointer(strategyName, timeframe, version);
      return { ref, version, sha256, written: true };
    }
  }

  async put(ref: string, files: BundleFiles, sha256: string): Promise<StoredBundle> {
    const { strategyName, timeframe, version } = parseModelRef(ref);
    if (await this.#putIfAbsent(this.#bundleKey(ref), packBundle(files), sha256)) {
      this.#shaByRef.set(ref, sha256);
      await this.#movePointer(strategyName, timeframe, version);
      return { ref, version, sha256, written: true };
    }
    if ((await this.identify(ref)) === sha256) return { ref, version, sha256, written: false };
    throw new ModelBundleError('MODEL_BUNDLE_CONFLICT', ref, `model ${ref} already exists with other content`);
  }

  #bundleKey(ref: string): string {
    return `${this.#prefix}${ref}${BUNDLE_SUFFIX}`;
  }

  /** Writes unless the key exists (conditional write); false when it existed. */
  async #putIfAbsent(key: string, body: Buffer, sha256: string): Promise<boolean> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: BUNDLE_ARCHIVE_CONTENT_TYPE, IfNoneMatch: '*', Metadata: { [SHA_META]: sha256 } }),
      );
      return true;
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 409) return false;
      throw err;
    }
  }

  /** Moves `_latest` to `version` unless it already points at a newer one. */
  async #movePointer(strategyName: string, timeframe: string, version: number): Promise<void> {
    const current = await this.#pointer(strategyName, timeframe);
    if (current !== undefined && current > version) return;
    const pointer = { version, dir: `${timeframe}_v${version}`, updated_at: new Date().toISOString() };
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: `${this.#prefix}${strategyName}/${timeframe}${LATEST_SUFFIX}`,
        Body: JSON.stringify(pointer, null, 2) + '\n',
        ContentType: 'application/json',
      }),
    );
  }

  async #pointer(strategyName: string, timeframe: string): Promise<number | undefined> {
    const bytes = await this.#get(`${this.#prefix}${strategyName}/${timeframe}${LATEST_SUFFIX}`);
    if (bytes === undefined) return undefined;
    try {
      const v = (JSON.parse(bytes.toString('utf8')) as { version?: unknown }).version;
      return Number.isSafeInteger(v) ? (v as number) : undefined;
    } catch {
      return undefined;
    }
  }

  async #get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async #keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
