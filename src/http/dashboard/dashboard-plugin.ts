import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { APP_CSS } from './app-css.js';
import { INDEX_HTML } from './index-html.js';

/**
 * The client script, a static file served as-is. `npm run build` copies `assets/` next to the
 * compiled plugin; the test suite type-checks the script (tsconfig.dashboard.json).
 */
const APP_JS_URL = new URL('./assets/app.js', import.meta.url);

/** A small line-chart icon, so browsers stop logging a 404 for `/favicon.ico` on every page. */
const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1e3a8a"/>' +
  '<path d="M5 23 L12 15 L18 19 L27 8" fill="none" stroke="#fbbf24" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>';

/** Static assets of the dashboard: path → [content type, body]. */
async function loadAssets(): Promise<ReadonlyArray<readonly [string, string, string]>> {
  let appJs: string;
  try {
    appJs = await readFile(APP_JS_URL, 'utf8');
  } catch (err) {
    throw new Error(`dashboard script ${APP_JS_URL.pathname} is missing (run \`npm run build\`, which copies src/http/dashboard/assets)`, { cause: err });
  }
  return [
    ['/', 'text/html; charset=utf-8', INDEX_HTML],
    ['/dashboard/app.js', 'text/javascript; charset=utf-8', appJs],
    ['/dashboard/app.css', 'text/css; charset=utf-8', APP_CSS],
    ['/favicon.ico', 'image/svg+xml', FAVICON_SVG],
  ];
}

/**
 * The web dashboard: `GET /` (the page), `GET /dashboard/app.js`, `GET /dashboard/app.css` and
 * `GET /favicon.ico` (an SVG). These routes are public (they hold no data); the script reads the
 * API (`/api/v1`) with a bearer token the user types into its login prompt, kept in
 * sessionStorage (never in the URL). No bundler: the script is plain JS (assets/app.js).
 * Register it through `buildApp`'s `plugins` option.
 */
export const dashboardPlugin: FastifyPluginAsync = async (app) => {
  for (const [url, contentType, body] of await loadAssets()) {
    app.get(url, { config: { public: true }, schema: { hide: true } }, async (_req, reply) =>
      reply.header('content-type', contentType).header('cache-control', 'no-cache').send(body),
    );
  }
};
