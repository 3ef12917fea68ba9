import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Requires `Authorization: Bearer <token>` on every route whose URL starts with one of `prefixes`
 * (the health route stays open for load balancers and container health checks).
 * Registered directly on the root instance so it applies to all routes.
 */
export function requireBearerToken(app: FastifyInstance, token: string, isProtected: (url: string) => boolean): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isProtected(request.url)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !sameToken(match[1]!.trim(), token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ detail: 'Missing or invalid bearer token (set KTRDR_API_TOKEN)', code: 'UNAUTHORIZED' });
    }
  });
}
