/**
 * Patterns of names that travel in requests. They are part of the wire contract (the request
 * schemas use them) and the domain code checks the same names with them.
 */

/** A bare strategy name: no path separators and no `..`, so it cannot escape the strategies directory. */
export const STRATEGY_NAME_PATTERN = '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9_.-]*$';

/** Symbols are file-name safe: letters, digits, `.`, `_` and `-` (e.g. `EURUSD`, `BRK.B`). */
export const SYMBOL_PATTERN = /^[A-Za-z0-9._-]+$/;

/**
 * A model reference: `{strategy}/{timeframe}_v{N}`, one version folder inside KTRDR_MODELS_DIR.
 * Requests carry references, never paths, so each host resolves them in its own models dir.
 */
export const MODEL_REF_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+)*/[0-9]+[mhdwM]_v[0-9]+$';

/** A timeframe: a count and a unit (m, h, d, w, M), e.g. `1h`. */
export const TIMEFRAME_PATTERN = '^[0-9]+[mhdwM]$';

/** An ISO date, optionally with a time and offset (`2024-01-01`, `2024-01-01T12:00:00Z`). */
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+(Z|[+-]\\d{2}:?\\d{2})?)?$';
