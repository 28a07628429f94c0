#!/usr/bin/env node

// A bounded load test of examples/server on loopback: the same server with the gatedrnn engine
// (model.toSession()) and with onnxruntime-node (the same model's toOnnx() bytes), each in its own
// node process. Two phases after a warm-up: steady (a fixed number of concurrent keep-alive
// clients for a fixed time) and bursts (--burst requests at once, the next burst when all are
// answered, for at most --burst-seconds). Records requests/s, p50/p90/p99/max latency, errors
// (non-200 answers or failed requests; the run fails unless there are none), the mean batch the
// server formed, the server's event-loop delay (perf_hooks monitorEventLoopDelay, read from
// /health) and its RSS (sampled every 20 ms: idle, and the peak during bursts); checks first that
// both engines give the same probabilities on a set of texts. Writes bench/server-load.json and
// adds its "Server load" section to bench/RESULTS.md (bench/report.js).
//   node bench/server-load.js [--concurrency 32] [--seconds 10] [--warmup 2] [--burst 200]
//                             [--burst-seconds 10] [--max-batch 32] [--window-ms 2]
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { writeServerLoadReport } = require('./report');
const { quantile } = require('./stats');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? Number(args[k + 1]) : fallback;
};
const opts = {
  concurrency: arg('concurrency', 32),
  seconds: arg('seconds', 10),
  warmup: arg('warmup', 2),
  maxBatch: arg('max-batch', 32),
  windowMs: arg('window-ms', 2),
  maxInFlight: arg('max-in-flight', 2),
  threads: arg('threads', 1),
  burst: arg('burst', 200),
  burstSeconds: arg('burst-seconds', 10),
};
const root = path.join(__dirname, '..');

// Request texts: 5 to 60 words from a small vocabulary, fixed seed.
const WORDS =
  'the a of market team game election rates shares players season research study space vote court league profit growth launch scientists record coach minister bank data climate final trade energy'.split(
    ' ',
  );
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const TEXTS = Array.from({ length: 500 }, () =>
  Array.from({ length: 5 + Math.floor(random() * 56) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' '),
);

function startServer(engine) {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'examples', 'server', 'server.js'),
      '--port',
      '0',
      '--engine',
      engine,
      '--max-batch',
      String(opts.maxBatch),
      '--window-ms',
      String(opts.windowMs),
      '--max-in-flight',
      String(opts.maxInFlight),
      '--threads',
      String(opts.threads),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`the ${engine} server exited (${code}) before listening`)));
  });
}

function request(agent, port, method, urlPath, body) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => resolve({ status: 0, body: String(e) }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.end(body);
  });
}

function rssMiB(pid) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every 20 ms until stopped; resolves to the peak in MiB. */
function watchRss(pid) {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid) ?? 0)), 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMiB(pid) ?? 0);
  };
}

