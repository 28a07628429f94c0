/**
 * examples/server: concurrent requests are answered correctly and batched together; bad
 * requests get a 4xx answer and leave the server serving. (Its load test is bench/server-load.js.)
 */
import * as http from 'node:http';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startServer } = require(path.join(__dirname, '..', 'examples', 'server', 'server.js')) as {
  startServer(o: object): Promise<{ port: number; close(): Promise<void> }>;
};

function post(port: number, urlPath: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: urlPath === '/health' ? 'GET' : 'POST', path: urlPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('64 concurrent requests: all answered, in batches, each as it would be alone', async () => {
  const server = await startServer({ port: 0, windowMs: 5, maxBatch: 16 });
  try {
    const texts = Array.from({ length: 64 }, (_, k) => `request ${k} about ${'markets and games '.repeat(k % 9)}`);
    const together = await Promise.all(texts.map((text) => post(server.port, '/classify', JSON.stringify({ text }))));
    for (const r of together) {
      expect(r.status).toBe(200);
      expect((r.json.probs as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const health = await post(server.port, '/health', '');
    expect(health.json.served).toBe(64);
    expect(health.json.batches as number).toBeLessThan(64);
    // Alone, a text gets the same answer as inside a padded batch (sequenceLens masks the padding).
    for (const k of [0, 8, 63]) {
      const alone = await post(server.port, '/classify', JSON.stringify({ text: texts[k] }));
      const a = alone.json.probs as number[];
      (together[k].json.probs as number[]).forEach((p, c) => expect(p).toBeCloseTo(a[c], 6));
    }
  } finally {
    await server.close();
  }
});

test('bad requests get 4xx answers and the server keeps serving', async () => {
  const server = await startServer({ port: 0 });
  try {
    expect((await post(server.port, '/classify', 'not json')).status).toBe(400);
    expect((await post(server.port, '/classify', JSON.stringify({ text: 5 }))).status).toBe(400);
    expect((await post(server.port, '/nowhere', '{}')).status).toBe(404);
    expect((await post(server.port, '/classify', JSON.stringify({ text: 'x'.repeat(70_000) }))).status).toBe(413);
    const empty = await post(server.port, '/classify', JSON.stringify({ text: '' }));
    expect(empty.status).toBe(200);
    expect((await post(server.port, '/health', '')).json.ok).toBe(true);
  } finally {
    await server.close();
  }
});
