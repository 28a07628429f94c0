#!/usr/bin/env node

// Training throughput (samples/s of forward + backward + update) of the Keras text classifier
// in gatedrnn, @tensorflow/tfjs (CPU backend) and PyTorch (CPU, bench/train_torch.py). See HELP.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { gitInfo, summarize, watchOtherLoad } = require('./measure');
const { prng } = require('./tensors');
const { writeTrainingReport } = require('./report');

const HELP = `Usage: npm run bench:train -- [options]

Trains the text classifier of the design (Embedding 10000x128 -> GRU 128 (all steps) -> GRU 128
-> Dense 64 relu -> Dense 46 softmax; batch 32, T = 100, sparse categorical cross-entropy, Adam),
and the same with LSTM, for a few steps in gatedrnn, tfjs (CPU backend) and PyTorch (CPU) at the
same thread counts, each run in its own child process, and reports samples/s, GFLOP/s, the share of the measured FMA peak, and the ratios.
PyTorch runs at its best thread setting: every torch.set_num_threads × OPENBLAS_NUM_THREADS
pair from {1, threads} is timed for a few steps and the fastest is then timed in full. The bench says which BLAS torch loaded
and refuses to run against the reference BLAS (exit code 3), whose GEMMs are no anchor.
Writes bench/train-results.json and the "Training throughput" section of bench/RESULTS.md.

Options:
  --steps N        timed steps of gatedrnn and PyTorch per run (default 20)
  --tfjs-steps N   timed steps of tfjs at each of its two short lengths (default 1)
  --warmup N       untimed steps before timing (default 2; tfjs none)
  --sweep-steps N  timed steps of PyTorch at each thread setting when choosing its best (default 3)
  --threads 1,2    thread counts (default 1,2); tfjs is single-threaded JS, run at the first
  --only gru|lstm  one cell kind
  --engines LIST   among gatedrnn,tfjs,torch (default all)
  --python PATH    the Python that has torch (default: $PYTHON, python3, /usr/bin/python3)
  --out DIR        where to write train-results.json and RESULTS.md (default bench/)
  --help           this text
`;

