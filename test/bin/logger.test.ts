import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { createRootLogger } from '../../src/bin/logger.js';
import { CLI } from '../helpers/cluster.js';

/** A destination that keeps every line written. */
function sink() {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(...s.split('\n').filter((l) => l !== '')) };
}

test('createRootLogger writes JSON lines unless asked for pretty ones', () => {
  const out = sink();
  const log = createRootLogger('info', { service: 'ktrdr-backend' }, { pretty: false, destination: out });
  log.child({ component: 'dispatcher' }).info({ operationId: 'op_1' }, 'dispatched');
  const line = JSON.parse(out.lines[0] as string) as Record<string, unknown>;
  assert.equal(line['msg'], 'dispatched');
  assert.equal(line['service'], 'ktrdr-backend');
  assert.equal(line['component'], 'dispatcher');
  assert.equal(typeof line['time'], 'number');
});

test('createRootLogger pretty: one human line with time, level, service and fields, no JSON envelope', () => {
  const out = sink();
  const log = createRootLogger('info', { service: 'ktrdr-backend' }, { pretty: true, destination: out });
  log.child({ component: 'dispatcher' }).warn({ operationId: 'op_1' }, 'dispatch retried');
  log.debug('not at info level');
  assert.equal(out.lines.length, 1, out.lines.join('\n'));
  const line = out.lines[0] as string;
  assert.match(line, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN \(ktrdr-backend\): dispatch retried /);
  assert.match(line, /"component":"dispatcher"/);
  assert.match(line, /"operationId":"op_1"/);
  assert.doesNotMatch(line, /"level"|"pid"|\x1b\[/); // no JSON envelope, no colour codes off a terminal
});

test('a worker logs each key once (workerId and component were bound twice)', async (t) => {
  // A dead backend URL: the worker listens, then its registrar logs retries.
  const child = spawn(process.execPath, [CLI, 'worker', 'backtesting', '--port', '0'], {
    env: { ...process.env, KTRDR_API_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info', WORKER_ID: 'logger-test-1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = await new Promise<string[]>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no registrar line in: ${text}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('"component":"registrar"')) {
        clearTimeout(timer);
        resolve(text.split('\n').filter((l) => l.startsWith('{')));
      }
    });
  });
  assert.ok(lines.some((l) => l.includes('"component":"worker"')), lines.join('\n'));
  for (const line of lines) {
    for (const key of ['workerId', 'component', 'service', 'pid']) {
      const count = line.split(`"${key}":`).length - 1;
      assert.ok(count <= 1, `${key} appears ${count} times in ${line}`);
    }
    assert.match(line, /"workerId":"logger-test-1"/);
  }
});
