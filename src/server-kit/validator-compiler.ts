import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { BOUNDED_JSON_KEYWORD, checkBoundedJson, type BoundedJsonLimits } from '../contracts/index.js';

function withBoundedJson(ajv: Ajv): Ajv {
  ajv.addKeyword({
    keyword: BOUNDED_JSON_KEYWORD,
    schemaType: 'object',
    errors: true,
    validate: function validate(limits: BoundedJsonLimits, data: unknown): boolean {
      const problem = checkBoundedJson(data, limits);
      if (problem === undefined) return true;
      (validate as { errors?: unknown[] }).errors = [{ keyword: BOUNDED_JSON_KEYWORD, message: problem, params: { limits } }];
      return false;
    },
  });
  return ajv;
}

function newAjv(coerceTypes: boolean | 'array'): Ajv {
  // allErrors stays false: collecting every error of a hostile body is a DoS vector.
  // strictNumbers: JSON.parse turns 1e999 into Infinity, which is not a number we accept.
  return withBoundedJson(new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: false, strictNumbers: true }));
}

/**
 * Ajv per part of the request. Bodies are JSON and must already have the right types: no
 * coercion (`null`, `true` or `"12"` are not numbers) and unknown properties are errors, not
 * silently dropped. Query strings and path parameters are text, so they are coerced.
 */
export function buildValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const byPart: Record<string, Ajv> = { body: newAjv(false), querystring: newAjv('array'), params: newAjv('array'), headers: newAjv('array') };
  return ({ schema, httpPart }) => {
    const ajv = byPart[httpPart ?? 'body'] ?? byPart['body']!;
    return ajv.compile(schema as object) as ValidateFunction;
  };
}
