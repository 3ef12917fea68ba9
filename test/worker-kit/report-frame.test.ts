import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import {
  decodeReportFrame,
  decodeSeriesFrame,
  encodeReportFrame,
  encodeSeriesFrame,
  InvalidReportFrameError,
  isInlineBytes,
  REPORT_FRAME_MEDIA_TYPE,
  SERIES_FRAME_MEDIA_TYPE,
} from '../../src/contracts/index.js';
import { BackendReporter } from '../../src/worker-kit/backend-reporter.js';
import { mediaTypeOf } from '../../src/worker-kit/artifact-wire.js';

const frame = () => encodeSeriesFrame({ time: [1, 2, 3], equity: [100, 99, 101] }, { time_column: 'time', value_column: 'equity' });

test('a report frame carries the JSON report and the artifact bytes as they are', () => {
  const bytes = frame();
  const body = encodeReportFrame({ attempt_id: 'a1', status: 'completed', artifact: { trades: [{ id: 1 }], equity_curve: bytes, raw: new Uint8Array([9, 8]) } }, mediaTypeOf);
  const report = decodeReportFrame(body);
  assert.equal(report['attempt_id'], 'a1');
  const artifact = report['artifact'] as Record<string, unknown>;
  assert.deepEqual(artifact['trades'], [{ id: 1 }]);
  const curve = artifact['equity_curve'];
  assert.ok(isInlineBytes(curve));
  assert.equal(curve.media_type, SERIES_FRAME_MEDIA_TYPE);
  assert.deepEqual(curve.data, bytes);
  assert.deepEqual(decodeSeriesFrame(curve.data).columns['equity'], new Float64Array([100, 99, 101]));
  const raw = artifact['raw'];
  assert.ok(isInlineBytes(raw));
  assert.equal(raw.media_type, 'application/octet-stream');
  assert.deepEqual([...raw.data], [9, 8]);
});

test('a malformed report frame is refused with the reason', () => {
  const body = encodeReportFrame({ status: 'completed', artifact: { b: new Uint8Array(16) } }, mediaTypeOf);
  assert.throws(() => decodeReportFrame(body.subarray(0, body.byteLength - 1)), /attachment outside the body/);
  const bad = body.slice();
  bad[0] = 1;
  assert.throws(() => decodeReportFrame(bad), InvalidReportFrameError);
  assert.throws(() => decodeReportFrame(new Uint8Array(3)), /3 bytes/);
});

test('the reporter sends bytes as a report frame, and as base64 JSON to a backend that answers 415', async (t) => {
  const seen: { type: string | undefined; body: unknown }[] = [];
  const serve = async (withParser: boolean) => {
    const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
    if (withParser) app.addContentTypeParser(REPORT_FRAME_MEDIA_TYPE, { parseAs: 'buffer' }, (_r, body, done) => done(null, decodeReportFrame(body as Buffer)));
    app.post('/api/v1/operations/:id/report', async (req) => {
      seen.push({ type: req.headers['content-type'], body: req.body });
      return { accepted: true, status: 'completed' };
    });
    t.after(() => app.close());
    return app.listen({ port: 0, host: '127.0.0.1' });
  };
  const report = { attempt_id: 'a1', status: 'completed' as const, artifact: { equity_curve: frame() } };

  const modern = new BackendReporter({ log: pino({ level: 'silent' }) }, { apiUrl: await serve(true) });
  assert.equal((await modern.pushFinal('op1', report)).answer, 'accepted');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.type, REPORT_FRAME_MEDIA_TYPE);
  assert.ok(isInlineBytes((seen[0]!.body as { artifact: Record<string, unknown> }).artifact['equity_curve']));

  const old = new BackendReporter({ log: pino({ level: 'silent' }) }, { apiUrl: await serve(false), initialBackoffMs: 1 });
  assert.equal((await old.pushFinal('op1', report)).answer, 'accepted');
  assert.equal(seen.length, 2, 'the 415 was answered by fastify, before the handler');
  assert.equal(seen[1]!.type, 'application/json');
  const blob = (seen[1]!.body as { artifact: { equity_curve: { $binary: string; media_type: string; data: string } } }).artifact.equity_curve;
  assert.equal(blob.$binary, 'base64');
  assert.equal(blob.media_type, SERIES_FRAME_MEDIA_TYPE);
  assert.deepEqual(new Uint8Array(Buffer.from(blob.data, 'base64')), frame());
  modern.close();
  old.close();
});