// The model and batch of the design's Keras example.
const MODEL = { vocab: 10000, embed: 128, units: 128, dense: 64, classes: 46, batch: 32, seq: 100 };
const SEED = 1;
// Sequence lengths at which tfjs is timed (see runEngine).
const TFJS_PROBE_SEQ = [2, 6];
const TARGETS = { tfjs: 50, torch: 1.5 }; // gatedrnn samples/s ÷ theirs, at equal threads

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = {
    steps: 20,
    sweepSteps: 3,
    tfjsSteps: 1,
    warmup: 2,
    threads: [1, 2],
    kinds: ['gru', 'lstm'],
    engines: ['gatedrnn', 'tfjs', 'torch'],
    python: null,
    out: __dirname,
  };
  const positive = (name, s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`Expected a positive integer for ${name} but received "${s}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new UsageError(`Expected a value after ${arg}`);
      return argv[++i];
    };
    switch (arg) {
      case '--help':
      case '-h':
        opts.help = true;
        break;
      case '--steps':
        opts.steps = positive(arg, next());
        break;
      case '--tfjs-steps':
        opts.tfjsSteps = positive(arg, next());
        break;
      case '--sweep-steps':
        opts.sweepSteps = positive(arg, next());
        break;
      case '--warmup': {
        const s = next();
        opts.warmup = Number(s);
        if (!Number.isInteger(opts.warmup) || opts.warmup < 0)
          throw new UsageError(`Expected a non-negative integer for --warmup but received "${s}"`);
        break;
      }
      case '--threads':
        opts.threads = next()
          .split(',')
          .map((s) => positive(arg, s.trim()));
        break;
      case '--only': {
        const v = next();
        if (v !== 'gru' && v !== 'lstm') throw new UsageError(`Expected gru or lstm for --only but received "${v}"`);
        opts.kinds = [v];
        break;
      }
      case '--engines':
        opts.engines = next()
          .split(',')
          .map((s) => {
            if (!['gatedrnn', 'tfjs', 'torch'].includes(s.trim()))
              throw new UsageError(`Expected gatedrnn, tfjs or torch in --engines but received "${s}"`);
            return s.trim();
          });
        break;
      case '--python':
        opts.python = next();
        break;
      case '--out':
        opts.out = path.resolve(next());
        break;
      default:
        throw new UsageError(`Unknown option "${arg}" (see --help)`);
    }
  }
  return opts;
}

// --- work per step --------------------------------------------------------------------------------

/**
 * Floating-point operations of one training step, from the matrix products: a recurrent layer's
 * forward pass is 2·T·B·G·H·(I+H) (G = 3 for GRU, 4 for LSTM), a dense layer's 2·B·in·out, and
 * the backward pass is counted as twice the forward (the products for dX and for dW). Element-wise
 * work, the embedding and the optimizer are left out, so this is a lower bound.
 */
function flopsPerStep(cell) {
  const { embed, units, dense, classes, batch: B, seq: T } = MODEL;
  const G = cell === 'gru' ? 3 : 4;
  const recurrent = 2 * T * B * G * units * (embed + units) + 2 * T * B * G * units * (units + units);
  const dense2 = 2 * B * (units * dense + dense * classes);
  return 3 * (recurrent + dense2);
}

/**
 * The addon's FMA loop at each thread count: the best of 7 calls, since other jobs on the cores
 * only ever pull a call's figure down.
 */
function measurePeak(threads) {
  const { binding } = require(path.join(__dirname, '..', 'dist', 'native'));
  return threads.map((t) => ({ threads: t, gflops: Math.max(...Array.from({ length: 7 }, () => binding().fmaPeak(t))) }));
}

/**
 * What "% of peak" divides by: the higher of the FMA loop's figures at the start and at the end
 * of the run (other jobs pull a figure down, never up).
 */
function bestPeak(start, end) {
  return start.map((p) => {
    const atEnd = end.find((x) => x.threads === p.threads);
    return { threads: p.threads, gflops: Math.max(p.gflops, atEnd.gflops), startGflops: p.gflops, endGflops: atEnd.gflops };
  });
}

// --- which BLAS PyTorch runs on ----------------------------------------------------------------

/** Refusal to compare against a BLAS that is no anchor: reported as one line, exit code 3. */
class RefusedError extends Error {}

/**
 * What the BLAS libraries mapped into torch's process (bench/train_torch.py --probe-blas) are:
 * { name, variant, file, real }. `real` is false for the reference BLAS (netlib's plain loops,
 * Debian's libblas3 in .../blas/) and for a BLAS that cannot be identified.
 */
function classifyBlas({ files, config }) {
  const file = (re) => files.find((f) => re.test(path.basename(f)) || re.test(path.dirname(f)));
  let f = file(/openblas/i);
  if (f) {
    const variant = /openmp|libopenblaso/i.test(f)
      ? 'openmp'
      : /serial/i.test(f)
        ? 'serial'
        : /pthread|libopenblasp/i.test(f)
          ? 'pthread'
          : null;
    return { name: 'OpenBLAS', variant, file: f, real: true };
  }
  if ((f = file(/mkl/i))) return { name: 'MKL', variant: null, file: f, real: true };
  if ((f = file(/blis/i))) return { name: 'BLIS', variant: null, file: f, real: true };
  if ((f = file(/atlas/i))) return { name: 'ATLAS', variant: null, file: f, real: true };
  // Linked into libtorch itself (the wheels from pytorch.org carry MKL), so no file of its own.
  if (/BLAS_INFO=mkl|Math Kernel Library/.test(config)) return { name: 'MKL (linked into torch)', variant: null, file: null, real: true };
  if (/BLAS_INFO=(open|openblas)\b/.test(config)) return { name: 'OpenBLAS (linked into torch)', variant: null, file: null, real: true };
  if (/BLAS_INFO=accelerate/.test(config)) return { name: 'Accelerate', variant: null, file: null, real: true };
  if ((f = file(/^libblas\.so/))) return { name: 'reference BLAS', variant: null, file: f, real: false };
  return { name: 'unknown', variant: null, file: files[0] ?? null, real: false };
}

/** The BLAS the Python's torch loads; throws RefusedError unless it is a real one. */
function probeBlas(torch) {
  const info = runChild('PyTorch BLAS probe', torch.python, [path.join(__dirname, 'train_torch.py'), '--probe-blas']).blas;
  const blas = { ...classifyBlas(info), files: info.files };
  if (!blas.real) {
    const what =
      blas.name === 'reference BLAS'
        ? `the reference BLAS (${blas.file}), plain loops at a few GFLOP/s`
        : `no BLAS this bench can identify (libraries mapped: ${info.files.join(', ') || 'none'})`;
    throw new RefusedError(
      `PyTorch (${torch.python}) runs on ${what}: a comparison against it says nothing about PyTorch. Install an optimized BLAS (Debian: apt install libopenblas0-pthread, or libopenblas0-openmp) and run again, or leave PyTorch out (--engines gatedrnn,tfjs).`,
    );
  }
  return blas;
}

/** torch.set_num_threads × BLAS-thread pairs tried at `threads` cores: {1, threads} each. */
function torchSettings(threads) {
  const counts = [...new Set([1, threads])];
  return counts.flatMap((torchThreads) => counts.map((blasThreads) => ({ torchThreads, blasThreads })));
}

// --- synthetic data ------------------------------------------------------------------------------

/** Token ids in [1, vocab) and labels in [0, classes), seeded: every engine gets the same batches. */
function makeBatches(count, seq) {
  const rand = prng(SEED);
  const { vocab, classes, batch } = MODEL;
  return Array.from({ length: count }, () => {
    const x = new Int32Array(batch * seq);
    for (let i = 0; i < x.length; i++) x[i] = 1 + Math.floor(rand() * (vocab - 1));
    const y = new Int32Array(batch);
    for (let i = 0; i < y.length; i++) y[i] = Math.floor(rand() * classes);
    return { x, y };
  });
}

/** CPU seconds of this process so far, all threads. */
function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// --- engines, each run in a child process (node --child ENGINE ...) -----------------------------

/**
 * gatedrnn: one `fit` call per batch, so each step is timed alone (fit's own overhead included).
 * The parent sets GATEDRNN_THREADS, the thread count of every native call the layers make.
 */
async function runGatedrnn({ cell, threads, steps, warmup, seq }) {
  const { sequential, layers, Tensor, backendInfo } = require(path.join(__dirname, '..', 'dist'));
  if (backendInfo().threads !== threads)
    throw new Error(`gatedrnn runs ${backendInfo().threads} threads, not the ${threads} asked for (GATEDRNN_THREADS)`);
  const rnn = cell === 'gru' ? layers.gru : layers.lstm;
  const { vocab, embed, units, dense, classes, batch } = MODEL;
  const stack = [
    layers.embedding({ inputDim: vocab, outputDim: embed }),
    rnn({ units, returnSequences: true }),
    rnn({ units }),
    layers.dense({ units: dense, activation: 'relu' }),
    layers.dense({ units: classes, activation: 'softmax' }),
  ];
  const model = sequential(stack, { seed: SEED });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const batches = makeBatches(warmup + steps, seq);
  const times = [];
  const losses = [];
  for (let s = 0; s < batches.length; s++) {
    const x = new Tensor('int32', batches[s].x, [batch, seq]);
    const y = new Tensor('int32', batches[s].y, [batch]);
    const t0 = process.hrtime.bigint();
    const history = await model.fit(x, y, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
    const t1 = process.hrtime.bigint();
    losses.push(history.history.loss[0]);
    if (s >= warmup) times.push(Number(t1 - t0) / 1e9);
  }
  model.dispose();
  return { stepSeconds: times, lossFirst: losses[0], lossLast: losses[losses.length - 1], cpuSeconds: cpuSeconds() };
}

/** tfjs: the same model in tfjs-layers; trainOnBatch is one step. */
async function runTfjs({ cell, steps, warmup, seq }) {
  // tfjs greets Node users with a console hint to install tfjs-node; keep stdout for the result.
  const { log, warn } = console;
  console.log = console.warn = () => {};
  let tf;
  try {
    tf = require('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    tf.tidy(() => tf.add(1, 1).dataSync());
  } finally {
    console.log = log;
    console.warn = warn;
  }
  const { vocab, embed, units, dense, classes, batch } = MODEL;
  // tfjs-layers' GRU has only resetAfter = false (Keras's older form): the same work per step.
  // Sigmoid as in Keras 2+ and the other engines (tfjs defaults to hardSigmoid).
  const rnnArgs = { units, recurrentActivation: 'sigmoid' };
  const rnn = (args) => (cell === 'gru' ? tf.layers.gru(args) : tf.layers.lstm(args));
  const model = tf.sequential({
    layers: [
      tf.layers.embedding({ inputDim: vocab, outputDim: embed, inputLength: seq }),
      rnn({ ...rnnArgs, returnSequences: true }),
      rnn(rnnArgs),
      tf.layers.dense({ units: dense, activation: 'relu' }),
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const batches = makeBatches(warmup + steps, seq);
  const times = [];
  const losses = [];
  for (let s = 0; s < batches.length; s++) {
    const x = tf.tensor2d(batches[s].x, [batch, seq], 'int32');
    const y = tf.tensor2d(Float32Array.from(batches[s].y), [batch, 1]);
    const t0 = process.hrtime.bigint();
    const loss = await model.trainOnBatch(x, y);
    const t1 = process.hrtime.bigint();
    x.dispose();
    y.dispose();
    losses.push(Array.isArray(loss) ? loss[0] : loss);
    if (s >= warmup) times.push(Number(t1 - t0) / 1e9);
  }
  model.dispose();
  return { stepSeconds: times, lossFirst: losses[0], lossLast: losses[losses.length - 1], cpuSeconds: cpuSeconds() };
}

const CHILD_ENGINES = { gatedrnn: runGatedrnn, tfjs: runTfjs };

async function childMain(argv) {
  const [engine, cell, threads, steps, warmup, seq] = argv;
  const out = await CHILD_ENGINES[engine]({
    cell,
    threads: Number(threads),
    steps: Number(steps),
    warmup: Number(warmup),
    seq: Number(seq),
  });
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** A child stopped at its time limit. */
class ChildTimeout extends Error {}

/** The last line of a child's stdout as JSON, or an error that quotes the child's stderr. */
function runChild(label, command, args, env = process.env, timeoutMs = undefined) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24, env, timeout: timeoutMs });
  if (r.error && r.error.code === 'ETIMEDOUT') throw new ChildTimeout(`${label} took over ${(timeoutMs / 1e3).toFixed(0)} s`);
  if (r.error) throw new Error(`${label}: could not start ${command}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${label} exited with ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** The first Python that imports torch, with its version; null when there is none. */
function findTorch(preferred) {
  const candidates = preferred ? [preferred] : [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, version: r.stdout.trim() };
  }
  return null;
}

