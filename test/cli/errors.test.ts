import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { CommanderError } from 'commander';
import { ApiError } from '../../src/cli/api-error.js';
import { BackendClient } from '../../src/cli/backend-client.js';
import { BackendUnreachableError } from '../../src/cli/backend-unreachable-error.js';
import { CliError } from '../../src/cli/cli-error.js';
import { describeCliError } from '../../src/cli/describe-cli-error.js';
import { runCli } from '../../src/cli/run-cli.js';
import { fakeIo } from './helpers/fake-io.js';

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('unreachable backend: the error names the URL, the cause and how to start one', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const client = new BackendClient({ baseUrl: url });
  await assert.rejects(client.listWorkers(), (err: unknown) => {
    assert.ok(err instanceof BackendUnreachableError);
    assert.equal(err.reason, 'connection refused');
    assert.match(err.message, new RegExp(url.replace(/\./g, '\\.')));
    assert.match(err.message, /`ktrdr up`/);
    assert.match(err.message, /`ktrdr backend`/);
    return true;
  });
});

test('unreachable backend through the CLI: one error line on stderr, exit 1, nothing on stdout', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const io = fakeIo({ env: { KTRDR_API_URL: url } });
  const code = await runCli(['workers', 'list'], io);
  assert.equal(code, 1);
  assert.equal(io.stdout.text, '');
  const lines = io.stderr.text.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0] as string, /^error: the ktrdr backend at http:\/\/127\.0\.0\.1:\d+ is unreachable \(connection refused\)\. Start a local cluster with `ktrdr up`/);
});

test('a request with no reply within the timeout is reported as unreachable with the timeout', async (t) => {
  const srv = createHttpServer(() => {
    /* accept and never answer */
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    return new Promise<void>((r) => srv.close(() => r()));
  });
  const client = new BackendClient({ baseUrl: `http://127.0.0.1:${(srv.address() as { port: number }).port}`, timeoutMs: 200 });
  await assert.rejects(client.health(), (err: unknown) => err instanceof BackendUnreachableError && err.reason === 'no reply within 0.2 s');
});

test('ApiError from ErrorBody: code and detail; field issues appended when the detail lacks them', () => {
  const e1 = ApiError.fromResponse(404, 'Not Found', { detail: "Operation 'x' not found", code: 'OPERATION_NOT_FOUND' }, 'GET /api/v1/operations/x');
  assert.equal(e1.status, 404);
  assert.equal(e1.code, 'OPERATION_NOT_FOUND');
  assert.equal(e1.message, "Operation 'x' not found");
  const e2 = ApiError.fromResponse(400, 'Bad Request', {
    detail: 'invalid request',
    code: 'INVALID_REQUEST',
    errors: [{ path: 'start_date', message: 'must be before end_date' }],
  }, 'POST /api/v1/backtests/start');
  assert.equal(e2.message, 'invalid request (start_date: must be before end_date)');
  const e3 = ApiError.fromResponse(400, 'Bad Request', {
    detail: 'symbol: is required',
    code: 'VALIDATION_FAILED',
    errors: [{ path: 'symbol', message: 'is required' }],
  }, 'POST /x');
  assert.equal(e3.message, 'symbol: is required');
});

test('ApiError from the 503 no-workers body carries the hint', () => {
  const e = ApiError.fromResponse(503, 'Service Unavailable', {
    error: 'No backtesting workers available',
    worker_type: 'backtesting',
    registered_workers: 0,
    hint: 'Start one with `ktrdr worker backtesting` or `ktrdr up`.',
  }, 'POST /api/v1/backtests/start');
  assert.equal(e.code, 'NO_WORKERS_AVAILABLE');
  assert.equal(e.message, 'No backtesting workers available (0 backtesting workers registered). Start one with `ktrdr worker backtesting` or `ktrdr up`.');
});

test('ApiError from a non-JSON body names the status and request', () => {
  const e = ApiError.fromResponse(502, 'Bad Gateway', '<html>\nproxy error</html>', 'GET /api/v1/workers');
  assert.equal(e.code, 'HTTP_502');
  assert.equal(e.message, 'HTTP 502 Bad Gateway from GET /api/v1/workers: <html>');
});

test('describeCliError: help → 0, usage → 2, CliError → its code, others → 1', () => {
  assert.deepEqual(describeCliError(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), { message: undefined, exitCode: 0 });
  assert.deepEqual(describeCliError(new CommanderError(1, 'commander.unknownOption', 'x')), { message: undefined, exitCode: 2 });
  assert.deepEqual(describeCliError(new CliError('stopped', 130)), { message: 'stopped', exitCode: 130 });
  assert.deepEqual(describeCliError(new Error('boom')), { message: 'boom', exitCode: 1 });
  assert.deepEqual(describeCliError('weird'), { message: 'weird', exitCode: 1 });
});
