/**
 * A private PostgreSQL cluster for tests and CI: `initdb` into a temp dir, `pg_ctl start` on a free
 * loopback port, trust auth for the `ktrdr` role, no root-only service setup. As root (CI
 * containers) the binaries run as the `postgres` user, since initdb refuses root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../../src/cli/local-cluster.js';

export interface PrivatePostgres {
  /** Base URL (the `postgres` database); a store given another database name creates it. */
  url: string;
  port: number;
  /** `url` with another database. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/** The directory holding initdb and pg_ctl: PATH first, then Debian's /usr/lib/postgresql/<version>/bin. */
export function findPostgresBin(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** Why Postgres-backed tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  return findPostgresBin() ? undefined : 'no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin: install Debian `postgresql` (.ci/run does)';
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresUnavailable());
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'ktrdr-pg-'));
  const data = join(dir, 'data');
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const runPg = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  };
  try {
    runPg('initdb', ['-D', data, '-U', 'ktrdr', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    let port = 0;
    for (let tries = 0; ; tries++) {
      port = await freePort();
      try {
        runPg('pg_ctl', [
          '-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '30',
          '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
          'start',
        ]);
        break;
      } catch (err) {
        if (tries >= 2) throw err; // the port was taken meanwhile: try another
      }
    }
    const base = `postgres://ktrdr@127.0.0.1:${port}`;
    let stopped = false;
    return {
      url: `${base}/postgres`,
      port,
      urlFor: (database) => `${base}/${encodeURIComponent(database)}`,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          runPg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (existsSync(join(data, 'postmaster.pid'))) spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'] : ['-D', data, '-m', 'immediate', 'stop']);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
