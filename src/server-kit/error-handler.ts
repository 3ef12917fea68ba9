import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, InvalidRequestError, QueueFullError, type ErrorCode } from '../contracts/errors.js';

const statusByCode: Record<ErrorCode, number> = {
  WORKER_NOT_FOUND: 404,
  OPERATION_NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  OPERATION_NOT_CANCELLABLE: 409,
  RESULTS_NOT_AVAILABLE: 404,
  WORKER_CONFLICT: 409,
  ENDPOINT_UNREACHABLE: 422,
  STALE_ATTEMPT: 409,
  OPERATION_ENDED: 409,
  QUEUE_FULL: 429,
  ARTIFACT_NOT_FOUND: 404,
  ARTIFACT_CONFLICT: 409,
  CLAIMED_ELSEWHERE: 409,
};

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** Turns Ajv issues into `{path, message}` with the field named the way the user wrote it. */
export function describeValidation(issues: AjvIssue[], context: string | undefined): { path: string; message: string }[] {
  return issues.map((issue) => {
    let path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    let message = issue.message ?? 'is invalid';
    const p = issue.params ?? {};
    if (issue.keyword === 'required' && typeof p['missingProperty'] === 'string') {
      path = path ? `${path}.${p['missingProperty']}` : p['missingProperty'];
      message = 'is required';
    } else if (issue.keyword === 'additionalProperties' && typeof p['additionalProperty'] === 'string') {
      path = path ? `${path}.${p['additionalProperty']}` : p['additionalProperty'];
      message = 'is not a known field';
    } else if (issue.keyword === 'anyOf' || issue.keyword === 'enum' || issue.keyword === 'const') {
      const allowed = p['allowedValues'] ?? p['allowedValue'];
      if (allowed !== undefined) message = `must be one of ${([] as unknown[]).concat(allowed).join(', ')}`;
    }
    if (!path) path = context ?? 'body';
    return { path, message };
  });
}

/**
 * The one place that maps errors to HTTP: DomainError codes to statuses, Fastify schema errors to
 * 400 naming the field, anything else to a logged 500. Envelope: `{detail, code}`. (A busy cluster
 * no longer answers 503: submissions wait in the queue.)
 */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof InvalidRequestError) {
    return reply.code(400).send({ detail: error.message, code: error.code, errors: error.issues });
  }
  if (error instanceof DomainError) {
    if (error instanceof QueueFullError) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.code(statusByCode[error.code]).send({ detail: error.message, code: error.code });
  }
  if (error.validation) {
    const errors = describeValidation(error.validation as AjvIssue[], error.validationContext);
    const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return reply.code(400).send({ detail, code: 'VALIDATION_FAILED', errors });
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // Fastify's own client errors: malformed JSON, wrong content-type, body too large...
    return reply.code(error.statusCode).send({ detail: error.message, code: error.code ?? 'BAD_REQUEST' });
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.code(500).send({ detail: 'Internal Server Error', code: 'INTERNAL' });
}
