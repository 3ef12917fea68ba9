import type { Command } from 'commander';
import { WORKER_STATUSES, type WorkerInfo, type WorkersHealthSummary } from '../../contracts/index.js';
import type { CommandContext } from '../command-context.js';
import { formatTimestamp } from '../format.js';
import { formatKeyValues, formatTable, type TableColumn } from '../table.js';

/** `yes (NVIDIA H100)`, `no`, or `-` when the worker did not say. */
export function describeGpu(capabilities: Record<string, unknown>): string | undefined {
  const gpu = capabilities['gpu'];
  if (gpu !== true) return gpu === false ? 'no' : undefined;
  const type = capabilities['gpu_type'];
  const count = capabilities['gpu_count'];
  const label = [typeof count === 'number' && count > 1 ? `${count}x` : '', typeof type === 'string' ? type : '']
    .filter((s) => s !== '')
    .join(' ');
  return label ? `yes (${label})` : 'yes';
}

// On a narrow terminal GPU goes first, then ENDPOINT; the operation id is elided last.
const workerColumns: TableColumn<WorkerInfo>[] = [
  { header: 'ID', value: (w) => w.worker_id, minWidth: 16, elide: 'middle' },
  { header: 'TYPE', value: (w) => w.worker_type },
  { header: 'STATUS', value: (w) => w.status, colorBy: (w) => w.status },
  { header: 'GPU', value: (w) => describeGpu(w.capabilities), dropRank: 1 },
  { header: 'ENDPOINT', value: (w) => w.endpoint_url, dropRank: 2 },
  { header: 'CURRENT OPERATION', value: (w) => w.current_operation_id, minWidth: 20, elide: 'middle' },
];

interface HealthRow {
  type: string;
  available: number;
  busy: number;
  temporarily_unavailable: number;
}

const healthColumns: TableColumn<HealthRow>[] = [
  { header: 'TYPE', value: (r) => r.type },
  { header: 'AVAILABLE', value: (r) => r.available, align: 'right' },
  { header: 'BUSY', value: (r) => r.busy, align: 'right' },
  { header: 'UNAVAILABLE', value: (r) => r.temporarily_unavailable, align: 'right' },
];

/** The worker health summary as a per-type table plus a total line. */
export function formatWorkersHealth(summary: WorkersHealthSummary): string {
  const rows: HealthRow[] = Object.entries(summary.by_type).map(([type, c]) => ({ type, ...c }));
  rows.push({
    type: 'total',
    available: summary.available,
    busy: summary.busy,
    temporarily_unavailable: summary.temporarily_unavailable,
  });
  return `${summary.total_workers} worker${summary.total_workers === 1 ? '' : 's'} registered\n\n${formatTable(rows, healthColumns)}`;
}

/** `ktrdr workers [list]`, `ktrdr workers health`, `ktrdr workers show ID`. */
export function registerWorkersCommands(program: Command, ctx: CommandContext): void {
  const workers = program.command('workers').description('registered workers and their health');

  workers
    .command('list', { isDefault: true })
    .description('list registered workers (also: `ktrdr workers`)')
    .option('--type <type>', 'only this worker type: backtesting or training')
    .option('--status <status>', `only this status: ${WORKER_STATUSES.join(', ')}`)
    .action(async (o: { type?: string; status?: string }, command: Command) => {
      const list = await ctx.client(command).listWorkers({ workerType: o.type, status: o.status });
      if (ctx.isJson(command)) return ctx.printJson(list);
      ctx.print(
        formatTable(
          list,
          workerColumns,
          ctx.tableOptions({ emptyText: 'No workers registered. Start one with `ktrdr worker backtesting` or a whole cluster with `ktrdr up`.' }),
        ),
      );
    });

  workers
    .command('health')
    .description('worker counts by type and status')
    .action(async (_o: unknown, command: Command) => {
      const summary = await ctx.client(command).workersHealth();
      if (ctx.isJson(command)) return ctx.printJson(summary);
      ctx.print(formatWorkersHealth(summary));
    });

  workers
    .command('show')
    .description('everything the backend knows about one worker')
    .argument('<worker-id>', 'worker id')
    .action(async (workerId: string, _o: unknown, command: Command) => {
      const w = await ctx.client(command).getWorker(workerId);
      if (ctx.isJson(command)) return ctx.printJson(w);
      ctx.print(
        formatKeyValues([
          ['Worker', w.worker_id],
          ['Type', w.worker_type],
          ['Status', ctx.status(w.status)],
          ['Endpoint', w.endpoint_url],
          ['GPU', describeGpu(w.capabilities)],
          ['Current operation', w.current_operation_id],
          ['Last health check', formatTimestamp(w.last_health_check)],
          ['Last healthy', formatTimestamp(w.last_healthy_at)],
          ['Failed checks', w.health_check_failures],
          ['Capabilities', JSON.stringify(w.capabilities)],
        ]),
      );
    });
}
