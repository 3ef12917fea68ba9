import type { FastifyPluginAsync } from 'fastify';
import { APP_CSS } from './app-css.js';
import { APP_JS } from './app-js.js';
import { INDEX_HTML } from './index-html.js';

/** Static assets of the dashboard: path → [content type, body]. */
const ASSETS: ReadonlyArray<readonly [string, string, string]> = [
  ['/', 'text/html; charset=utf-8', INDEX_HTML],
  ['/dashboard/app.js', 'text/javascript; charset=utf-8', APP_JS],
  ['/dashboard/app.css', 'text/css; charset=utf-8', APP_CSS],
];

/**
 * The web dashboard: `GET /` (the page), `GET /dashboard/app.js` and `GET /dashboard/app.css`.
 * These three routes are public (they hold no data); the script reads the API (`/api/v1`) with
 * a bearer token the user types into its login prompt, kept in sessionStorage (never in the URL).
 * No build step: the assets are string modules.
 * Register it through `buildApp`'s `plugins` option.
 */
export const dashboardPlugin: FastifyPluginAsync = async (app) => {
  for (const [url, contentType, body] of ASSETS) {
    app.get(url, { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.header('content-type', contentType).header('cache-control', 'no-cache').send(body),
    );
  }
};
