import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../../contracts/index.js';
import {
  MODEL_VERSION_SEGMENT_PATTERN,
  ModelListResponse,
  ModelStoredResponse,
  SHA256_HEADER,
  SHA256_PATTERN,
  STRATEGY_SEGMENT_PATTERN,
  TIMEFRAME_SEGMENT_PATTERN,
  type ModelListEntry,
} from '../../contracts/artifacts.js';
import { ArtifactConflictError, ArtifactNotFoundError, InvalidRequestError } from '../../contracts/errors.js';
import { BUNDLE_ARCHIVE_CONTENT_TYPE, packBundle, readBundleFiles, bundleSha256, unpackBundle } from '../../domain/model/bundle-archive.js';
import { checkMetadata, installBundle, parseModelRef, publishBundleVersion } from '../../domain/model/bundle-install.js';
import { ModelBundleError } from '../../domain/model/model-bundle-error.js';
import { LATEST_POINTER_SUFFIX, readLatestPointer } from '../../domain/model/model-bundle-layout.js';
import { modelRef, resolveModelRef } from '../../domain/model/model-ref.js';
import { resolveLatestBundle } from '../../domain/model/model-bundle.js';

export interface ModelStoreRoutesOptions {
  /** The backend's KTRDR_MODELS_DIR: the store. */
  modelsDir: string;
  /** Largest bundle accepted on upload, in bytes. @defaultValue 256 MiB */
  maxBundleBytes?: number;
}

const VERSION_DIR = /^([0-9]+[mhdwM])_v([0-9]+)$/;
const STRATEGY_DIR = new RegExp(STRATEGY_SEGMENT_PATTERN);

/**
 * The backend's model store, so that no host needs a shared models mount:
 *
 * - `GET  /models`: every stored version.
 * - `GET  /models/{strategy}/{tf}_v{N}` (or `{tf}_latest`): the bundle as an archive
 *   (`application/vnd.ktrdr.bundle`, see bundle-archive.ts), its identity in `x-ktrdr-sha256`.
 * - `POST /models/{strategy}/{tf}`: a training worker uploads a finished bundle; the backend
 *   numbers it (next free version), stores it (version folder first, `_latest` last) and answers
 *   its reference and hash.
 * - `PUT  /models/{strategy}/{tf}_v{N}`: stores a bundle at exactly that version (idempotent for
 *   identical content; 409 for other content).
 *
 * Every route needs the API token like the rest of /api/v1. Names are checked by pattern (no
 * path separators, no `..`) and uploads are verified before they become visible.
 */
