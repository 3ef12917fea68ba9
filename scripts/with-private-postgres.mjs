#!/usr/bin/env node
// Runs a command against a private PostgreSQL cluster: initdb in a temp dir, pg_ctl on a free
// loopback port (as the postgres user when run as root), KTRDR_DATABASE_URL exported to the
// command, cluster stopped and deleted afterwards whatever the command did.
// Usage (after `npm run build`): node scripts/with-private-postgres.mjs node scripts/run-tests.mjs e2e/queue
// Test backends started through test/helpers/cluster.ts each get a database of their own on it.
import { spawn } from 'node:child_process';

const { startPrivatePostgres } = await import(new URL('../dist/test/helpers/private-postgres.js', import.meta.url).href).catch(() => {
  console.error('with-private-postgres: dist/test/helpers/private-postgres.js is missing: run `npm run build` first');
  process.exit(2);
});

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/with-private-postgres.mjs <command> [args...]');
  process.exit(2);
}

const server = await startPrivatePostgres();
console.error(`with-private-postgres: PostgreSQL on 127.0.0.1:${server.port}; KTRDR_DATABASE_URL=${server.url}`);
let stopping;
const stop = () => (stopping ??= server.stop().catch((err) => console.error(`with-private-postgres: stop failed: ${err.message}`)));
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, KTRDR_DATABASE_URL: server.url } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const code = await new Promise((resolve) => {
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  child.on('error', (err) => {
    console.error(`with-private-postgres: ${err.message}`);
    resolve(127);
  });
});
await stop();
process.exit(code);
