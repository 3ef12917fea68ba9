import { InvalidRequestError } from '../contracts/errors.js';

/** The optional `{reason}` of a cancel request (400 when present but not a short string). */
export function cancelReason(body: unknown): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  const reason = (body as { reason?: unknown }).reason;
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 500) {
    throw InvalidRequestError.field('reason', 'must be a string of at most 500 characters');
  }
  return reason;
}