export const modelStoreRoutes: FastifyPluginAsyncTypebox<ModelStoreRoutesOptions> = async (app, opts) => {
  const { modelsDir } = opts;
  const maxBytes = opts.maxBundleBytes ?? 256 * 1024 * 1024;
  app.addContentTypeParser([BUNDLE_ARCHIVE_CONTENT_TYPE, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) =>
    done(null, body),
  );
  const strategyParam = Type.String({ pattern: STRATEGY_SEGMENT_PATTERN, maxLength: 200 });

  app.get('/models', { schema: { tags: ['models'], summary: 'Model versions in the backend store', response: { 200: ModelListResponse } } }, async () => ({
    success: true,
    data: await listStoredModels(modelsDir),
  }));

  app.get(
    '/models/:strategy/:version',
    {
      schema: {
        tags: ['models'],
        summary: 'Download a model bundle ({tf}_v{N} or {tf}_latest) as an archive; x-ktrdr-sha256 is its identity',
        params: Type.Object({ strategy: strategyParam, version: Type.String({ pattern: MODEL_VERSION_SEGMENT_PATTERN }) }),
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The bundle archive' }), 404: ErrorBody },
      },
    },
    async (req, reply) => {
      const { strategy, version } = req.params;
      let dir: string | undefined;
      let ref = `${strategy}/${version}`;
      if (version.endsWith('_latest')) {
        dir = await resolveLatestBundle(modelsDir, strategy, version.slice(0, -'_latest'.length)).catch(() => undefined);
        if (dir !== undefined) ref = `${strategy}/${dir.split(/[/\\]/).at(-1)}`;
      } else {
        dir = await resolveModelRef(modelsDir, ref).catch(() => undefined);
      }
      if (dir === undefined) throw new ArtifactNotFoundError('model', ref, 'not in the backend store (train it, or upload it)');
      const files = await readBundleFiles(dir);
      return reply
        .header('content-type', BUNDLE_ARCHIVE_CONTENT_TYPE)
        .header(SHA256_HEADER, bundleSha256(files))
        .header('x-ktrdr-model-path', ref)
        .send(packBundle(files));
    },
  );

  const uploaded = (body: unknown, expected: string | string[] | undefined) => {
    if (!Buffer.isBuffer(body)) throw InvalidRequestError.field('body', `send the bundle archive as ${BUNDLE_ARCHIVE_CONTENT_TYPE}`);
    const sha = typeof expected === 'string' ? expected : undefined;
    if (sha !== undefined && !new RegExp(SHA256_PATTERN).test(sha)) throw InvalidRequestError.field(SHA256_HEADER, 'must be 64 lowercase hex digits');
    try {
      return unpackBundle(body, sha);
    } catch (err) {
      throw InvalidRequestError.field('body', (err as Error).message);
    }
  };
  const stored = (b: { ref: string; sha256: string; version: number; written: boolean }) => ({
    success: true,
    model_path: b.ref,
    model_sha256: b.sha256,
    version: b.version,
    created: b.written,
  });
  const response = { 200: ModelStoredResponse, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody };

  app.post(
    '/models/:strategy/:timeframe',
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ['models'],
        summary: 'Upload a finished bundle as the next version of {strategy}/{timeframe} (training workers do this)',
        params: Type.Object({ strategy: strategyParam, timeframe: Type.String({ pattern: TIMEFRAME_SEGMENT_PATTERN }) }),
        response,
      },
    },
    async (req) => {
      const { files } = uploaded(req.body, req.headers[SHA256_HEADER]);
      try {
        const b = await publishBundleVersion(modelsDir, req.params.strategy, req.params.timeframe, files);
        req.log.info({ modelPath: b.ref, sha256: b.sha256 }, 'model bundle stored');
        return stored(b);
      } catch (err) {
        throw asHttpError(err, `${req.params.strategy}/${req.params.timeframe}`);
      }
    },
  );

  app.put(
    '/models/:strategy/:version',
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ['models'],
        summary: 'Store a bundle at exactly {strategy}/{tf}_v{N} (idempotent; 409 when other content holds it)',
        params: Type.Object({ strategy: strategyParam, version: Type.String({ pattern: '^[0-9]+[mhdwM]_v[0-9]{1,9}$' }) }),
        response,
      },
    },
    async (req) => {
      const ref = `${req.params.strategy}/${req.params.version}`;
      const { files, sha256 } = uploaded(req.body, req.headers[SHA256_HEADER]);
      try {
        const { strategyName, timeframe, version } = parseModelRef(ref);
        checkMetadata(files, strategyName, timeframe, version);
        const b = await installBundle(modelsDir, ref, files, sha256, { onConflict: 'refuse' });
        return stored(b);
      } catch (err) {
        throw asHttpError(err, ref);
      }
    },
  );
};

function asHttpError(err: unknown, name: string): Error {
  if (err instanceof ModelBundleError && err.code === 'MODEL_BUNDLE_CONFLICT') return new ArtifactConflictError('model', name, err.message);
  if (err instanceof ModelBundleError && err.code === 'MODEL_BUNDLE_INVALID') return InvalidRequestError.field('body', err.message);
  if (err instanceof RangeError) return InvalidRequestError.field('model_path', err.message);
  return err as Error;
}

/** Every `{strategy}/{tf}_v{N}` folder in the store, by strategy, timeframe and version. */
export async function listStoredModels(modelsDir: string): Promise<ModelListEntry[]> {
  const out: ModelListEntry[] = [];
  const strategies = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  for (const s of strategies.filter((d) => d.isDirectory() && STRATEGY_DIR.test(d.name)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const entries = await readdir(join(modelsDir, s.name), { withFileTypes: true }).catch(() => []);
    const latest = new Map<string, number>();
    for (const e of entries.filter((x) => x.isFile() && x.name.endsWith(LATEST_POINTER_SUFFIX))) {
      const tf = e.name.slice(0, -LATEST_POINTER_SUFFIX.length);
      const p = await readLatestPointer(join(modelsDir, s.name, e.name), tf).catch(() => undefined);
      if (p) latest.set(tf, p.version);
    }
    const versions = entries
      .filter((e) => e.isDirectory())
      .map((e) => VERSION_DIR.exec(e.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ timeframe: m[1]!, version: Number(m[2]) }))
      .sort((a, b) => (a.timeframe === b.timeframe ? a.version - b.version : a.timeframe < b.timeframe ? -1 : 1));
    for (const v of versions) {
      out.push({
        model_path: modelRef(s.name, v.timeframe, v.version),
        strategy_name: s.name,
        timeframe: v.timeframe,
        version: v.version,
        is_latest: latest.get(v.timeframe) === v.version,
      });
    }
  }
  return out;
}
