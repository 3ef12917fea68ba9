import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Route answers without the bearer token even when one is set (health, dashboard shell). */
    public?: boolean;
  }
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** True when the request carries `Authorization: Bearer <token>`. */
export function hasBearerToken(request: FastifyRequest, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match !== null && sameToken(match[1]!.trim(), token);
}

/**
 * Deny by default: every request needs `Authorization: Bearer <token>` unless the route it
 * matched is marked `{ config: { public: true } }`. The decision uses the matched route (never
 * the raw URL, which `/%61pi/...` or `//api` could disguise); an unmatched URL is not public,
 * so without the token it answers 401 rather than telling which routes exist.
 * Must be called on the root instance before any route is registered.
 */
export function requireBearerToken(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config?.public === true) return;
    if (hasBearerToken(request, token)) return;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer')
      .send({ detail: 'Missing or invalid bearer token (set KTRDR_API_TOKEN)', code: 'UNAUTHORIZED' });
  });
}
