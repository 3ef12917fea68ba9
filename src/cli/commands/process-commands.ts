import { InvalidArgumentError, type Command } from 'commander';
import { parseCount, parsePort } from '../option-parsers.js';
import { withPortInUseMessage } from '../port-in-use.js';

// The servers are imported lazily: `ktrdr ops` should not load fastify, tfjs or the thread pool.

function parseWorkerType(value: string): string {
  const v = value.trim().toLowerCase();
  if (v === 'backtest' || v === 'backtesting') return 'backtesting';
  if (v === 'train' || v === 'training') return 'training';
  throw new InvalidArgumentError(`'${value}' is not a worker type (backtesting or training).`);
}

/** `ktrdr backend`, `ktrdr worker TYPE`, `ktrdr up`, `ktrdr demo`: run the servers in this process. */
export function registerProcessCommands(program: Command): void {
  program
    .command('backend')
    .description('run the backend API server in the foreground (Ctrl+C stops it)')
    .option('--port <n>', 'port to listen on (default: $KTRDR_API_PORT or 8000)', parsePort)
    .option('--host <host>', 'interface to bind (default: $KTRDR_API_HOST, else 0.0.0.0 with a token and 127.0.0.1 without)')
    .option('--insecure', 'allow a non-loopback --host without KTRDR_API_TOKEN (trusted networks only; $KTRDR_INSECURE)')
    .addHelpText('after', '\nThe token comes from $KTRDR_API_TOKEN or the file $KTRDR_API_TOKEN_FILE (never a flag: flags show in `ps`).\n\nExample:\n  KTRDR_API_TOKEN=$(openssl rand -hex 32) ktrdr backend --host 0.0.0.0 --port 8000')
    .action(async (o: { port?: number; host?: string; insecure?: boolean }) => {
      const { runBackendMain } = await import('../../bin/backend.js');
      await withPortInUseMessage('backend', '--port (or KTRDR_API_PORT)', () => runBackendMain({ port: o.port, host: o.host, insecure: o.insecure }));
    });

  program
    .command('worker')
    .description('run a worker that registers with the backend at $KTRDR_API_URL (Ctrl+C drains and stops it)')
    .argument('<type>', 'backtesting or training', parseWorkerType)
    .option('--port <n>', 'port to listen on (default: $WORKER_PORT, else 5003 backtesting / 5004 training)', parsePort)
    .option('--host <host>', 'interface to bind (default: $WORKER_HOST, else 0.0.0.0 with a token and 127.0.0.1 without)')
    .option('--insecure', 'allow a non-loopback --host without KTRDR_API_TOKEN (trusted networks only; $KTRDR_INSECURE)')
    .addHelpText('after', '\nExamples:\n  KTRDR_API_URL=http://localhost:8000 ktrdr worker backtesting --port 5003\n  WORKER_GPU=true ktrdr worker training')
    .action(async (type: string, o: { port?: number; host?: string; insecure?: boolean }) => {
      const { runWorkerMain } = await import('../../bin/worker.js');
      await withPortInUseMessage('worker', '--port (or WORKER_PORT)', () => runWorkerMain(type, { port: o.port, host: o.host, insecure: o.insecure }));
    });

  program
    .command('up')
    .description('start a local cluster in the foreground: the backend plus backtesting and training workers')
    .option('--backtest-workers <n>', 'backtesting workers', parseCount, 2)
    .option('--training-workers <n>', 'CPU training workers', parseCount, 1)
    .option('--gpu-workers <n>', 'how many of the training workers declare a GPU (WORKER_GPU=true)', parseCount, 0)
    .option('--port <n>', 'backend port', parsePort, 8000)
    .option('--host <addr>', 'address the backend and workers bind and advertise, e.g. a LAN address for a demo (needs KTRDR_API_TOKEN or --insecure beyond loopback)', '127.0.0.1')
    .option('--insecure', 'allow a non-loopback --host without KTRDR_API_TOKEN (trusted networks only; $KTRDR_INSECURE)')
    .option('--log-dir <dir>', "where each child's log goes", '.ktrdr/logs')
    .option('--restart-workers', 'start a worker again when it crashes (the default)')
    .option('--no-restart-workers', 'leave a crashed worker down')
    .addHelpText(
      'after',
      '\nLocal health timings: a dead worker is marked unavailable within seconds and removed after 10 s\n' +
        '(HEALTH_CHECK_* and WORKER_REMOVAL_THRESHOLD_SECONDS in the environment override them).\n' +
        '\nExamples:\n  ktrdr up\n  ktrdr up --backtest-workers 4 --training-workers 2 --port 8080\n' +
          '  KTRDR_API_TOKEN=$(openssl rand -hex 32) ktrdr up --host 192.168.1.20   # a LAN demo other machines can join',
    )
    .action(async (o: { backtestWorkers: number; trainingWorkers: number; gpuWorkers: number; port: number; host: string; insecure?: boolean; logDir: string; restartWorkers?: boolean }) => {
      const { runLocalClusterMain } = await import('../local-cluster.js');
      await runLocalClusterMain({
        backtestWorkers: o.backtestWorkers,
        trainingWorkers: o.trainingWorkers,
        gpuTrainingWorkers: o.gpuWorkers,
        port: o.port,
        host: o.host,
        insecure: o.insecure === true,
        logDir: o.logDir,
        restartWorkers: o.restartWorkers !== false,
      });
    });

  program
    .command('demo')
    .description('end-to-end demo: start a local cluster, train a shipped strategy, backtest the new model, print the metrics')
    .option('--exit', 'stop the cluster when the demo is done (default: keep it up until Ctrl+C)')
    .option('--port <n>', 'backend port', parsePort, 8000)
    .action(async (o: { exit?: boolean; port: number }) => {
      const { runDemo } = await import('../demo.js');
      await runDemo({ exit: o.exit === true, port: o.port });
    });
}