// --- main ----------------------------------------------------------------------------------------

/** One child run at sequence length `seq`: its step times and the other processes' share of the machine. */
function runOnce(engine, cell, threads, seq, steps, warmup, torch, setting = null, budgetS = null, timeoutMs = undefined) {
  const otherLoad = watchOtherLoad();
  const t0 = process.hrtime.bigint();
  let out;
  if (engine === 'torch') {
    const script = path.join(__dirname, 'train_torch.py');
    const args = [
      '--cell',
      cell,
      '--threads',
      setting.torchThreads,
      '--steps',
      steps,
      '--warmup',
      warmup,
      '--seq',
      seq,
      '--seed',
      SEED,
    ].map(String);
    if (budgetS != null) args.push('--budget', String(budgetS));
    // The BLAS's own thread pool, under the names the common libraries read.
    const n = String(setting.blasThreads);
    out = runChild(
      'PyTorch',
      torch.python,
      [script, ...args],
      { ...process.env, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n, BLIS_NUM_THREADS: n },
      timeoutMs,
    );
    const blas = classifyBlas(out.blas);
    if (blas.name !== torch.blas.name || blas.file !== torch.blas.file)
      throw new Error(`PyTorch ran on ${blas.name} (${blas.file}), not the ${torch.blas.name} the probe found`);
  } else {
    out = runChild(engine, process.execPath, [__filename, '--child', engine, cell, ...[threads, steps, warmup, seq].map(String)], {
      ...process.env,
      GATEDRNN_THREADS: String(threads),
    });
  }
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  // watchOtherLoad counts the child as another process: take away the CPU time it reports.
  const seen = otherLoad();
  const share = seen == null ? null : Math.max(0, seen - out.cpuSeconds / (wallS * os.cpus().length));
  return { out, share };
}

