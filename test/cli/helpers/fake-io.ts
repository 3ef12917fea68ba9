import type { CliIo } from '../../../src/cli/cli-io.js';

/** A text sink that keeps everything written. */
export class BufferSink {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A CliIo over buffers, with a manual Ctrl+C trigger and scripted prompt answers. */
export interface FakeIo extends CliIo {
  readonly stdout: BufferSink;
  readonly stderr: BufferSink;
  /** Simulates Ctrl+C. */
  interrupt(): void;
  /** Questions asked through `prompt`. */
  readonly questions: string[];
}

export function fakeIo(
  options: { isTTY?: boolean; env?: Record<string, string | undefined>; answers?: string[]; pollIntervalMs?: number; now?: () => number; columns?: number } = {},
): FakeIo {
  const handlers = new Set<() => void>();
  const questions: string[] = [];
  const answers = [...(options.answers ?? [])];
  return {
    stdout: new BufferSink(),
    stderr: new BufferSink(),
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    columns: options.columns,
    pollIntervalMs: options.pollIntervalMs ?? 5,
    now: options.now,
    onInterrupt: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    prompt: async (question) => {
      questions.push(question);
      return answers.shift() ?? '';
    },
    interrupt: () => {
      for (const h of [...handlers]) h();
    },
    questions,
  };
}
