#!/usr/bin/env node
// The `ktrdr` executable. The only process.exit of the CLI is here, in the top-level catch.
import { describeCliError } from './describe-cli-error.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  const { message, exitCode } = describeCliError(err);
  if (message !== undefined) process.stderr.write(`error: ${message}\n`);
  process.exit(exitCode);
}
