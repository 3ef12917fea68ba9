/**
 * A lean HTTP/1.1 GET client for health rounds: one persistent TCP connection per worker, a request
 * that is one pre-rendered write, and a response parser that handles what HTTP/1.1 servers send
 * (Content-Length, chunked, read-until-close, `Connection: close`). A round over thousands of
 * workers spends its time here; node:http's ClientRequest/IncomingMessage/Agent machinery cost
 * about 150 µs of CPU per probe in the health-round bench, most of it not in the network.
 *
 * It is our own fast path, so it is tested against node:http (`requestJson`) as the oracle
 * (test/net/probe-connections.test.ts): same status, headers and body on the same replies. It is
 * deliberately small: GET only, no redirects, no TLS (an https endpoint goes through requestJson).
 *
 * Errors are those of requestJson: Node's network errors (ECONNREFUSED, …), `TimeoutError` when the
 * deadline passes, `AbortError` when the signal fires. A GET sent on a reused connection that the
 * server had closed meanwhile (it answered nothing) is sent once more on a fresh connection.
 */
import net from 'node:net';
import { HttpAbortError, HttpTimeoutError, type HttpJsonReply } from './http-json.js';

export interface ProbeConnectionsOptions {
  /** An idle connection is closed after this long. @defaultValue 30000 */
  idleMs?: number;
  /** A reply body larger than this fails the request. @defaultValue 1 MiB */
  maxBodyBytes?: number;
}

export interface ProbeRequest {
  /** `http://host:port/path` */
  url: string;
  /** Extra request headers (names as given). */
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Where an exchange stands: the parser's state for one response. */
interface Exchange {
  resolve(reply: HttpJsonReply): void;
  reject(err: Error): void;
  /** True once any byte of the response arrived (a failure then is not a stale connection). */
  answered: boolean;
  head: { status: number; headers: Map<string, string>; keepAlive: boolean } | null;
  framing: { kind: 'length'; remaining: number } | { kind: 'chunked'; state: ChunkState } | { kind: 'close' } | null;
  pending: Buffer;
  body: Buffer[];
  bodyBytes: number;
  maxBody: number;
}

interface ChunkState {
  /** Bytes of the current chunk's data still to read (then its CRLF); -1: reading a size line; -2: trailers. */
  remaining: number;
}

class ProtocolError extends Error {
  constructor(url: string, what: string) {
    super(`${url}: invalid HTTP response (${what})`);
    this.name = 'ProtocolError';
  }
}

class Connection {
  readonly socket: net.Socket;
  exchange: Exchange | null = null;
  /** The socket has served a response before (so a silent close means it went stale). */
  reused = false;
  dead = false;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #onGone: (c: Connection) => void;
  readonly #url: string;

  constructor(
    readonly key: string,
    host: string,
    port: number,
    url: string,
    onGone: (c: Connection) => void,
  ) {
    this.#url = url;
    this.#onGone = onGone;
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.socket.on('error', (err) => this.#die(err));
    this.socket.on('end', () => this.#onEnd());
    this.socket.on('close', () => this.#die(new Error(`${url}: connection closed`)));
  }

  /** Parked between exchanges: it holds no process open (like node:http's free sockets). */
  idle(idleMs: number): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.destroy(), idleMs).unref();
    this.socket.unref();
  }

  busy(): void {
    clearTimeout(this.#idleTimer);
    this.socket.ref();
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.#idleTimer);
    this.socket.destroy();
    this.#onGone(this);
  }

  #onEnd(): void {
    const ex = this.exchange;
    // A body framed by the end of the connection is complete now.
    if (ex?.framing?.kind === 'close') {
      this.#finish(ex, false);
      return;
    }
    this.#die(Object.assign(new Error(`${this.#url}: connection closed by the server before a complete response`), { code: 'ECONNRESET' }));
  }

  #die(err: Error): void {
    const ex = this.exchange;
    this.exchange = null;
    this.destroy();
    ex?.reject(err);
  }

  #onData(chunk: Buffer): void {
    const ex = this.exchange;
    if (!ex) {
      // Bytes nobody asked for: the connection's framing is lost.
      this.destroy();
      return;
    }
    ex.answered = true;
    try {
      this.#parse(ex, chunk);
    } catch (err) {
      this.#die(err as Error);
    }
  }

