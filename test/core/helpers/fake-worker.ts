/**
 * The far edge of the core's unit tests: a real HTTP server on 127.0.0.1:0 standing in for a
 * worker. Each test scripts its replies; a reply can also be held until the test releases it (or
 * never, for timeouts). Every request is recorded with its parsed body.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerHealthReport } from '../../../src/contracts/index.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

/** A scripted reply: status and JSON body, or `hang` (no reply until the server closes). */
export type Reply = { status: number; body: unknown } | 'hang';

export interface FakeWorker {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Decides the reply to each request; replace it at any time. */
  handler: (req: RecordedRequest) => Reply | Promise<Reply>;
  /** Resolves with the first request (already received or still to come) that matches. */
  received(match: (req: RecordedRequest) => boolean): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export function healthReport(patch: Partial<WorkerHealthReport> = {}): WorkerHealthReport {
  return {
    healthy: true,
    service: 'fake-worker',
    timestamp: new Date(0).toISOString(),
    status: 'operational',
    worker_status: 'idle',
    current_operation: null,
    ...patch,
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

export async function startFakeWorker(handler: FakeWorker['handler'] = () => ({ status: 200, body: healthReport() })): Promise<FakeWorker> {
  const hung = new Set<ServerResponse>();
  const waiters: { match: (req: RecordedRequest) => boolean; resolve: (req: RecordedRequest) => void }[] = [];
  const worker: FakeWorker = {
    url: '',
    requests: [],
    handler,
    received: (match) => {
      const seen = worker.requests.find(match);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: async () => {
      for (const res of hung) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // the backend's client keeps connections alive
      await closed;
    },
  };
  const server = createServer((req, res) => {
    void (async () => {
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', body: await readBody(req) };
      worker.requests.push(recorded);
      for (const w of waiters.filter((x) => x.match(recorded))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(recorded);
      }
      const reply = await worker.handler(recorded);
      if (reply === 'hang') {
        hung.add(res);
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (worker as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return worker;
}
