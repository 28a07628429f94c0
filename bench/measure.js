// Timing with benchmark.js, interleaved: timings here drift by up to 1.5x between processes
// and between minutes (other jobs share the 2 cores), so engines that are compared are measured
// in the same process, in alternating order, over several short rounds whose samples are pooled.
// A ratio then compares like with like even when the machine's speed moves under us.

const Benchmark = require('benchmark');
const { prng } = require('./tensors');
const { quantile } = require('./stats');

/** Runs one benchmark.js suite to completion; resolves with its benchmarks. */
function runSuite(suite) {
  return new Promise((resolve, reject) => {
    suite.on('error', (event) => reject(event.target.error || new Error(`${event.target.name} failed`)));
    suite.on('complete', function onComplete() {
      resolve(Array.from(this));
    });
    // async: yield to the event loop between cycles (ORT's and runAsync's promises need it).
    suite.run({ async: true });
  });
}

/**
 * Times every entry { id, engine } over `rounds` rounds; in round r the order is reversed when
 * (orderSeed + r) is odd. Returns Map id -> seconds per call of every sample pooled.
 */
async function measureInterleaved(entries, { rounds, maxTime, minSamples, orderSeed = 0 }) {
  const pooled = new Map(entries.map((e) => [e.id, []]));
  for (let r = 0; r < rounds; r++) {
    const order = (orderSeed + r) % 2 === 0 ? entries : [...entries].reverse();
    const suite = new Benchmark.Suite();
    for (const { id, engine } of order) {
      const options = { maxTime: maxTime / rounds, minSamples };
      if (engine.deferredFn) Object.assign(options, { defer: true, fn: engine.deferredFn });
      else options.fn = engine.fn;
      suite.add(id, options);
    }
    for (const bench of await runSuite(suite)) {
      if (bench.error) throw bench.error;
      pooled.get(bench.name).push(...bench.stats.sample);
    }
  }
  return pooled;
}

/** Percentiles (µs) of `calls` awaited calls of fn, after a warm-up: the latency of one call. */
async function awaitLatency(fn, calls) {
  for (let i = 0; i < calls / 10; i++) await fn();
  const us = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return { calls, p10: quantile(us, 0.1), p50: quantile(us, 0.5), p90: quantile(us, 0.9) };
}

/** Summary in milliseconds; rme (±%, 95%, normal approximation) of the mean, as benchmark.js. */
function summarize(samplesSeconds) {
  const ms = samplesSeconds.map((s) => s * 1e3);
  const n = ms.length;
  const mean = ms.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? ms.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return {
    medianMs: quantile(ms, 0.5),
    p10Ms: quantile(ms, 0.1),
    p90Ms: quantile(ms, 0.9),
    meanMs: mean,
    rmePct: n > 1 ? (1.96 * Math.sqrt(variance / n) * 100) / mean : null,
    samples: n,
  };
}

/** Wall time of a single call (for the slow reference oracle, which benchmark.js would repeat). */
async function timeOnce(fn) {
  const t0 = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

/**
 * Times every entry { id, fn } by plain calls, `calls` times each, in sweeps over all entries in
 * a shuffled order (seeded, so runs are repeatable); one untimed call each warms up first.
 * Meant for calls of 1 to 200 ms, where benchmark.js (samples of at least 50 ms, several per
 * entry) would spend seconds on each of many sizes. A sweep over all sizes here takes well
 * under a second, so a burst of other load hits every size about alike instead of bending one
 * point of a fitted line.
 * Returns Map id -> seconds per call of every sample.
 */
async function measureRoundRobin(entries, { calls, seed = 1 }) {
  const rand = prng(seed);
  const pooled = new Map(entries.map((e) => [e.id, []]));
  for (const { fn } of entries) await fn();
  for (let c = 0; c < calls; c++) {
    const order = [...entries];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const { id, fn } of order) pooled.get(id).push((await timeOnce(fn)).ms / 1e3);
  }
  return pooled;
}

/** The commit measured, and whether tracked files differed from it; null outside a git checkout. */
function gitInfo() {
  const git = (...args) =>
    require('node:child_process')
      .execFileSync('git', args, { cwd: require('node:path').join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far, from /proc/stat (Linux); null elsewhere. */
function machineBusySeconds() {
  try {
    const line = require('node:fs').readFileSync('/proc/stat', 'utf8').split('\n')[0];
    // cpu user nice system idle iowait irq softirq steal ...; counted in USER_HZ (100 on Linux).
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) / 100;
  } catch {
    return null;
  }
}

/**
 * Starts watching how much of the machine other processes use; the returned function gives
 * that share (0..1 of all cores) since the start. Jobs of other people on these 2 cores are the
 * main source of noise, so each row records it: a row measured at 40% is worth less.
 */
function watchOtherLoad() {
  const cores = require('node:os').cpus().length;
  const wall0 = process.hrtime.bigint();
  const busy0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  return () => {
    const busy1 = machineBusySeconds();
    if (busy0 == null || busy1 == null) return null;
    const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
    const own = process.cpuUsage(own0);
    const others = busy1 - busy0 - (own.user + own.system) / 1e6;
    return Math.min(1, Math.max(0, others / (wall * cores)));
  };
}

/**
 * Waits, in half-second looks, until other processes use less than `maxShare` of the machine,
 * spending at most `budget.s` seconds (shared by the whole run, and reduced here).
 */
async function waitForQuiet(maxShare, budget) {
  while (budget.s > 0) {
    const watch = watchOtherLoad();
    await new Promise((resolve) => setTimeout(resolve, 500));
    budget.s -= 0.5;
    const share = watch();
    if (share == null || share < maxShare) return;
  }
}

module.exports = { awaitLatency, gitInfo, measureInterleaved, measureRoundRobin, summarize, timeOnce, watchOtherLoad, waitForQuiet };
