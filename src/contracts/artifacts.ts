import { Type, type Static } from 'typebox';

/**
 * Wire shapes of the backend's artifact store: model bundles (`/api/v1/models`) and data files
 * (`/api/v1/data`), which workers fetch by reference and content hash instead of sharing a mount.
 */

/** Response header carrying the lowercase hex SHA-256 of what a GET served (bundle identity or file bytes). */
export const SHA256_HEADER = 'x-ktrdr-sha256';

/** `{strategy}` path segment: a strategy name as the models dir uses it. */
export const STRATEGY_SEGMENT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*$';
/** `{version}` path segment: `{timeframe}_v{N}` or `{timeframe}_latest`. */
export const MODEL_VERSION_SEGMENT_PATTERN = '^[0-9]+[mhdwM]_(v[0-9]{1,9}|latest)$';
export const TIMEFRAME_SEGMENT_PATTERN = '^[0-9]+[mhdwM]$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';

/** One stored model version. */
export const ModelListEntry = Type.Object({
  /** The reference requests carry: `{strategy}/{timeframe}_v{N}`. */
  model_path: Type.String(),
  strategy_name: Type.String(),
  timeframe: Type.String(),
  version: Type.Integer(),
  /** True for the version `{timeframe}_latest.json` points at. */
  is_latest: Type.Boolean(),
});
export type ModelListEntry = Static<typeof ModelListEntry>;

/** `GET /api/v1/models`. */
export const ModelListResponse = Type.Object({ success: Type.Boolean(), data: Type.Array(ModelListEntry) });
export type ModelListResponse = Static<typeof ModelListResponse>;

/** `PUT|POST /api/v1/models/…`: where the uploaded bundle is stored and its identity. */
export const ModelStoredResponse = Type.Object({
  success: Type.Boolean(),
  model_path: Type.String(),
  model_sha256: Type.String({ pattern: SHA256_PATTERN }),
  version: Type.Integer(),
  /** False when an identical bundle already held this version. */
  created: Type.Boolean(),
});
export type ModelStoredResponse = Static<typeof ModelStoredResponse>;
