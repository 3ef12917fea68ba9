/**
 * N tiny worker /health servers in one process (one port each), for the health-round bench: the
 * backend's health monitor probes them from another process, as it would real workers.
 * Argv: count. Sends `{ ports }` over IPC once all listen; exits on 'stop' or when the bench goes.
 */
import { createServer, type Server } from 'node:http';

const count = Number(process.argv[2] ?? '5000');
const body = JSON.stringify({ healthy: true, service: 'bench', timestamp: new Date().toISOString(), status: 'operational', worker_status: 'idle', current_operation: null });
const servers: Server[] = [];
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const srv = createServer((_, res) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-ktrdr-worker-id', `w${i}`);
    res.end(body);
  });
  // Like a worker (Fastify's default): idle connections are kept 72 s.
  srv.keepAliveTimeout = 72_000;
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  servers.push(srv);
  ports.push((srv.address() as { port: number }).port);
}
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
process.send!({ ports });
