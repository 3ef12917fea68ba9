import { readFile, realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { ErrorBody } from '../../contracts/index.js';
import { SHA256_HEADER, SHA256_PATTERN, TIMEFRAME_SEGMENT_PATTERN } from '../../contracts/artifacts.js';
import { ArtifactConflictError, ArtifactNotFoundError } from '../../contracts/errors.js';
import { ohlcvPath, SYMBOL_PATTERN } from '../../domain/data/data-files.js';

export interface DataRoutesOptions {
  /** The backend's KTRDR_DATA_DIR. */
  dataDir: string;
}

/**
 * `GET /data/{symbol}/{timeframe}`: the backend's OHLCV file as it is on disk (`text/csv`), its
 * SHA-256 in `x-ktrdr-sha256`, so a worker without a shared data mount fetches the exact file a
 * request was checked against. With `?sha256=`, a file that changed since answers 409 instead of
 * other bytes. The bytes are served, never parsed.
 */
export const dataRoutes: FastifyPluginAsyncTypebox<DataRoutesOptions> = async (app, { dataDir }) => {
  app.get(
    '/data/:symbol/:timeframe',
    {
      schema: {
        tags: ['data'],
        summary: 'Download an OHLCV CSV file (workers fetch what they lack); x-ktrdr-sha256 is its hash',
        params: Type.Object({
          symbol: Type.String({ pattern: SYMBOL_PATTERN.source, minLength: 1, maxLength: 50 }),
          timeframe: Type.String({ pattern: TIMEFRAME_SEGMENT_PATTERN }),
        }),
        querystring: Type.Object({ sha256: Type.Optional(Type.String({ pattern: SHA256_PATTERN })) }),
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The CSV file' }), 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const { symbol, timeframe } = req.params;
      const name = `${symbol}_${timeframe}`;
      let path: string;
      let bytes: Buffer;
      try {
        path = ohlcvPath(dataDir, symbol, timeframe); // throws for '.' / '..'
        // A symlink may point anywhere on this host; only files really inside the data dir are served.
        const [real, root] = await Promise.all([realpath(path), realpath(dataDir)]);
        if (!real.startsWith(root + sep)) throw new Error('outside the data dir');
        bytes = await readFile(real);
      } catch {
        throw new ArtifactNotFoundError('data', name, 'the backend has no such file in its data directory');
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (req.query.sha256 !== undefined && req.query.sha256 !== sha256) {
        throw new ArtifactConflictError('data', name, `the backend's file changed since the request was checked (it now hashes to ${sha256}); submit it again`);
      }
      return reply.header('content-type', 'text/csv; charset=utf-8').header(SHA256_HEADER, sha256).send(bytes);
    },
  );
};
