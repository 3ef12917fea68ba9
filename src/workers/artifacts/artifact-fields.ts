import { Type } from 'typebox';
import { SHA256_PATTERN } from '../../contracts/artifacts.js';

/**
 * Fields the backend adds to a start request on its way to a worker (a client's value is
 * replaced): the content hashes of what the request was checked against, so the worker runs on
 * exactly those bytes and fetches them from the backend when it lacks them.
 */
export const DataSha256Field = Type.Optional(
  Type.Record(Type.String({ pattern: '^[A-Za-z0-9._-]+_[0-9]+[mhdwM]$' }), Type.String({ pattern: SHA256_PATTERN }), {
    maxProperties: 500,
    description: 'Set by the backend: SHA-256 of each CSV the request needs, by {SYMBOL}_{TIMEFRAME}',
  }),
);

export const ModelSha256Field = Type.Optional(
  Type.String({ pattern: SHA256_PATTERN, description: "Set by the backend: identity (SHA-256) of the model bundle model_path names" }),
);
