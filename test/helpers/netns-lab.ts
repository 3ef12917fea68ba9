/**
 * A private LAN of "hosts" for multi-host e2e tests: one Linux network namespace per host, each
 * with its own address on 10.77.0.0/24 (no default route), joined by a bridge that lives in a
 * namespace of its own. Nothing is added to the machine's own network namespace: no address, no
 * route, no interface. Processes run inside a host with `ip netns exec` and their own hostname
 * (`unshare --uts`). The test process reaches a host's port through a Unix socket that a small
 * forwarder inside that host bridges to TCP (Unix sockets live in the file system, which the
 * namespaces share).
 *
 * Needs root and iproute2. Every namespace name starts with `ktrdrmh-<pid of the test>-`, so
 * {@link sweepStaleLabs} can remove what an aborted earlier run left without touching a run
 * that is still going.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** Every namespace this helper creates starts with this. */
export const LAB_PREFIX = 'ktrdrmh-';
const SUBNET = '10.77.0';
const FORWARDER = join(repoRoot, 'dist', 'test', 'fixtures', 'unix-forwarder.js');

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

/** Why this machine cannot build a lab (not root, no `ip`), or undefined when it can. */
export function labSkipReason(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    return 'multi-host test needs root on Linux (network namespaces); CI runs it as root';
  }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'multi-host test needs iproute2 (`ip`), which is not installed';
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces currently present whose names start with `prefix`. */
function namespaces(prefix: string): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

/** Kills every process still inside `ns`, then deletes it (its veths and bridge go with it). */
function destroyNamespace(ns: string): void {
  try {
    for (const pid of ip('netns', 'pids', ns).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // the namespace is already gone
  }
  try {
    ip('netns', 'del', ns);
  } catch {
    // already gone
  }
}

/** True for a lab name (namespace or temp dir) whose test process no longer runs. */
function isStale(name: string): boolean {
  const pid = Number(new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(name)?.[1]);
  return pid > 0 && !isAlive(pid);
}

/**
 * Removes labs left by test processes that no longer run (an aborted run): their namespaces with
 * the processes inside, and their temp dirs ({@link labTempDirPrefix}). Returns what it removed.
 */
export function sweepStaleLabs(): string[] {
  const stale = namespaces(LAB_PREFIX).filter(isStale);
  for (const ns of stale) destroyNamespace(ns);
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith(LAB_PREFIX) && isStale(d));
  for (const d of dirs) rmSync(join(tmpdir(), d), { recursive: true, force: true });
  return [...stale, ...dirs.map((d) => join(tmpdir(), d))];
}

/** The prefix for a lab's temp dirs (`tempDir(labTempDirPrefix())`), so a later sweep finds them. */
export function labTempDirPrefix(): string {
  return `${LAB_PREFIX}${process.pid}-`;
}

