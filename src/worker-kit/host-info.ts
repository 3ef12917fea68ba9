import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { availableParallelism, hostname, totalmem } from 'node:os';

/**
 * The local address the OS would use to reach `apiUrl` (a connected UDP socket sends nothing),
 * or undefined if that can't be found.
 */
export async function localAddressToward(apiUrl: string): Promise<string | undefined> {
  const url = new URL(apiUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const done = (addr: string | undefined) => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(addr);
    };
    socket.on('error', () => done(undefined));
    try {
      socket.connect(port, host === 'localhost' ? '127.0.0.1' : host, () => {
        try {
          done(socket.address().address);
        } catch {
          done(undefined);
        }
      });
    } catch {
      done(undefined);
    }
  });
}

/** WORKER_ENDPOINT_URL if given, else http://{local IP toward the backend}:{port}, else the hostname. */
export async function resolveEndpointUrl(explicit: string | undefined, apiUrl: string, port: number): Promise<string> {
  if (explicit) return explicit.replace(/\/+$/, '');
  const addr = (await localAddressToward(apiUrl)) ?? hostname();
  return `http://${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

export interface GpuInfo {
  gpu: boolean;
  gpu_type: string | null;
  gpu_count: number;
  gpu_memory_gb: number | null;
}

/** Asks nvidia-smi (when installed) what GPUs this host has. */
export function detectGpu(timeoutMs = 3_000): Promise<GpuInfo> {
  const none: GpuInfo = { gpu: false, gpu_type: null, gpu_count: 0, gpu_memory_gb: null };
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits'],
      { timeout: timeoutMs },
      (err, stdout) => {
        if (err) return resolve(none);
        const rows = stdout.trim().split('\n').filter(Boolean).map((l) => l.split(',').map((s) => s.trim()));
        if (rows.length === 0) return resolve(none);
        const mem = Number(rows[0]?.[1]);
        resolve({
          gpu: true,
          gpu_type: rows[0]?.[0] ?? null,
          gpu_count: rows.length,
          gpu_memory_gb: Number.isFinite(mem) ? Math.round((mem / 1024) * 10) / 10 : null,
        });
      },
    );
  });
}

/** `{cores, memory_gb}` (detected unless given) plus GPU info (detected unless `gpu` is forced). */
export async function detectCapabilities(opts: {
  cores?: number | undefined;
  memoryGb?: number | undefined;
  gpu?: boolean | undefined;
}): Promise<Record<string, unknown>> {
  const gpu = opts.gpu === false ? { gpu: false, gpu_type: null, gpu_count: 0, gpu_memory_gb: null } : await detectGpu();
  if (opts.gpu === true && !gpu.gpu) {
    // Forced on (WORKER_GPU=true) without nvidia-smi: trust the operator.
    Object.assign(gpu, { gpu: true, gpu_type: 'declared', gpu_count: 1 });
  }
  return {
    ...gpu,
    cores: opts.cores ?? availableParallelism(),
    memory_gb: opts.memoryGb ?? Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}