function latencyStats(latencies) {
  return {
    p50Ms: quantile(latencies, 0.5),
    p90Ms: quantile(latencies, 0.9),
    p99Ms: quantile(latencies, 0.99),
    maxMs: latencies.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

async function health(agent, port, reset) {
  return JSON.parse((await request(agent, port, 'GET', reset ? '/health?reset=1' : '/health')).body);
}

/** Fixed concurrency for opts.seconds: each client posts its next text when answered. */
async function steady(agent, port) {
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let measuring = false;
  let stop = false;
  let next = 0;
  const client = async () => {
    while (!stop) {
      const text = TEXTS[next++ % TEXTS.length];
      const t0 = process.hrtime.bigint();
      const r = await request(agent, port, 'POST', '/classify', JSON.stringify({ text }));
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!measuring) continue;
      if (r.status === 200) latencies.push(ms);
      else {
        errors++;
        firstError = firstError || `${r.status} ${r.body.slice(0, 200)}`;
      }
    }
  };
  const clients = Array.from({ length: opts.concurrency }, client);
  await new Promise((resolve) => setTimeout(resolve, opts.warmup * 1000));
  const before = await health(agent, port, true);
  measuring = true;
  const t0 = Date.now();
  await new Promise((resolve) => setTimeout(resolve, opts.seconds * 1000));
  measuring = false;
  const seconds = (Date.now() - t0) / 1000;
  const after = await health(agent, port, false);
  stop = true;
  await Promise.all(clients);
  const batches = after.batches - before.batches;
  return {
    requests: latencies.length + errors,
    seconds,
    requestsPerS: latencies.length / seconds,
    ...latencyStats(latencies),
    errors,
    firstError,
    meanBatch: batches ? (after.served - before.served) / batches : null,
    eventLoopDelayMs: after.eventLoopDelayMs,
  };
}

/** opts.burst requests at once, again when all are answered, for opts.burstSeconds. */
async function bursts(port, pid) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.burst });
  const latencies = [];
  let errors = 0;
  let firstError = null;
  let count = 0;
  // Open the sockets and settle before reading the idle RSS.
  await Promise.all(
    Array.from({ length: opts.burst }, (_, k) =>
      request(agent, port, 'POST', '/classify', JSON.stringify({ text: TEXTS[k % TEXTS.length] })),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const idleRss = rssMiB(pid);
  await health(agent, port, true);
  const peakRss = watchRss(pid);
  const t0 = Date.now();
  while (Date.now() - t0 < opts.burstSeconds * 1000) {
    const sent = Array.from({ length: opts.burst }, async (_, k) => {
      const text = TEXTS[(count * opts.burst + k) % TEXTS.length];
      const s0 = process.hrtime.bigint();
      const r = await request(agent, port, 'POST', '/classify', JSON.stringify({ text }));
      const ms = Number(process.hrtime.bigint() - s0) / 1e6;
      if (r.status === 200) latencies.push(ms);
      else {
        errors++;
        firstError = firstError || `${r.status} ${r.body.slice(0, 200)}`;
      }
    });
    await Promise.all(sent);
    count++;
  }
  const seconds = (Date.now() - t0) / 1000;
  const peak = peakRss();
  const after = await health(agent, port, false);
  agent.destroy();
  return {
    bursts: count,
    requests: latencies.length + errors,
    seconds,
    requestsPerS: latencies.length / seconds,
    ...latencyStats(latencies),
    errors,
    firstError,
    eventLoopDelayMs: after.eventLoopDelayMs,
    idleRssMiB: idleRss,
    peakRssMiB: peak,
    // Over the idle server, per request of a burst (all of them in flight at its start).
    rssPerInFlightKiB: idleRss == null ? null : ((peak - idleRss) * 1024) / opts.burst,
  };
}

async function load(engine) {
  const { child, port } = await startServer(engine);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const probe = [];
  for (const text of TEXTS.slice(0, 20))
    probe.push(JSON.parse((await request(agent, port, 'POST', '/classify', JSON.stringify({ text }))).body).probs);
  const steadyRun = await steady(agent, port);
  agent.destroy();
  const burstRun = await bursts(port, child.pid);
  const rss = rssMiB(child.pid);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  return { engine, probe, ...steadyRun, serverRssMiB: rss, burst: burstRun };
}

async function main() {
  const { version: ortVersion } = require('onnxruntime-node/package.json');
  const started = new Date();
  const loadStart = os.loadavg()[0];
  const runs = [];
  // 'none' answers without a model: the delay and latency HTTP, JSON and batching cause alone.
  for (const engine of ['gatedrnn', 'onnxruntime', 'none']) {
    console.log(
      `server-load: ${engine}: ${opts.concurrency} clients, ${opts.warmup} s warm-up, ${opts.seconds} s measured; then bursts of ${opts.burst} for ${opts.burstSeconds} s`,
    );
    runs.push(await load(engine));
  }
  let maxDiff = 0;
  // gatedrnn against onnxruntime (the third run has no model).
  runs[0].probe.forEach((p, k) => p.forEach((v, c) => (maxDiff = Math.max(maxDiff, Math.abs(v - runs[1].probe[k][c])))));
  const result = {
    date: started.toISOString(),
    machine: {
      cpuModel: os.cpus()[0].model,
      cores: os.cpus().length,
      node: process.version,
      loadavgStart: loadStart,
      loadavgEnd: os.loadavg()[0],
    },
    versions: { 'onnxruntime-node': ortVersion },
    options: opts,
    maxProbDiff: maxDiff,
    runs: runs.map(({ probe, ...r }) => r),
  };
  for (const r of result.runs) {
    console.log(
      `${r.engine.padEnd(12)} ${r.requestsPerS.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p90 ${r.p90Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  max ${r.maxMs.toFixed(1)} ms  errors ${r.errors}  mean batch ${r.meanBatch == null ? '—' : r.meanBatch.toFixed(1)}  server RSS ${r.serverRssMiB == null ? '—' : r.serverRssMiB.toFixed(0)} MiB`,
    );
    if (r.firstError) console.log(`  first error: ${r.firstError}`);
    const d = r.eventLoopDelayMs;
    console.log(`${''.padEnd(12)} event-loop delay p50 ${d.p50.toFixed(1)} ms  p99 ${d.p99.toFixed(1)} ms  max ${d.max.toFixed(1)} ms`);
    const u = r.burst;
    console.log(
      `${''.padEnd(12)} bursts of ${opts.burst}: ${u.bursts} bursts, p50 ${u.p50Ms.toFixed(1)} ms  p99 ${u.p99Ms.toFixed(1)} ms  max ${u.maxMs.toFixed(1)} ms  errors ${u.errors}  event-loop delay p99 ${u.eventLoopDelayMs.p99.toFixed(1)} ms max ${u.eventLoopDelayMs.max.toFixed(1)} ms  RSS idle ${u.idleRssMiB.toFixed(0)} MiB peak ${u.peakRssMiB.toFixed(0)} MiB (${u.rssPerInFlightKiB.toFixed(0)} KiB per request in flight)`,
    );
    if (u.firstError) console.log(`  first error in bursts: ${u.firstError}`);
  }
  console.log(`server-load: engines agree on 20 texts to ${maxDiff.toExponential(1)} (max |Δ| of a probability)`);
  writeServerLoadReport(result, __dirname);
  const ok = result.runs.every((r) => r.errors === 0 && r.burst.errors === 0) && maxDiff <= 1e-4;
  console.log(`server-load: ${ok ? 'PASS' : 'FAIL'}; wrote bench/server-load.json and bench/RESULTS.md`);
  process.exitCode = ok ? 0 : 1;
}

main();