function runEngine(engine, cell, threads, opts, torch) {
  const row = { engine, cell, threads };
  if (engine === 'tfjs') {
    // A tfjs step at T = 100 takes many minutes (its CPU backend's Embedding gradient loops over
    // all 10000 rows with tensor ops, and the RNN runs op by op): time it at short lengths and
    // extrapolate along the line through them (cost = fixed + per-step part, both measured).
    const probes = TFJS_PROBE_SEQ.map((seq) => {
      const { out, share } = runOnce(engine, cell, threads, seq, opts.tfjsSteps, 0, torch);
      return { seq, ...summarize(out.stepSeconds), share, lossFirst: out.lossFirst, lossLast: out.lossLast };
    });
    const [a, b] = probes;
    const perStep = (b.medianMs - a.medianMs) / (b.seq - a.seq);
    // Each step adds work, so a flat or falling line means other jobs distorted a probe.
    if (!(perStep > 0))
      throw new Error(
        `its probes are inconsistent (T = ${a.seq}: ${a.medianMs.toFixed(0)} ms, T = ${b.seq}: ${b.medianMs.toFixed(0)} ms): run again on a quieter machine`,
      );
    const medianMs = a.medianMs + perStep * (MODEL.seq - a.seq);
    Object.assign(row, {
      steps: opts.tfjsSteps,
      warmup: 0,
      medianMs,
      samples: null,
      estimated: {
        probes: probes.map(({ seq, medianMs: ms, samples }) => ({ seq, medianMs: ms, samples })),
        fixedMs: a.medianMs - perStep * a.seq,
        perStepMs: perStep,
      },
      lossFirst: b.lossFirst,
      lossLast: b.lossLast,
      otherLoadPct: probes.some((p) => p.share == null) ? null : (100 * probes.reduce((x, p) => x + p.share, 0)) / probes.length,
    });
  } else if (engine === 'torch') {
    // Its best setting at this core count is the anchor: each pair in turn for a few steps (an
    // oversubscribed setting can take seconds a step), then the fastest for the full count.
    // A setting already 3× slower than the best so far stops after its first timed step, and
    // one whose process runs past 3× the best one's whole run (an oversubscribed setting can
    // take minutes a step on a loaded machine) is stopped and counted out.
    const settings = torchSettings(threads);
    const sweep = [];
    for (const setting of settings) {
      if (settings.length === 1) {
        sweep.push({ ...setting, medianMs: null, steps: 0 });
        continue;
      }
      const fastest = sweep.reduce((a, b) => Math.min(a, b.medianMs), Infinity);
      const budgetS = Number.isFinite(fastest) ? (3 * fastest * (opts.sweepSteps + 1)) / 1e3 : null;
      const fastestRun = sweep.reduce((a, b) => Math.min(a, b.runMs ?? Infinity), Infinity);
      const timeoutMs = Number.isFinite(fastestRun) ? 3 * fastestRun : undefined;
      const t0 = Date.now();
      try {
        const { out, share } = runOnce(engine, cell, threads, MODEL.seq, opts.sweepSteps, 1, torch, setting, budgetS, timeoutMs);
        const s = {
          ...setting,
          medianMs: summarize(out.stepSeconds).medianMs,
          steps: out.stepSeconds.length,
          runMs: Date.now() - t0,
          otherLoadPct: share == null ? null : 100 * share,
        };
        console.log(
          `  ${cell} torch threads=${threads}: set_num_threads(${setting.torchThreads}), BLAS threads ${setting.blasThreads}: step ${s.medianMs.toFixed(1)} ms (median of ${s.steps})`,
        );
        sweep.push(s);
      } catch (err) {
        if (!(err instanceof ChildTimeout)) throw err;
        console.log(
          `  ${cell} torch threads=${threads}: set_num_threads(${setting.torchThreads}), BLAS threads ${setting.blasThreads}: stopped after ${(timeoutMs / 1e3).toFixed(0)} s (3× the fastest setting's run)`,
        );
        sweep.push({ ...setting, medianMs: null, steps: 0, stoppedAfterS: timeoutMs / 1e3 });
      }
    }
    const best = sweep.reduce((a, b) => (b.medianMs != null && !(a.medianMs <= b.medianMs) ? b : a));
    const { out, share } = runOnce(engine, cell, threads, MODEL.seq, opts.steps, opts.warmup, torch, best);
    Object.assign(row, {
      steps: opts.steps,
      warmup: opts.warmup,
      torchThreads: best.torchThreads,
      blasThreads: best.blasThreads,
      ...summarize(out.stepSeconds),
      lossFirst: out.lossFirst,
      lossLast: out.lossLast,
      otherLoadPct: share == null ? null : 100 * share,
      sweep,
    });
  } else {
    const { out, share } = runOnce(engine, cell, threads, MODEL.seq, opts.steps, opts.warmup, torch);
    Object.assign(row, {
      steps: opts.steps,
      warmup: opts.warmup,
      ...summarize(out.stepSeconds),
      lossFirst: out.lossFirst,
      lossLast: out.lossLast,
      otherLoadPct: share == null ? null : 100 * share,
    });
  }
  row.samplesPerS = MODEL.batch / (row.medianMs / 1e3);
  row.flopsPerStep = flopsPerStep(cell);
  row.gflops = row.flopsPerStep / (row.medianMs * 1e6);
  return row;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const started = Date.now();
  const git = gitInfo(); // as the run starts: the tree may change while it runs
  const skipped = [];
  let torch = null;
  if (opts.engines.includes('torch')) {
    torch = findTorch(opts.python);
    if (!torch) skipped.push('PyTorch: not installed (no python3 that imports torch; Debian: apt install python3-torch)');
    else {
      torch.blas = probeBlas(torch);
      console.log(
        `PyTorch ${torch.version} (${torch.python}) on ${torch.blas.name}${torch.blas.variant ? ` (${torch.blas.variant})` : ''}${torch.blas.file ? `: ${torch.blas.file}` : ''}`,
      );
    }
  }
  let tfjsVersion = null;
  try {
    tfjsVersion = require('@tensorflow/tfjs/package.json').version;
  } catch {
    if (opts.engines.includes('tfjs')) skipped.push('tfjs: @tensorflow/tfjs is not installed');
  }
  const engines = opts.engines.filter((e) => (e === 'torch' ? torch : e === 'tfjs' ? tfjsVersion : true));
  const { backendInfo } = require(path.join(__dirname, '..', 'dist'));
  const peakStart = measurePeak(opts.threads);
  console.log(`FMA peak at the start: ${peakStart.map((p) => `${p.gflops.toFixed(1)} GFLOP/s at ${p.threads} thread(s)`).join(', ')}`);
  const rows = [];
  for (const cell of opts.kinds) {
    for (const threads of opts.threads) {
      for (const engine of engines) {
        // tfjs's CPU backend is single-threaded JavaScript: one run, beside the first thread count.
        if (engine === 'tfjs' && threads !== opts.threads[0]) continue;
        try {
          const row = runEngine(engine, cell, threads, opts, torch);
          rows.push(row);
          const how = row.estimated
            ? `estimated from T = ${row.estimated.probes.map((p) => `${p.seq}: ${p.medianMs.toFixed(0)} ms`).join(', ')}`
            : `median of ${row.samples}`;
          const setting = row.sweep
            ? `, best of ${row.sweep.length} settings: set_num_threads(${row.torchThreads}), BLAS threads ${row.blasThreads}`
            : '';
          console.log(
            `${cell} ${engine} threads=${threads}: ${row.samplesPerS.toFixed(2)} samples/s, ${row.gflops.toFixed(1)} GFLOP/s (step ${row.medianMs.toFixed(1)} ms, ${how}${setting})`,
          );
        } catch (err) {
          skipped.push(`${engine} ${cell} ${threads} thread(s): failed: ${err.message}`);
          console.error(`${cell} ${engine} threads=${threads}: ${err.message}`);
        }
      }
    }
  }
  const peak = bestPeak(peakStart, measurePeak(opts.threads));
  for (const r of rows) {
    const p = peak.find((x) => x.threads === r.threads);
    r.pctPeak = p ? (100 * r.gflops) / p.gflops : null;
    console.log(
      `${r.cell} ${r.engine} threads=${r.threads}: ${r.gflops.toFixed(1)} GFLOP/s, ${r.pctPeak.toFixed(0)}% of the FMA peak (${p.gflops.toFixed(1)} GFLOP/s)`,
    );
  }
  for (const r of rows) {
    if (r.engine === 'gatedrnn') continue;
    // tfjs runs once: compare it with gatedrnn at the same (first) thread count.
    const ours = rows.find((x) => x.engine === 'gatedrnn' && x.cell === r.cell && x.threads === r.threads);
    if (!ours) continue;
    r.gatedrnnRatio = ours.samplesPerS / r.samplesPerS;
    r.target = TARGETS[r.engine];
    r.met = r.gatedrnnRatio >= r.target;
  }
  const training = {
    schema: 1,
    argv: process.argv.slice(2),
    date: new Date().toISOString(),
    durationS: (Date.now() - started) / 1e3,
    machine: {
      cpuModel: (os.cpus()[0]?.model ?? 'unknown').trim(),
      cores: os.cpus().length,
      node: process.version,
      loadavg: os.loadavg()[0],
    },
    backend: backendInfo(),
    git,
    versions: { tfjs: tfjsVersion, torch: torch?.version ?? null, python: torch?.python ?? null },
    blas: torch?.blas ?? null,
    peak,
    flopsMethod:
      'matrix products only: recurrent forward 2·T·B·G·H·(I+H) per layer, dense 2·B·in·out, backward counted as twice the forward',
    model: MODEL,
    seed: SEED,
    targets: TARGETS,
    options: { steps: opts.steps, sweepSteps: opts.sweepSteps, tfjsSteps: opts.tfjsSteps, warmup: opts.warmup, threads: opts.threads },
    rows,
    skipped,
  };
  fs.mkdirSync(opts.out, { recursive: true });
  writeTrainingReport(training, opts.out);
  console.log(
    `wrote ${path.relative(process.cwd(), path.join(opts.out, 'train-results.json'))} and RESULTS.md in ${training.durationS.toFixed(0)} s`,
  );
}

module.exports = { classifyBlas, findTorch, flopsPerStep, measurePeak, probeBlas, torchSettings, RefusedError };

if (require.main === module) {
  const argv = process.argv.slice(2);
  (argv[0] === '--child' ? childMain(argv.slice(1)) : main()).catch((err) => {
    if (err instanceof UsageError) {
      console.error(`bench:train: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof RefusedError) {
      console.error(`bench:train: refused: ${err.message}`);
      process.exitCode = 3;
      return;
    }
    console.error(err?.stack ? err.stack : err);
    process.exitCode = 1;
  });
}
