/**
 * Codes a {@link DataError} can carry. The CLI and the HTTP error handler switch on these.
 *
 * - `DATA_NOT_FOUND`: the requested file (or data directory) does not exist.
 * - `DATA_INVALID`: the input is malformed (bad header, unparsable row, inconsistent bar, bad symbol/timeframe/date).
 * - `DATA_EMPTY`: the file has no bars, or none are left after date filtering.
 * - `DATA_EXISTS`: an import would overwrite an existing canonical file and `overwrite` was not set.
 */
export type DataErrorCode = 'DATA_NOT_FOUND' | 'DATA_INVALID' | 'DATA_EMPTY' | 'DATA_EXISTS';

/** Where a data problem was found. Every field is optional; `line` is 1-based and counts the header. */
export interface DataErrorContext {
  /** The file (path as given) the problem is in. */
  readonly file?: string;
  /** 1-based line number in `file`, the header being line 1. */
  readonly line?: number;
  /** The offending column or field name (`date`, `high`, ...). */
  readonly field?: string;
  readonly symbol?: string;
  readonly timeframe?: string;
}

/**
 * A failure to find, parse, validate or filter OHLCV data. The message is written for a human
 * (it names the file, line and offending value); `code` and `context` are for programs.
 */
export class DataError extends Error {
  readonly code: DataErrorCode;
  readonly context: DataErrorContext;

  constructor(code: DataErrorCode, message: string, context: DataErrorContext = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DataError';
    this.code = code;
    this.context = context;
  }
}
