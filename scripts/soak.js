#!/usr/bin/env node

// Long-running use: many runAsync calls of mixed sizes, a fixed number in flight at once, on a
// few GRU and LSTM operators (one of which is replaced by a fresh operator now and then, as a
// server reloading its model would); RSS after warm-up, at the end and about 100 times between.
//   node --expose-gc scripts/soak.js [--calls 100000] [--in-flight 4] [--warmup calls/5] [--json]
// Exit status 1 when RSS grew by more than --max-growth percent (default 5) after warm-up (median
// of the first tenth of the readings against that of the last tenth), when
// the packed weights of the live operators changed size, or when any output had the wrong shape.
// Uses the built library (dist/, `npm run build:ts`).
const path = require('node:path');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? Number(args[k + 1]) : fallback;
};
const calls = arg('calls', 100_000);
const inFlight = arg('in-flight', 4);
const warmup = arg('warmup', Math.floor(calls / 5));
const maxGrowth = arg('max-growth', 5);
const json = args.includes('--json');

const { GruOp, LstmOp } = require(path.join(__dirname, '..', 'dist'));
const { prng: rng } = require(path.join(__dirname, '..', 'bench', 'tensors'));
const random = rng(20261127);
const floats = (n, scale) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
const tensor = (dims, scale) => ({
  type: 'float32',
  data: floats(
    dims.reduce((a, b) => a * b, 1),
    scale,
  ),
  dims,
});

// Operators: [constructor, gates, I, H, attributes].
const SPECS = [
  [GruOp, 3, 16, 32, { linearBeforeReset: 1 }],
  [GruOp, 3, 64, 128, { direction: 'bidirectional' }],
  [LstmOp, 4, 32, 64, {}],
  [LstmOp, 4, 8, 16, { layout: 1, threads: 1 }],
];
function build([Op, G, I, H, attrs]) {
  const D = attrs.direction === 'bidirectional' ? 2 : 1;
  const s = 1 / Math.sqrt(H);
  return new Op({ W: tensor([D, G * H, I], s), R: tensor([D, G * H, H], s), B: tensor([D, 2 * G * H], 0.1) }, { threads: 2, ...attrs });
}
const ops = SPECS.map(build);

// Inputs of mixed sizes, made once and reused (as a server's request buffers would be, mostly).
const INPUTS = [];
for (let k = 0; k < 24; k++) {
  const which = k % SPECS.length;
  const [, , I, , attrs] = SPECS[which];
  const T = 1 + Math.floor(random() * 60);
  const B = 1 + Math.floor(random() * 12);
  const X = tensor(attrs.layout === 1 ? [B, T, I] : [T, B, I], 1);
  const lens =
    k % 3 === 0 ? { type: 'int32', data: Int32Array.from({ length: B }, () => Math.floor(random() * (T + 1))), dims: [B] } : undefined;
  INPUTS.push({ which, inputs: lens ? { X, sequenceLens: lens } : { X }, T, B });
}

async function settle() {
  // A collection frees the dropped outputs; the turns of the loop let finished calls settle.
  for (let k = 0; k < 3; k++) {
    if (global.gc) global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
const packedTotal = () => ops.reduce((a, op) => a + op.packedBytes, 0);
const mib = (b) => b / 2 ** 20;

async function main() {
  if (!global.gc) console.error('soak: run with node --expose-gc for exact readings (RSS is read without a forced GC)');
  let issued = 0;
  let done = 0;
  let badShapes = 0;
  let reloads = 0;
  const started = Date.now();
  const packedAtStart = packedTotal();
  // After warm-up, RSS every sampleEvery calls (about 100 readings): one reading moves by several
  // MiB with what the C heap holds at that instant, so growth compares the median of the first
  // tenth of the readings with the median of the last tenth.
  const sampleEvery = Math.max(100, Math.floor((calls - warmup) / 100));
  const samples = [];
  let sampling = false;

  async function call() {
    const k = issued++;
    if (k > 0 && k % 10_000 === 0) {
      // Replace an operator while calls on it may be in flight: they finish on the old weights.
      const which = (k / 10_000) % SPECS.length;
      const old = ops[which];
      ops[which] = build(SPECS[which]);
      old.dispose();
      reloads++;
    }
    const c = INPUTS[k % INPUTS.length];
    const op = ops[c.which];
    const out = await op.runAsync(c.inputs);
    const D = op.numDirections;
    if (out.Y_h.data.length !== D * c.B * op.hiddenSize || out.Y.data.length !== c.T * D * c.B * op.hiddenSize) badShapes++;
    done++;
    if (sampling && done % sampleEvery === 0) {
      if (global.gc) global.gc();
      samples.push(process.memoryUsage().rss);
    }
  }
  /** Keeps `inFlight` calls going until `upto` calls have been issued, then waits for them. */
  async function runUntil(upto) {
    const lane = async () => {
      while (issued < upto) await call();
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  }

  await runUntil(warmup);
  await settle();
  const rssWarm = process.memoryUsage().rss;
  const externalWarm = process.memoryUsage().external;
  sampling = true;
  await runUntil(calls);
  await settle();
  const mem = process.memoryUsage();

  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(samples.slice(0, tenth));
  const last = median(samples.slice(-tenth));
  const growthPct = (100 * (last - first)) / first;
  const result = {
    calls: done,
    inFlight,
    warmupCalls: warmup,
    seconds: (Date.now() - started) / 1000,
    reloads,
    rssWarmMiB: +mib(rssWarm).toFixed(1),
    rssEndMiB: +mib(mem.rss).toFixed(1),
    samples: samples.length,
    rssFirstTenthMiB: +mib(first).toFixed(1),
    rssLastTenthMiB: +mib(last).toFixed(1),
    rssMinMiB: +mib(Math.min(...samples)).toFixed(1),
    rssMaxMiB: +mib(Math.max(...samples)).toFixed(1),
    growthPct: +growthPct.toFixed(2),
    externalWarmMiB: +mib(externalWarm).toFixed(1),
    externalEndMiB: +mib(mem.external).toFixed(1),
    packedMiB: +mib(packedTotal()).toFixed(2),
    packedUnchanged: packedTotal() === packedAtStart,
    badShapes,
    gcExposed: Boolean(global.gc),
  };
  const ok = growthPct <= maxGrowth && result.packedUnchanged && badShapes === 0 && done === calls;
  if (json) console.log(JSON.stringify({ ...result, ok }));
  else {
    console.log(`soak: ${done} runAsync calls, ${inFlight} in flight, ${reloads} operator reloads, ${result.seconds.toFixed(1)} s`);
    console.log(
      `soak: RSS after ${warmup} warm-up calls ${result.rssWarmMiB} MiB, at the end ${result.rssEndMiB} MiB; ${samples.length} readings in between, ${result.rssMinMiB} to ${result.rssMaxMiB} MiB`,
    );
    console.log(
      `soak: median RSS of the first tenth of the readings ${result.rssFirstTenthMiB} MiB, of the last tenth ${result.rssLastTenthMiB} MiB: ${growthPct >= 0 ? '+' : ''}${result.growthPct}% (limit ${maxGrowth}%)`,
    );
    console.log(
      `soak: external memory ${result.externalWarmMiB} -> ${result.externalEndMiB} MiB; packed weights ${result.packedMiB} MiB (${result.packedUnchanged ? 'unchanged' : 'CHANGED'}); wrong shapes ${badShapes}`,
    );
    console.log(`soak: ${ok ? 'PASS' : 'FAIL'}`);
  }
  process.exitCode = ok ? 0 : 1;
}

main();
