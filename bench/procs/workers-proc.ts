/**
 * N real worker-kit workers (createWorker, one port each) in one process, running the bench's sleep
 * job. Argv: apiUrl count. Sends `{ ready: true }` once all listen; on 'report' it sends, per
 * operation, when the worker accepted it (the backend confirmed the attempt and the operation was
 * created, right before its job thread is started); exits on 'stop'.
 */
import { Type } from 'typebox';
import { pino } from 'pino';
import { createWorker, type Worker } from '../../src/worker-kit/create-worker.js';
import { defineJob } from '../../src/worker-kit/job.js';
import { BacktestStartRequest } from '../../src/workers/backtest/backtest-request.js';
import { nowMs } from '../clock.js';

const [apiUrl, countArg] = process.argv.slice(2);
const count = Number(countArg ?? '4');
const log = pino({ level: 'silent' });
const job = defineJob({
  domain: 'backtests',
  operationType: 'backtesting',
  params: Type.Object({ ...Type.Partial(BacktestStartRequest).properties, fixture: Type.Optional(Type.Any()) }),
  module: new URL('../fixtures/sleep-job-thread.js', import.meta.url),
});
const acceptedAt: Record<string, number> = {};
const workers: Worker[] = [];
for (let i = 0; i < count; i++) {
  const w = createWorker({ log }, { workerId: `bench-w${i}`, workerType: 'backtesting', service: 'bench', jobs: [job], apiUrl: apiUrl!, finalReportMs: 0 });
  const create = w.operations.create.bind(w.operations);
  w.operations.create = (operationId, ...rest) => {
    acceptedAt[operationId] = nowMs();
    return create(operationId, ...rest);
  };
  await w.app.listen({ port: 0, host: '127.0.0.1' });
  w.startRegistration(`http://127.0.0.1:${(w.app.server.address() as { port: number }).port}`);
  workers.push(w);
}
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'report') process.send!({ acceptedAt });
  if (msg.cmd === 'stop') void Promise.all(workers.map((w) => w.close())).finally(() => process.exit(0));
});
process.send!({ ready: true });
// The bench died without saying stop: don't outlive it.
process.on('disconnect', () => process.exit(1));
