import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy for hung-peer tests: forwards 127.0.0.1:{port} to a target port. While `rule` says so
 * for a connection (decided on its first request line), the replies (or the requests) on that
 * connection are held back `delayMs` before they are passed on — a slow link, not a lost one.
 */
export interface DelayProxy {
  url: string;
  port: number;
  /** Which connections to slow down, from the first request line that matches (e.g. /^POST \/backtests\/start/) on. */
  delay(rule: { match: RegExp; delayMs: number; direction: 'reply' | 'request' } | null): void;
  /** Chunks held back right now. */
  held(): number;
  /** Held-back chunks passed on so far (or dropped, when the receiving side had gone meanwhile). */
  released(): number;
  close(): Promise<void>;
}

export async function delayProxy(targetPort: number): Promise<DelayProxy> {
  let rule: { match: RegExp; delayMs: number; direction: 'reply' | 'request' } | null = null;
  const sockets = new Set<Socket>();
  let held = 0;
  let released = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
    sockets.add(upstream);
    let slow: { delayMs: number; direction: 'reply' | 'request' } | null = null;
    const later = (fn: () => void, dir: 'reply' | 'request') => {
      if (slow && slow.direction === dir) setTimeout(fn, slow.delayMs);
      else fn();
    };
    /** Like `later`, for a data chunk, counted while it is held back. */
    const pass = (write: () => void, dir: 'reply' | 'request') => {
      if (!slow || slow.direction !== dir) return write();
      held++;
      setTimeout(() => {
        write();
        held--;
        released++;
      }, slow.delayMs);
    };
    client.on('data', (chunk: Buffer) => {
      // Clients reuse connections (keep-alive): look at every request line, not only the first.
      const line = chunk.toString('latin1', 0, Math.min(chunk.length, 200)).split('\r\n', 1)[0] ?? '';
      if (!slow && rule && /^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(line) && rule.match.test(line)) {
        slow = { delayMs: rule.delayMs, direction: rule.direction };
      }
      pass(() => upstream.destroyed || upstream.write(chunk), 'request');
    });
    upstream.on('data', (chunk: Buffer) => pass(() => client.destroyed || client.write(chunk), 'reply'));
    const end = () => {
      // Let delayed bytes drain before closing the other side.
      later(() => {
        client.destroy();
        upstream.destroy();
      }, slow?.direction ?? 'reply');
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    delay: (r) => {
      rule = r;
    },
    held: () => held,
    released: () => released,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
