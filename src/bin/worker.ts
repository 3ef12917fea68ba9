import type { Logger } from 'pino';
import type { TSchema } from 'typebox';
import { ConfigError, insecureWarning, loadWorkerConfig, type WorkerConfig } from '../config/env.js';
import { createWorker, type Worker } from '../worker-kit/create-worker.js';
import { detectCapabilities, resolveEndpointUrl } from '../worker-kit/host-info.js';
import type { JobDefinition } from '../worker-kit/job.js';
import { backtestJob } from '../workers/backtest/backtest-job.js';
import { trainingJob } from '../workers/training/training-job.js';
import { createRootLogger, onShutdownSignal } from './logger.js';

/** Worker types this build can run, and the jobs each serves. */
export const WORKER_JOBS: Readonly<Record<string, { service: string; jobs: readonly JobDefinition<TSchema>[] }>> = {
  backtesting: { service: 'backtest-worker', jobs: [backtestJob as unknown as JobDefinition<TSchema>] },
  training: { service: 'training-worker', jobs: [trainingJob as unknown as JobDefinition<TSchema>] },
};

export interface RunningWorker {
  worker: Worker;
  url: string;
  endpointUrl: string;
}

/** Builds a worker from config, listens, and starts self-registration. */
export async function startWorker(config: WorkerConfig, deps: { log: Logger }): Promise<RunningWorker> {
  const kind = WORKER_JOBS[config.workerType];
  if (!kind) {
    throw new ConfigError(`unknown worker type '${config.workerType}': expected one of ${Object.keys(WORKER_JOBS).join(', ')}`);
  }
  const capabilities = await detectCapabilities({ cores: config.cores, memoryGb: config.memoryGb, gpu: config.gpu });
  const worker = createWorker(deps, {
    workerId: config.workerId,
    workerType: config.workerType,
    service: kind.service,
    jobs: kind.jobs,
    capabilities,
    // apiUrl/apiToken: jobs fetch models and data this host lacks from the backend, and upload models.
    settings: { dataDir: config.dataDir, modelsDir: config.modelsDir, strategiesDir: config.strategiesDir, apiUrl: config.apiUrl, apiToken: config.apiToken },
    apiUrl: config.apiUrl,
    apiToken: config.apiToken,
    drainMs: config.drainMs,
    registrationCheckIntervalMs: config.registrationCheckIntervalMs,
    healthSilenceMs: config.healthSilenceMs,
  });
  await worker.app.listen({ port: config.port, host: config.host });
  const port = (worker.app.server.address() as { port: number }).port;
  const endpointUrl = await resolveEndpointUrl(config.endpointUrl, config.apiUrl, port);
  deps.log.info({ workerId: config.workerId, port, endpointUrl, capabilities, auth: config.apiToken !== undefined }, 'worker listening');
  const warning = insecureWarning({ host: config.host, port, apiToken: config.apiToken });
  if (warning) deps.log.warn(warning);
  // Without WORKER_ENDPOINT_URL the address is detected anew at every (re-)registration: a worker
  // started before its network was up, or whose IP changed, registers where it can be reached now.
  worker.startRegistration(config.endpointUrl ?? (() => resolveEndpointUrl(undefined, config.apiUrl, port)));
  return { worker, url: `http://127.0.0.1:${port}`, endpointUrl };
}

/** `ktrdr worker <type>`: config from env (+ flags); SIGTERM drains, then exits 0. */
export async function runWorkerMain(
  workerType: string,
  overrides: { port?: number | undefined; host?: string | undefined; insecure?: boolean | undefined } = {},
): Promise<void> {
  const config = loadWorkerConfig(workerType, process.env, { port: overrides.port, host: overrides.host, insecure: overrides.insecure });
  // workerId is bound by the worker's own child logger: binding it here too printed it twice.
  const log = createRootLogger(config.logLevel, { service: `ktrdr-${workerType}-worker` });
  const { worker } = await startWorker(config, { log });
  onShutdownSignal(log, () => worker.drain(), config.drainMs + 15_000);
}
