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
    const part = httpPart ?? 'body';
    const validate = (byPart[part] ?? byPart['body']!).compile(schema as object) as ValidateFunction;
    return part === 'body' ? validate : rejectNonFinite(validate);
  };
}

/**
 * Ajv coerces the text `Infinity` or `1e400` into Infinity and then skips the number checks
 * (strictNumbers, maximum): query strings and path parameters get this check on top.
 * They are flat objects, so their values (and array items) are all there is to look at.
 */
function rejectNonFinite(validate: ValidateFunction): ValidateFunction {
  const wrapped = ((data: unknown) => {
    const ok = validate(data);
    wrapped.errors = validate.errors;
    if (!ok || data === null || typeof data !== 'object') return ok;
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      const values: unknown[] = Array.isArray(value) ? value : [value];
      if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) {
        wrapped.errors = [{ instancePath: `/${key}`, schemaPath: '#', keyword: 'type', params: {}, message: 'must be a finite number' }];
        return false;
      }
    }
    return true;
  }) as ValidateFunction;
  return wrapped;
}
