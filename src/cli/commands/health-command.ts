import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { formatWorkersHealth } from './workers-commands.js';

/** `ktrdr health`: is the backend up, and which workers does it have. */
export function registerHealthCommand(program: Command, ctx: CommandContext): void {
  program
    .command('health')
    .description('check that the backend answers, and summarise its workers')
    .action(async (_o: unknown, command: Command) => {
      const client = ctx.client(command);
      const health = await client.health();
      const workers = await client.workersHealth();
      if (ctx.isJson(command)) return ctx.printJson({ backend: health, workers });
      ctx.print(`Backend ${client.baseUrl}: ${health.healthy ? 'healthy' : 'UNHEALTHY'} (${health.service} ${health.version})\n`);
      ctx.print(formatWorkersHealth(workers));
    });
}
