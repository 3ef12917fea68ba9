import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadClientConfig, readTokenFile } from '../config/env.js';
import { readEnv } from '../config/env-schema.js';
import { BackendClient } from './backend-client.js';
import type { CliIo } from './cli-io.js';
import { CliError, EXIT_USAGE } from './cli-error.js';
import { colorStatus, shouldUseColor } from './status-color.js';
import type { FormatTableOptions } from './table.js';

/** The global options every command sees (`--url`, `--token`, `--json`). */
export interface GlobalOptions {
  url?: string;
  token?: string;
  tokenFile?: string;
  json?: boolean;
}

/**
 * What a command action needs: the io, a backend client configured from the global options and
 * the environment, and output helpers. One per `buildProgram` call.
 */
export class CommandContext {
  constructor(readonly io: CliIo) {}

  /** Global options merged with the command's own. */
  globals(command: Command): GlobalOptions {
    return command.optsWithGlobals<GlobalOptions>();
  }

  /** `--json` was given. */
  isJson(command: Command): boolean {
    return this.globals(command).json === true;
  }

  /**
   * A client for `--url` (else KTRDR_API_URL, else http://localhost:8000) and `--token-file` or
   * `--token` (else KTRDR_API_TOKEN / KTRDR_API_TOKEN_FILE).
   */
  client(command: Command): BackendClient {
    const { url, tokenFile } = this.globals(command);
    let { token } = this.globals(command);
    if (token !== undefined) this.note('warning: --token is visible to other users in `ps`; prefer KTRDR_API_TOKEN or --token-file');
    if (tokenFile !== undefined) {
      try {
        token = readTokenFile(tokenFile);
      } catch (err) {
        throw new CliError(`--token-file ${tokenFile}: ${(err as ConfigError).message.replace(/^KTRDR_API_TOKEN_FILE=[^:]*: /, '')}`, EXIT_USAGE);
      }
    }
    const fromEnv = loadClientConfig(this.io.env);
    let baseUrl = fromEnv.apiUrl;
    if (url !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        throw new CliError(`--url ${url}: expected an http:// or https:// URL, e.g. http://localhost:8000`, EXIT_USAGE);
      }
      baseUrl = url;
    }
    return new BackendClient({ baseUrl, token: token ?? fromEnv.apiToken });
  }

  /** `--data-dir`, else KTRDR_DATA_DIR, else `./data`. */
  dataDir(option: string | undefined): string {
    return option !== undefined ? resolve(option) : readEnv(this.io.env, 'KTRDR_DATA_DIR');
  }

  /** `--strategies-dir`, else KTRDR_STRATEGIES_DIR, else `./strategies`. */
  strategiesDir(option: string | undefined): string {
    return option !== undefined ? resolve(option) : readEnv(this.io.env, 'KTRDR_STRATEGIES_DIR');
  }

  /**
   * How tables print here: fitted to the terminal's width and with coloured status words on a
   * terminal; at natural width and plain when piped (so `grep` and scripts see whole ids).
   */
  tableOptions(extra: FormatTableOptions = {}): FormatTableOptions {
    const { isTTY, columns } = this.io;
    const width = isTTY && columns !== undefined && columns >= 20 ? columns : undefined;
    return { width, color: shouldUseColor(isTTY, this.io.env), ...extra };
  }

  /** A status word, coloured when {@link tableOptions} colours tables. */
  status(word: string): string {
    return shouldUseColor(this.io.isTTY, this.io.env) ? colorStatus(word, word) : word;
  }

  /** `--models-dir`, else KTRDR_MODELS_DIR, else `./models`. */
  modelsDir(option: string | undefined): string {
    return option !== undefined ? resolve(option) : readEnv(this.io.env, 'KTRDR_MODELS_DIR');
  }

  /** Writes text to stdout (a newline is added when missing). */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  /** Writes a value as indented JSON to stdout. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Writes a note to stderr (kept off stdout so `--json` output stays parseable). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
