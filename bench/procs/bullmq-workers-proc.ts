/**
 * N BullMQ workers (concurrency 1 each, like a ktrdr worker) in one process, running the same sleep
 * job. Argv: redisPort count queueName. Each job returns when its code started and ended and which
 * worker ran it. Sends `{ ready: true }` once all are connected; closes them on 'stop'.
 */
import { Worker } from 'bullmq';
import { nowMs } from '../clock.js';

const [portArg, countArg, queueName] = process.argv.slice(2);
const connection = { host: '127.0.0.1', port: Number(portArg), maxRetriesPerRequest: null };
const workers: Worker[] = [];
for (let i = 0; i < Number(countArg ?? '4'); i++) {
  const w = new Worker(
    queueName!,
    async (job) => {
      const tStart = nowMs();
      const sleepMs = (job.data as { sleep_ms?: number }).sleep_ms ?? 0;
      if (sleepMs > 0) await new Promise((r) => setTimeout(r, sleepMs));
      return { t_start: tStart, t_end: nowMs(), worker: i };
    },
    { connection, concurrency: 1 },
  );
  await w.waitUntilReady();
  workers.push(w);
}
process.on('message', (msg: { cmd?: string }) => {
  if (msg.cmd === 'stop') void Promise.all(workers.map((w) => w.close())).finally(() => process.exit(0));
});
process.send!({ ready: true });
// The bench died without saying stop: don't outlive it.
process.on('disconnect', () => process.exit(1));
