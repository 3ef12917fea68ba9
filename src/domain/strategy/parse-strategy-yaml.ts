import { YAMLParseError, parse } from 'yaml';
import type { StrategyConfig } from './strategy-config.js';
import { StrategyValidationError } from './strategy-validation-error.js';
import { validateStrategy } from './validate-strategy.js';

/**
 * Parses and validates a strategy YAML document. YAML syntax errors (including duplicate keys)
 * are reported as a {@link StrategyValidationError} too, with the line and column.
 *
 * @param source - file or name the text came from, used in error messages
 */
export function parseStrategyYaml(text: string, source?: string): StrategyConfig {
  let document: unknown;
  try {
    document = parse(text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const where = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    // Only the first line, without its position: the rest quotes the source, and the text must
    // never be echoed back (it may not be the caller's).
    const firstLine = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?\s*$/, '');
    throw new StrategyValidationError([{ path: '', message: `YAML syntax error${where}: ${firstLine}` }], source, { cause: err });
  }
  return validateStrategy(document, source);
}
