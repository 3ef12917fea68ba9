import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * The smallest S3-compatible server the model store needs (path-style, no auth checks): PUT (with
 * `If-None-Match: *` → 412 when the key exists, `x-amz-meta-*` kept), GET, HEAD and
 * ListObjectsV2. Objects live in memory. Far edge of the S3 store's tests only.
 */
export interface MiniS3 {
  url: string;
  objects: Map<string, { body: Buffer; meta: Record<string, string> }>;
  requests: string[];
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

export async function startMiniS3(bucket: string): Promise<MiniS3> {
  const objects = new Map<string, { body: Buffer; meta: Record<string, string> }>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${u.pathname}`);
      const [, b, ...rest] = u.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const body = await readBody(req);
      const error = (status: number, code: string) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(req.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
      };
      if (b !== bucket) return error(404, 'NoSuchBucket');
      if (req.method === 'GET' && key === '' && u.searchParams.get('list-type') === '2') {
        const prefix = u.searchParams.get('prefix') ?? '';
        const keys = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
            keys.map((k) => `<Contents><Key>${xml(k)}</Key><Size>${objects.get(k)!.body.byteLength}</Size></Contents>`).join('') +
            '</ListBucketResult>',
        );
      }
      if (req.method === 'PUT') {
        if (req.headers['if-none-match'] === '*' && objects.has(key)) return error(412, 'PreconditionFailed');
        const meta: Record<string, string> = {};
        for (const [h, v] of Object.entries(req.headers)) if (h.startsWith('x-amz-meta-') && typeof v === 'string') meta[h] = v;
        objects.set(key, { body, meta });
        res.writeHead(200, { etag: `"${objects.size}"` });
        return res.end();
      }
      const obj = objects.get(key);
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (!obj) return error(404, 'NoSuchKey');
        res.writeHead(200, { 'content-length': String(obj.body.byteLength), 'content-type': 'application/octet-stream', ...obj.meta });
        return res.end(req.method === 'HEAD' ? undefined : obj.body);
      }
      return error(405, 'MethodNotAllowed');
    })().catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
