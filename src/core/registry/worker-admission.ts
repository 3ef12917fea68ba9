import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { isTerminal, type RegisterWorkerRequest } from '../../contracts/index.js';
import { EndpointUnreachableError, InvalidRequestError, WorkerConflictError, toError } from '../../contracts/errors.js';
import type { OperationsService } from '../operations/operations-service.js';
import type { WorkerClient } from '../worker-client.js';
import type { RegisterOutcome, WorkerRegistry } from './worker-registry.js';

export interface WorkerAdmissionDeps {
  registry: WorkerRegistry;
  client: WorkerClient;
  operations: OperationsService;
  log: Logger;
}

export interface WorkerAdmissionOptions {
  /** Worker types this backend can dispatch to; any other type is refused. */
  workerTypes: readonly string[];
  /** Timeout of the identity probe of an endpoint. @defaultValue 2000 */
  probeTimeoutMs?: number;
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\./.test(h) || h === '::ffff:127.0.0.1';
}

function isUnspecifiedHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0' || (isIP(h) === 4 && /^0\./.test(h));
}

/** True for a loopback client address as Node reports it (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`). */
export function isLoopbackAddress(ip: string | undefined): boolean {
  return ip !== undefined && (ip === '::1' || /^(::ffff:)?127\./.test(ip));
}

/**
 * Decides whether a registration may take effect, before anything is stored:
 * - the endpoint is an http(s) URL to a real address (not 0.0.0.0; loopback only from loopback);
 * - the endpoint answers `/health` as this worker (identity headers), so only a successful probe
 *   makes a worker available and nobody registers someone else's endpoint;
 * - it takes over no live worker: the same worker_id still answering at another endpoint, another
 *   worker_id still answering at this endpoint, or an operation that another worker runs → 409.
 */
export class WorkerAdmission {
  readonly #deps: WorkerAdmissionDeps;
  readonly #log: Logger;
  readonly #opts: Required<WorkerAdmissionOptions>;

  constructor(deps: WorkerAdmissionDeps, options: WorkerAdmissionOptions) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'admission' });
    this.#opts = { probeTimeoutMs: 2_000, ...options };
  }

  checkEndpoint(raw: string, clientIp: string | undefined): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw InvalidRequestError.field('endpoint_url', `'${raw.slice(0, 200)}' is not a URL (expected e.g. http://10.0.0.5:5003)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw InvalidRequestError.field('endpoint_url', `must be an http:// or https:// URL, got '${url.protocol}'`);
    }
    if (url.username || url.password) throw InvalidRequestError.field('endpoint_url', 'must not carry credentials');
    if (isUnspecifiedHost(url.hostname)) {
      throw InvalidRequestError.field(
        'endpoint_url',
        `${url.hostname} is a listen address, not one the backend can call; set WORKER_ENDPOINT_URL to this host's reachable address`,
      );
    }
    if (isLoopbackHost(url.hostname) && !isLoopbackAddress(clientIp)) {
      throw InvalidRequestError.field(
        'endpoint_url',
        `a loopback address (${url.hostname}) registered from another host (${clientIp}) would point the backend at itself`,
      );
    }
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  }

  /** Answers whether `endpointUrl` serves `/health` as `workerId` right now. */
  async #answersAs(endpointUrl: string, workerId: string): Promise<boolean> {
    try {
      const probe = await this.#deps.client.probe(endpointUrl, this.#opts.probeTimeoutMs);
      return probe.workerId === workerId;
    } catch {
      return false;
    }
  }

  async admit(req: RegisterWorkerRequest, clientIp: string | undefined): Promise<RegisterOutcome> {
    const { registry, client, operations } = this.#deps;
    if (!this.#opts.workerTypes.includes(req.worker_type)) {
      throw InvalidRequestError.field('worker_type', `must be one of ${this.#opts.workerTypes.join(', ')}, got '${req.worker_type}'`);
    }
    const endpointUrl = this.checkEndpoint(req.endpoint_url, clientIp);
    const existing = registry.get(req.worker_id);
    const atEndpoint = registry.findByEndpoint(endpointUrl);

    // The new endpoint must answer as this worker: an impostor can't register someone else's URL.
    let identity: string | null;
    try {
      identity = (await client.probe(endpointUrl, this.#opts.probeTimeoutMs)).workerId;
    } catch (err) {
      throw new EndpointUnreachableError(endpointUrl, toError(err).message);
    }
    if (identity !== null && identity !== req.worker_id) {
      throw new WorkerConflictError(req.worker_id, `endpoint_url ${endpointUrl} answers as worker '${identity}', not '${req.worker_id}'`);
    }
    if (existing && existing.endpointUrl !== endpointUrl && (await this.#answersAs(existing.endpointUrl, req.worker_id))) {
      throw new WorkerConflictError(
        req.worker_id,
        `worker_id '${req.worker_id}' is registered from ${existing.endpointUrl}, which still answers: pick another WORKER_ID`,
      );
    }
    if (atEndpoint && atEndpoint.workerId !== req.worker_id && (await this.#answersAs(endpointUrl, atEndpoint.workerId))) {
      throw new WorkerConflictError(req.worker_id, `endpoint_url ${endpointUrl} belongs to worker '${atEndpoint.workerId}', which still answers`);
    }
    const claimed = req.current_operation_id ?? null;
    if (claimed) {
      const op = operations.active().find((o) => o.operation_id === claimed);
      const holder = op?.worker_id && op.worker_id !== req.worker_id ? registry.get(op.worker_id) : undefined;
      // A worker that once held an attempt of this op (a stale one, after a partition) is no
      // impostor: it registers, and the backend cancels its stale run. Anyone else is refused.
      const heldBefore = op?.attempts?.some((a) => a.worker_id === req.worker_id) ?? false;
      if (op && !isTerminal(op.status) && holder && holder.unreachableSince === null && !heldBefore) {
        throw new WorkerConflictError(req.worker_id, `current_operation_id ${claimed} runs on worker '${holder.workerId}'`);
      }
    }
    const outcome = registry.register({ ...req, endpoint_url: endpointUrl });
    if (outcome.restarted) this.#log.info({ workerId: req.worker_id }, 'worker restarted (new boot id)');
    return outcome;
  }
}