/** A process running inside a lab host. */
export interface LabProc {
  name: string;
  host: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface HttpReply<T = any> {
  status: number;
  body: T;
}

/** HTTP to a port inside a host, through the forwarder's Unix socket. */
export interface LabEndpoint {
  socketPath: string;
  request<T = any>(path: string, init?: { method?: string; body?: unknown; token?: string; timeoutMs?: number }): Promise<HttpReply<T>>;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export class NetnsLab {
  /** Namespace names by host name, plus the switch's. */
  readonly #ns = new Map<string, string>();
  readonly #addr = new Map<string, string>();
  readonly #procs: LabProc[] = [];
  readonly #switch: string;
  readonly #socketDir: string;
  #closing: Promise<void> | undefined;
  readonly #onExit = () => this.#destroySync();

  private constructor(readonly id: string, socketDir: string) {
    this.#switch = `${id}-lan`;
    this.#socketDir = socketDir;
  }

  /**
   * Builds the LAN: a switch namespace with a bridge, and one namespace per host with `eth0` at
   * 10.77.0.{1,2,…} in the order given. `socketDir` holds the forwarders' sockets.
   */
  static create(hosts: readonly string[], socketDir: string): NetnsLab {
    for (const h of hosts) if (!/^[a-z0-9]{1,12}$/.test(h)) throw new Error(`host name '${h}': 1-12 lowercase letters or digits`);
    const lab = new NetnsLab(`${LAB_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`, socketDir);
    // Registered first: if the test process dies mid-way, what exists so far still goes.
    process.once('exit', lab.#onExit);
    try {
      ip('netns', 'add', lab.#switch);
      ip('-n', lab.#switch, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', lab.#switch, 'link', 'set', 'br0', 'up');
      hosts.forEach((host, i) => {
        const ns = `${lab.id}-${host}`;
        const addr = `${SUBNET}.${i + 1}`;
        ip('netns', 'add', ns);
        lab.#ns.set(host, ns);
        lab.#addr.set(host, addr);
        // Both ends are created inside their namespaces: nothing ever appears on the machine's own.
        ip('link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', `v-${host}`, 'netns', lab.#switch);
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', lab.#switch, 'link', 'set', `v-${host}`, 'master', 'br0', 'up');
      });
    } catch (err) {
      lab.#destroySync();
      throw err;
    }
    return lab;
  }

  /** Every namespace of this lab, the switch's included. */
  get namespaces(): string[] {
    return [...this.#ns.values(), this.#switch];
  }

  address(host: string): string {
    const a = this.#addr.get(host);
    if (!a) throw new Error(`no host '${host}' in the lab`);
    return a;
  }

  #nsOf(host: string): string {
    const ns = this.#ns.get(host);
    if (!ns) throw new Error(`no host '${host}' in the lab`);
    return ns;
  }

  /** Runs `node <args>` inside `host`, with the host's name as hostname and only `env` (plus PATH). */
  spawnNode(host: string, name: string, args: readonly string[], env: Record<string, string>): LabProc {
    const child = spawn(
      'ip',
      // `ip netns exec`, `unshare` and `exec` each replace the process: child.pid is node's pid.
      // The hostname is written through /proc: no `hostname` binary needed.
      ['netns', 'exec', this.#nsOf(host), 'unshare', '--uts', '/bin/sh', '-c', 'echo "$1" > /proc/sys/kernel/hostname && shift && exec "$@"', 'sh', host, process.execPath, ...args],
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const proc: LabProc = {
      name,
      host,
      child,
      output: () => out,
      exited: new Promise((r) => child.once('close', (code) => r(code))),
      async stop(graceMs = 5_000) {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited(child);
        clearTimeout(t);
      },
    };
    this.#procs.push(proc);
    return proc;
  }

  /** Exposes `host`'s TCP `port` (on its LAN address) to the test process through a Unix socket. */
  async expose(host: string, port: number): Promise<LabEndpoint> {
    const socketPath = join(this.#socketDir, `${host}-${port}.sock`);
    const fwd = this.spawnNode(host, `forwarder-${host}-${port}`, [FORWARDER, socketPath, this.address(host), String(port)], {});
    const deadline = Date.now() + 10_000;
    while (!fwd.output().includes('forwarding')) {
      if (fwd.child.exitCode !== null) throw new Error(`forwarder in ${host} exited: ${fwd.output()}`);
      if (Date.now() > deadline) throw new Error(`forwarder in ${host} did not start: ${fwd.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      socketPath,
      request: (path, init = {}) =>
        new Promise((resolve, reject) => {
          const headers: Record<string, string> = {};
          const body = init.body === undefined ? undefined : JSON.stringify(init.body);
          if (body !== undefined) headers['content-type'] = 'application/json';
          if (init.token) headers['authorization'] = `Bearer ${init.token}`;
          const req = request({ socketPath, path, method: init.method ?? 'GET', headers, timeout: init.timeoutMs ?? 10_000 }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => {
              try {
                resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
              } catch (err) {
                reject(err);
              }
            });
          });
          req.on('timeout', () => req.destroy(new Error(`${path}: no reply within ${init.timeoutMs ?? 10_000} ms`)));
          req.on('error', reject);
          req.end(body);
        }),
    };
  }

  /** Unplugs `host` from the switch (its `eth0` loses carrier), or plugs it back. */
  setLink(host: string, up: boolean): void {
    this.#nsOf(host);
    ip('-n', this.#switch, 'link', 'set', `v-${host}`, up ? 'up' : 'down');
  }

  /** Stops every process (SIGTERM, then SIGKILL), deletes every namespace; idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= (async () => {
      await Promise.all(this.#procs.map((p) => p.stop(3_000).catch(() => undefined)));
      this.#destroySync();
    })());
  }

  #destroySync(): void {
    process.off('exit', this.#onExit);
    for (const p of this.#procs) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    for (const ns of this.namespaces) destroyNamespace(ns);
  }

  /** Namespaces of this lab that still exist (empty after {@link close}). */
  leftovers(): string[] {
    return namespaces(this.id);
  }
}
