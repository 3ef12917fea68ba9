import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in worker endpoint for registration tests: answers `/health` like a worker (the contract
 * body plus the identity headers) as `workerId`, so the backend's admission probe succeeds.
 * `answerAs` changes who it claims to be; `close()` makes it stop answering.
 */
export interface FakeEndpoint {
  url: string;
  workerId: string;
  answerAs(workerId: string): void;
  close(): Promise<void>;
}

export async function fakeEndpoint(workerId: string): Promise<FakeEndpoint> {
  let identity = workerId;
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-ktrdr-worker-id': identity, 'x-ktrdr-boot-id': 'boot-fake' });
      res.end(
        JSON.stringify({
          healthy: true,
          service: 'fake-worker',
          timestamp: new Date().toISOString(),
          status: 'operational',
          worker_status: 'idle',
          current_operation: null,
        }),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ detail: 'not found', code: 'NOT_FOUND' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    workerId,
    answerAs: (id) => {
      identity = id;
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })),
  };
}
