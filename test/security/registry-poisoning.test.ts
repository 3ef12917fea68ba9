/**
 * Issue 8 point 5: free-form objects are bounded before anything is stored. Before the fix a
 * registration with `capabilities` nested 5,000 deep answered 500 but was stored, and from then
 * on GET /api/v1/workers answered 500 to everyone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBoundedJson, SMALL_JSON } from '../../src/contracts/index.js';
import { api } from '../helpers/cluster.js';
import { fakeEndpoint } from '../helpers/fake-endpoint.js';
import { createSandbox, startServers } from './helpers.js';

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

/** JSON text of an object nested `depth` deep (JSON.stringify itself overflows the stack on such values). */
function nestedText(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

async function register(base: string, id: string, field: string, valueText: string) {
  const res = await fetch(`${base}/api/v1/workers/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"worker_id":"${id}","worker_type":"backtesting","endpoint_url":"http://127.0.0.1:59001","${field}":${valueText}}`,
  });
  return { status: res.status, body: (await res.json()) as { detail: string; code: string } };
}


test('a 5,000-deep capabilities object is a 400, is not stored, and GET /workers keeps working', async (t) => {
  const sandbox = createSandbox();
  t.after(() => sandbox.remove());
  const { backendUrl } = await startServers(t, { sandbox });
  const bad: [string, string, string][] = [
    ['deep-caps', 'capabilities', nestedText(5000)],
    ['deep-meta', 'metadata', nestedText(5000)],
    ['wide-caps', 'capabilities', JSON.stringify(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])))],
    ['big-caps', 'capabilities', JSON.stringify({ blob: 'x'.repeat(200_000) })],
    ['deep-array', 'capabilities', `{"list":${'['.repeat(50)}${']'.repeat(50)}}`],
  ];
  for (const [id, field, text] of bad) {
    const r = await register(backendUrl, id, field, text);
    assert.equal(r.status, 400, `${id}: ${JSON.stringify(r.body).slice(0, 200)}`);
    assert.equal(r.body.code, 'VALIDATION_FAILED');
    assert.match(r.body.detail, new RegExp(field));
    assert.equal((await api(backendUrl, `/api/v1/workers/${id}`)).status, 404, `${id} was stored`);
  }
  const list = await api<unknown[]>(backendUrl, '/api/v1/workers');
  assert.equal(list.status, 200);
  // A normal registration with ordinary capabilities still works.
  const endpoint = await fakeEndpoint('fine');
  t.after(() => endpoint.close());
  const ok = await api(backendUrl, '/api/v1/workers/register', { method: 'POST', body: { worker_id: 'fine', worker_type: 'backtesting', endpoint_url: endpoint.url, capabilities: { gpu: true, gpu_type: 'cuda', cores: 8, nested: { a: { b: 1 } } } } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await api(backendUrl, '/api/v1/workers')).status, 200);
});

test('checkBoundedJson: depth, key count and size, without recursion', () => {
  assert.equal(checkBoundedJson({ gpu: true, cores: 4, list: [1, 2, 3] }, SMALL_JSON), undefined);
  assert.match(checkBoundedJson(nested(100_000), SMALL_JSON) ?? '', /nested deeper than 6/);
  assert.match(checkBoundedJson(Array.from({ length: 1000 }, () => 1), SMALL_JSON) ?? '', /more than 500 keys/);
  assert.match(checkBoundedJson({ s: 'x'.repeat(70_000) }, SMALL_JSON) ?? '', /larger than 65536 bytes/);
  assert.equal(checkBoundedJson(nested(5), SMALL_JSON), undefined);
  assert.equal(checkBoundedJson(null, SMALL_JSON), undefined);
});
