#!/usr/bin/env node
// Rewrites the variable table in docs/user-guide.md from src/config/env-schema.ts (run `npm run build` first):
//   node scripts/gen-env-docs.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { ENV_TABLE_BEGIN, ENV_TABLE_END, renderEnvTable } = await import(join(root, 'dist/src/config/env-docs.js'));
const file = join(root, 'docs/user-guide.md');
const text = readFileSync(file, 'utf8');
const begin = text.indexOf(ENV_TABLE_BEGIN);
const end = text.indexOf(ENV_TABLE_END);
if (begin < 0 || end < begin) {
  console.error(`${file}: no generated block (${ENV_TABLE_BEGIN} … ${ENV_TABLE_END}); put the two markers where the table goes`);
  process.exit(1);
}
writeFileSync(file, text.slice(0, begin) + renderEnvTable() + text.slice(end + ENV_TABLE_END.length));
console.log(`wrote the variable table in ${file}`);