  #parse(ex: Exchange, chunk: Buffer): void {
    let buf = ex.pending.length > 0 ? Buffer.concat([ex.pending, chunk]) : chunk;
    ex.pending = EMPTY;
    if (!ex.head) {
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        if (buf.length > 64 * 1024) throw new ProtocolError(this.#url, 'header section over 64 KiB');
        ex.pending = buf;
        return;
      }
      ex.head = parseHead(buf.toString('latin1', 0, end), this.#url);
      buf = buf.subarray(end + 4);
      const { status, headers } = ex.head;
      const te = headers.get('transfer-encoding');
      const cl = headers.get('content-length');
      if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
        if (status < 200) throw new ProtocolError(this.#url, `interim status ${status}`);
        ex.framing = { kind: 'length', remaining: 0 };
      } else if (te !== undefined) {
        if (!/(?:^|,)\s*chunked\s*$/i.test(te)) throw new ProtocolError(this.#url, `transfer-encoding ${te}`);
        ex.framing = { kind: 'chunked', state: { remaining: -1 } };
      } else if (cl !== undefined) {
        if (!/^\d{1,15}$/.test(cl)) throw new ProtocolError(this.#url, `content-length ${cl}`);
        ex.framing = { kind: 'length', remaining: Number(cl) };
      } else {
        ex.framing = { kind: 'close' };
        ex.head.keepAlive = false;
      }
    }
    const framing = ex.framing!;
    if (framing.kind === 'length') {
      if (buf.length > framing.remaining) throw new ProtocolError(this.#url, 'more bytes than content-length');
      this.#append(ex, buf);
      framing.remaining -= buf.length;
      if (framing.remaining === 0) this.#finish(ex, ex.head.keepAlive);
    } else if (framing.kind === 'close') {
      this.#append(ex, buf);
    } else if (this.#chunks(ex, framing.state, buf)) {
      this.#finish(ex, ex.head.keepAlive);
    }
  }

  /** Reads chunked data; true when the last chunk and the trailers were read. */
  #chunks(ex: Exchange, st: ChunkState, input: Buffer): boolean {
    let buf = input;
    for (;;) {
      if (st.remaining >= 0) {
        // Data of the current chunk, then its CRLF.
        const need = st.remaining + 2;
        if (buf.length < need) {
          const data = buf.subarray(0, Math.min(buf.length, st.remaining));
          this.#append(ex, data);
          st.remaining -= data.length;
          // Keep a lone CR of the chunk's CRLF for the next packet.
          ex.pending = buf.subarray(data.length);
          return false;
        }
        this.#append(ex, buf.subarray(0, st.remaining));
        if (buf[st.remaining] !== 13 || buf[st.remaining + 1] !== 10) throw new ProtocolError(this.#url, 'chunk not followed by CRLF');
        buf = buf.subarray(need);
        st.remaining = -1;
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        if (buf.length > 4096) throw new ProtocolError(this.#url, 'chunk line over 4 KiB');
        ex.pending = buf;
        return false;
      }
      const line = buf.toString('latin1', 0, eol);
      buf = buf.subarray(eol + 2);
      if (st.remaining === -2) {
        // Trailers: skipped up to the empty line.
        if (line === '') {
          if (buf.length > 0) throw new ProtocolError(this.#url, 'bytes after the last chunk');
          return true;
        }
        continue;
      }
      const size = /^([0-9a-fA-F]{1,12})\s*(?:;.*)?$/.exec(line);
      if (!size) throw new ProtocolError(this.#url, `chunk size ${JSON.stringify(line.slice(0, 40))}`);
      const n = parseInt(size[1]!, 16);
      st.remaining = n === 0 ? -2 : n;
    }
  }

  #append(ex: Exchange, data: Buffer): void {
    if (data.length === 0) return;
    ex.bodyBytes += data.length;
    if (ex.bodyBytes > ex.maxBody) throw new Error(`${this.#url}: reply larger than ${ex.maxBody} bytes`);
    ex.body.push(data);
  }

  #finish(ex: Exchange, keepAlive: boolean): void {
    if (ex.pending.length > 0) throw new ProtocolError(this.#url, 'bytes after the response');
    this.exchange = null;
    const head = ex.head!;
    const text = ex.body.length === 1 ? ex.body[0]!.toString('utf8') : Buffer.concat(ex.body).toString('utf8');
    if (keepAlive) this.reused = true;
    else this.destroy();
    ex.resolve({ status: head.status, text, header: (name) => head.headers.get(name.toLowerCase()) ?? null });
  }
}

const EMPTY = Buffer.alloc(0);

function parseHead(head: string, url: string): { status: number; headers: Map<string, string>; keepAlive: boolean } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) throw new ProtocolError(url, `status line ${JSON.stringify(lines[0]!.slice(0, 40))}`);
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ProtocolError(url, `header line ${JSON.stringify(line.slice(0, 40))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = headers.get(name);
    headers.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(m[2]), headers, keepAlive };
}

/** Persistent connections by origin, reused one exchange at a time. */
export class ProbeConnections {
  readonly #idle = new Map<string, Connection[]>();
  readonly #idleMs: number;
  readonly #maxBody: number;
  #closed = false;

  constructor(options: ProbeConnectionsOptions = {}) {
    this.#idleMs = options.idleMs ?? 30_000;
    this.#maxBody = options.maxBodyBytes ?? 1024 * 1024;
  }

  /** GETs `req.url`; resolves with the reply whatever its status (like requestJson). */
  async get(req: ProbeRequest): Promise<HttpJsonReply> {
    const url = new URL(req.url);
    if (url.protocol !== 'http:') throw new TypeError(`${req.url}: the probe client speaks plain http only`);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const port = Number(url.port || 80);
    const origin = `${host}:${port}`;
    let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
    for (const [k, v] of Object.entries(req.headers ?? {})) {
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new TypeError(`header ${JSON.stringify(k)}: line breaks are not allowed`);
      head += `${k}: ${v}\r\n`;
    }
    const request = Buffer.from(`${head}\r\n`, 'latin1');
    const deadline = Date.now() + req.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      // A retry goes on a new connection: the idle ones to that origin may be as stale.
      const conn = this.#take(origin, host, port, req.url, attempt > 0);
      try {
        return await this.#exchange(conn, request, req, deadline - Date.now());
      } catch (err) {
        // A reused connection the server had closed while idle: the GET never reached it.
        const stale = conn.reused && !(err instanceof HttpTimeoutError) && !(err instanceof HttpAbortError) && !(err instanceof ProtocolError);
        if (!stale || attempt > 0 || (err as { answered?: boolean }).answered) throw err;
      }
    }
  }

  /** Closes every idle connection; requests in flight finish on theirs, which then close. */
  close(): void {
    this.#closed = true;
    for (const list of this.#idle.values()) for (const c of [...list]) c.destroy();
    this.#idle.clear();
  }

  /** Idle connections (for tests and metrics). */
  get idleCount(): number {
    let n = 0;
    for (const list of this.#idle.values()) n += list.length;
    return n;
  }

  #take(origin: string, host: string, port: number, url: string, fresh: boolean): Connection {
    const list = this.#idle.get(origin);
    while (!fresh && list && list.length > 0) {
      const c = list.pop()!;
      if (list.length === 0) this.#idle.delete(origin);
      if (!c.dead) {
        c.busy();
        return c;
      }
    }
    return new Connection(origin, host, port, url, (gone) => this.#drop(origin, gone));
  }

  #drop(origin: string, conn: Connection): void {
    const list = this.#idle.get(origin);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#idle.delete(origin);
  }

  #exchange(conn: Connection, request: Buffer, req: ProbeRequest, timeoutMs: number): Promise<HttpJsonReply> {
    return new Promise<HttpJsonReply>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
      };
      const ex: Exchange = {
        resolve: (reply) => {
          done();
          if (!conn.dead) this.#release(conn);
          resolve(reply);
        },
        reject: (err) => {
          done();
          reject(Object.assign(err, { answered: ex.answered }));
        },
        answered: false,
        head: null,
        framing: null,
        pending: EMPTY,
        body: [],
        bodyBytes: 0,
        maxBody: this.#maxBody,
      };
      const fail = (err: Error): void => {
        if (conn.exchange !== ex) return;
        conn.exchange = null;
        conn.destroy(); // mid-exchange: the connection cannot be reused
        ex.reject(err);
      };
      const timer = setTimeout(() => fail(new HttpTimeoutError(req.url, req.timeoutMs)), Math.max(0, timeoutMs));
      const onAbort = (): void => fail(new HttpAbortError(req.url));
      if (req.signal?.aborted) {
        clearTimeout(timer);
        this.#release(conn);
        reject(new HttpAbortError(req.url));
        return;
      }
      req.signal?.addEventListener('abort', onAbort, { once: true });
      conn.exchange = ex;
      conn.socket.write(request);
    });
  }

  #release(conn: Connection): void {
    if (this.#closed || conn.dead) {
      conn.destroy();
      return;
    }
    conn.idle(this.#idleMs);
    const key = conn.key;
    let list = this.#idle.get(key);
    if (!list) this.#idle.set(key, (list = []));
    list.push(conn);
  }
}
