#!/usr/bin/env node

// An HTTP text classifier (node:http, no dependencies) that batches concurrent requests:
//   POST /classify  {"text": "..."}  ->  {"label": "sports", "probs": [..4 numbers..]}
//   GET  /health                     ->  {"ok": true, "engine": "gatedrnn", ...counters, eventLoopDelayMs, rssMiB}
//   GET  /health?reset=1             ->  the same, then the event-loop delay histogram starts again
// The model is a gatedrnn `sequential` model served through model.toSession() (model.js).
// Requests that arrive within --window-ms of the first waiting one (or until --max-batch are
// waiting) are run as one batch: one session.run over all of them, padded after each text's
// words (the embedding's maskZero makes padding change nothing), so a burst of small requests
// costs one pass over the weights. Up to --max-in-flight batches compute at once, off the event
// loop.
//
//   node examples/server/server.js [--port 8080] [--engine gatedrnn|onnxruntime|none]
//                                  [--max-batch 32] [--window-ms 2] [--max-in-flight 2] [--threads 1]
// Prints "listening on http://127.0.0.1:PORT" once ready (--port 0 picks a free port).
const http = require('node:http');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { LABELS, createEngine, tokenize } = require('./model');

const MAX_BODY = 64 * 1024;

/** Collects concurrent requests into batches for `engine.classify`. */
class MicroBatcher {
  constructor(engine, { maxBatch, windowMs, maxInFlight }) {
    Object.assign(this, { engine, maxBatch, windowMs, maxInFlight });
    this.waiting = [];
    this.timer = null;
    this.inFlight = 0;
    this.batches = 0;
    this.items = 0;
  }

  /** Resolves to the class probabilities of one token id array. */
  submit(ids) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ ids, resolve, reject });
      if (this.waiting.length >= this.maxBatch) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.windowMs);
    });
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    // At the in-flight limit, the batch that finishes next flushes again (and collects more).
    while (this.waiting.length && this.inFlight < this.maxInFlight) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.batches++;
      this.items += batch.length;
      this.engine
        .classify(batch.map((r) => r.ids))
        .then(
          (probs) => {
            const K = probs.length / batch.length;
            batch.forEach((r, b) => r.resolve(Array.from(probs.subarray(b * K, b * K + K))));
          },
          (err) => batch.forEach((r) => r.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          if (this.waiting.length && !this.timer) this.flush();
        });
    }
  }
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the server; resolves to { port, close() } once it listens. */
async function startServer({
  port = 8080,
  engine: engineName = 'gatedrnn',
  maxBatch = 32,
  windowMs = 2,
  maxInFlight = 2,
  threads = 1,
} = {}) {
  const engine = await createEngine(engineName, { threads });
  const batcher = new MicroBatcher(engine, { maxBatch, windowMs, maxInFlight });
  let served = 0;
  let failed = 0;
  // How late timers fire: the time the event loop spent unable to answer anything.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const ms = (ns) => ns / 1e6;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/health?reset=1')) {
      reply(res, 200, {
        ok: true,
        engine: engine.name,
        served,
        failed,
        batches: batcher.batches,
        meanBatch: batcher.batches ? batcher.items / batcher.batches : 0,
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
        rssMiB: process.memoryUsage.rss() / 2 ** 20,
      });
      if (req.url === '/health?reset=1') delay.reset();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/classify') return reply(res, 404, { error: 'POST /classify or GET /health' });
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else if (!res.headersSent) {
        // Answer now, read (and drop) the rest so the client sees the answer, close after.
        res.setHeader('connection', 'close');
        reply(res, 413, { error: `body over ${MAX_BODY} bytes` });
      } else if (size > 16 * MAX_BODY) req.destroy();
    });
    req.on('end', async () => {
      if (res.writableEnded) return;
      let text;
      try {
        text = JSON.parse(Buffer.concat(chunks).toString('utf8')).text;
      } catch {
        return reply(res, 400, { error: 'expected a JSON body {"text": "..."}' });
      }
      if (typeof text !== 'string') return reply(res, 400, { error: 'expected "text" to be a string' });
      try {
        const probs = await batcher.submit(tokenize(text));
        served++;
        reply(res, 200, { label: LABELS[probs.indexOf(Math.max(...probs))], probs });
      } catch (err) {
        failed++;
        reply(res, 500, { error: String(err?.message) });
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      delay.disable();
      await engine.close();
    },
  };
}

module.exports = { startServer, MicroBatcher };

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name, fallback) => {
    const k = args.indexOf(`--${name}`);
    return k >= 0 ? args[k + 1] : fallback;
  };
  startServer({
    port: Number(arg('port', 8080)),
    engine: arg('engine', 'gatedrnn'),
    maxBatch: Number(arg('max-batch', 32)),
    windowMs: Number(arg('window-ms', 2)),
    maxInFlight: Number(arg('max-in-flight', 2)),
    threads: Number(arg('threads', 1)),
  }).then(
    ({ port, close }) => {
      console.log(`listening on http://127.0.0.1:${port}`);
      const stop = () => close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
