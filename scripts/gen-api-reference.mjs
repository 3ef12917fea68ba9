#!/usr/bin/env node
// Writes docs/api-reference.md from the backend's OpenAPI spec (run `npm run build` first):
//   node scripts/gen-api-reference.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';

const root = new URL('..', import.meta.url).pathname;
const { loadBackendConfig } = await import(join(root, 'dist/src/config/env.js'));
const { startBackend } = await import(join(root, 'dist/src/bin/backend.js'));

function typeOf(schema) {
  if (!schema) return 'any';
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' \\| '); // escaped: the type sits in a table cell
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`;
  return schema.type ?? 'any';
}

function fields(schema) {
  const props = schema?.properties ?? {};
  const required = new Set(schema?.required ?? []);
  return Object.entries(props).map(([name, s]) => {
    const extras = [];
    if (s.default !== undefined) extras.push(`default ${JSON.stringify(s.default)}`);
    if (s.description) extras.push(s.description);
    return `| \`${name}\` | ${typeOf(s)} | ${required.has(name) ? 'yes' : ''} | ${extras.join('; ')} |`;
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ktrdr-apiref-'));
const config = loadBackendConfig({}, { port: 0, host: '127.0.0.1', dbPath: join(dir, 'db'), healthCheckIntervalMs: 60_000 });
const backend = await startBackend(config, { log: pino({ level: 'silent' }) });
const spec = await (await fetch(`${backend.url}/docs/json`)).json();
await backend.close();
rmSync(dir, { recursive: true, force: true });

const out = [
  '# ktrdr backend API reference',
  '',
  'Generated from the OpenAPI spec by `node scripts/gen-api-reference.mjs` — do not edit by hand.',
  'A running backend serves the same spec at `/docs/json` and Swagger UI at `/docs`.',
  'With `KTRDR_API_TOKEN` set, every route except `/health`, `/api/v1/health` and the dashboard page and assets needs `Authorization: Bearer <token>` (see docs/security.md).',
  '',
];
for (const [path, methods] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(methods)) {
    out.push(`## ${method.toUpperCase()} ${path}`, '', op.summary ?? '', '');
    const params = (op.parameters ?? []).map(
      (p) => `| \`${p.name}\` (${p.in}) | ${typeOf(p.schema)} | ${p.required ? 'yes' : ''} | ${p.schema?.default !== undefined ? `default ${JSON.stringify(p.schema.default)}` : ''} |`,
    );
    const body = op.requestBody?.content?.['application/json']?.schema;
    const rows = [...params, ...fields(body)];
    if (rows.length > 0) out.push('| field | type | required | notes |', '|---|---|---|---|', ...rows, '');
    const codes = Object.keys(op.responses ?? {});
    if (codes.length > 0) out.push(`Responses: ${codes.join(', ')}`, '');
  }
}
writeFileSync(join(root, 'docs/api-reference.md'), out.join('\n'));
console.log(`docs/api-reference.md: ${Object.keys(spec.paths).length} paths`);
