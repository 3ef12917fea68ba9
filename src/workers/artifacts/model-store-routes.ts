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
} from '../../contracts/artifacts.js';
import { ArtifactConflictError, ArtifactNotFoundError, InvalidRequestError } from '../../contracts/errors.js';
import { BUNDLE_ARCHIVE_CONTENT_TYPE, packBundle, bundleSha256, unpackBundle } from '../../domain/model/bundle-archive.js';
import { checkMetadata, parseModelRef } from '../../domain/model/bundle-install.js';
import { ModelBundleError } from '../../domain/model/model-bundle-error.js';
import type { ModelStore } from './model-store.js';

export interface ModelStoreRoutesOptions {
  /** Where bundles are kept (the backend's KTRDR_MODELS_DIR, or an S3 bucket). */
  store: ModelStore;
  /** Largest bundle accepted on upload, in bytes. @defaultValue 256 MiB */
  maxBundleBytes?: number;
}

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
  const { store } = opts;
  const maxBytes = opts.maxBundleBytes ?? 256 * 1024 * 1024;
  app.addContentTypeParser([BUNDLE_ARCHIVE_CONTENT_TYPE, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) =>
    done(null, body),
  );
  const strategyParam = Type.String({ pattern: STRATEGY_SEGMENT_PATTERN, maxLength: 200 });

  app.get('/models', { schema: { tags: ['models'], summary: 'Model versions in the backend store', response: { 200: ModelListResponse } } }, async () => ({
    success: true,
    data: await store.list(),
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
      const found = await store.read(strategy, version);
      if (found === undefined) throw new ArtifactNotFoundError('model', `${strategy}/${version}`, 'not in the backend store (train it, or upload it)');
      const { ref, files } = found;
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
        const b = await store.publish(req.params.strategy, req.params.timeframe, files);
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
        const b = await store.put(ref, files, sha256);
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
