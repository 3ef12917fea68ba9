import { LogController, type FastifyInstance } from 'fastify';
import { requireBearerToken } from './auth.js';
import { clientErrorHandler, frameworkErrors } from './client-errors.js';
import { errorHandler } from './error-handler.js';
import { buildValidatorCompiler } from './validator-compiler.js';

/**
 * Fastify options shared by the backend and the workers: errors that happen before routing
 * (bad URL, headers too large, over-long path parameter) answer `{detail, code}` like the rest.
 * Spread into `Fastify({ loggerInstance, ...serverOptions() })`.
 */
export function serverOptions() {
  return {
    logController: new LogController({ disableRequestLogging: true }),
    clientErrorHandler,
    frameworkErrors,
    // Worker ids may be 200 characters (contracts); longer path parameters are a {detail, code} 414.
    routerOptions: { maxParamLength: 256 },
  };
}

export interface ServerKitOptions {
  /** When set, every route not marked `config.public` requires `Authorization: Bearer <token>`. */
  apiToken?: string | undefined;
}

/**
 * Cross-cutting behaviour both apps share: deny-by-default bearer auth on the matched route,
 * strict body validation, the one error handler and a `{detail, code}` 404.
 * Call on the root instance before registering routes.
 */
export function registerServerKit(app: FastifyInstance, options: ServerKitOptions): void {
  app.setValidatorCompiler(buildValidatorCompiler());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ detail: `Route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)} not found`, code: 'NOT_FOUND' }),
  );
  if (options.apiToken) requireBearerToken(app, options.apiToken);
}
