#!/usr/bin/env node

// gatedrnn vs onnxruntime-node (and, where they fit, tfjs and brain.js) on single-layer GRU and
// LSTM forward passes. See HELP below; results go to bench/results.json and bench/RESULTS.md.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ENGINES, BF16_TOLERANCE, gatedrnn, installed } = require('./engines');
const { makeWeights, makeInput, maxAbsDiff, rnnFlops } = require('./tensors');
const { awaitLatency, gitInfo, measureInterleaved, summarize, timeOnce, watchOtherLoad, waitForQuiet } = require('./measure');
const { measureScaling, measureSpeedup } = require('./scaling');
const { measureMemory } = require('./memory');
const { median } = require('./stats');
const { printTables, writeReports, writeSessionsReport, observations, configLabel, fmtMs, fmtDiff, readJson } = require('./report');
const { runSessions } = require('./sessions');
const { measureContention, SHAPES } = require('./contention');

const HELP = `Usage: npm run bench -- [options]

Times one forward pass of a GRU/LSTM layer in gatedrnn and onnxruntime-node, interleaved in one
process, and writes bench/results.json and bench/RESULTS.md. Then, for gatedrnn alone: how time
grows with T and with B (a fitted line), 2 threads against 1 at B=64, and peak memory at B=64.

Options:
  --quick              fewer, shorter samples; no tfjs/brain.js; under 3 minutes
  --threads 1,2        thread counts to measure (default 2,1)
  --only gru|lstm      one cell kind ("gru" covers linear_before_reset 1 and 0)
  --configs LIST       TxBxI triples (I = H), e.g. 100x1x128,50x64x512
  --engines LIST       among onnxruntime,tfjs,brain (gatedrnn is always measured)
  --max-time S         seconds per engine per configuration, all rounds together
  --rounds N           interleaved rounds per configuration
  --no-reference       skip the scalar reference oracle (about 10 s)
  --no-peak            skip the FMA peak measurement
  --no-scaling         skip time against T and B (I=H=256, 2 threads) and the 2-vs-1-thread
                       speed-up (T=50 B=64 I=H=512); about 15 s, 5 with --quick
  --no-memory          skip the peak-memory probe (T=50 B=64 I=H=512, 2 threads, a child
                       process per cell); about 1 s
                       (these two have fixed sizes and threads: --configs and --threads do not
                       apply; --only does)
  --settle S           seconds the run may spend in all waiting for other jobs to quiet down
                       before timing a configuration again (default 120; 0 with --quick)
  --no-contention      skip the tables of what a server's process sees (bench/contention.js):
                       onnxruntime-node and gatedrnn alternating call by call in one process,
                       onnxruntime at its default session options and with intra-op spinning
                       off, with a 5 ms sleep before every call, and beside a busy-looping
                       process; T×B×H 100×1×128, 100×1×512, 1000×1×64, 100×16×256, 50×64×512,
                       GRU and LSTM, each thread count; \`run\` and \`runAsync\`. Each cell stops
                       after 3 s once it has 8 calls of each kind (0.3 s and 3 with --quick), so
                       about 4 to 5 min, and under 1 with --quick, on an idle machine
                       (--configs, --threads and --only apply)
  --contention-only    only those tables: they replace the contention section of the existing
                       results.json (and RESULTS.md); the other tables are left as they are
  --no-sessions        skip the imported-model rows (bench/sessions.js: each fixture at
                       (B,T) = (1,1), (1,100), (16,100), the README classifier, DTLN's model_1
                       when bench/models/dtln_model_1.onnx or $GATEDRNN_DTLN_MODEL holds it)
  --out DIR            where to write results.json and RESULTS.md (default bench/)
  --help               this text
`;

// The shapes of the forward tables and of the contention tables alike.
const CONFIGS = SHAPES;
// The reset-before GRU is the less common one: a short run checks two shapes of it.
const QUICK_LBR0_CONFIGS = ['100x1x128', '50x64x512'];
const REFERENCE_CONFIG = { T: 50, B: 64, I: 512, H: 512 };
const ASYNC_CONFIG = '100x1x128'; // small, so the fixed cost of going off-thread shows
const TOLERANCE = 1e-4;
// Optional JS engines are timed only where one call is estimated under this many seconds.
const OPTIONAL_MAX_S = 30;
// Above this estimated call time an engine is timed by a few plain calls, not benchmark.js.
const BENCHMARKJS_MAX_S = 0.25;
// Share of all cores used by other processes above which a configuration is timed again, and
// below which the machine counts as quiet enough to do so.
const RETRY_LOAD = 0.25;
const QUIET_LOAD = 0.1;

const VARIANTS = [
  { variant: 'GRU (lbr=1)', kind: 'gru', cell: 'GRU', lbr: 1 },
  { variant: 'LSTM', kind: 'lstm', cell: 'LSTM', lbr: 0 },
  { variant: 'GRU (lbr=0)', kind: 'gru', cell: 'GRU', lbr: 0 },
];

// --- options -----------------------------------------------------------------------------------

/** A mistake in the command line: reported as one line, not a stack trace. */
class UsageError extends Error {}

function parseList(value, name, parse) {
  if (!value) throw new UsageError(`Expected a comma-separated list for --${name} but received nothing`);
  return value.split(',').map((s) => parse(s.trim()));
}

function parseConfig(s) {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s);
  if (!m) throw new UsageError(`Expected TxBxI (e.g. 100x1x128) in --configs but received "${s}"`);
  const [T, B, I] = m.slice(1).map(Number);
  if (!(T > 0 && B > 0 && I > 0)) throw new UsageError(`Expected positive sizes in --configs but received "${s}"`);
  return { T, B, I };
}

function parseArgs(argv) {
  const opts = {
    quick: false,
    threads: [2, 1],
    kinds: ['gru', 'lstm'],
    configs: null,
    engines: ['onnxruntime', 'tfjs', 'brain'],
    maxTime: null,
    rounds: null,
    reference: true,
    peak: true,
    scaling: true,
    memory: true,
    out: __dirname,
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
      case '--quick':
        opts.quick = true;
        break;
      case '--threads':
        opts.threads = parseList(next(), 'threads', (s) => {
          const n = Number(s);
          if (!Number.isInteger(n) || n < 1) throw new UsageError(`Expected positive integers for --threads but received "${s}"`);
          return n;
        });
        break;
      case '--only': {
        const v = next();
        if (v !== 'gru' && v !== 'lstm') throw new UsageError(`Expected gru or lstm for --only but received "${v}"`);
        opts.kinds = [v];
        break;
      }
      case '--configs':
        opts.configs = parseList(next(), 'configs', parseConfig);
        break;
      case '--engines':
        opts.engines = parseList(next(), 'engines', (s) => {
          if (!['onnxruntime', 'tfjs', 'brain', 'gatedrnn'].includes(s))
            throw new UsageError(`Expected onnxruntime, tfjs or brain in --engines but received "${s}"`);
          return s;
        }).filter((s) => s !== 'gatedrnn');
        break;
      case '--max-time':
        opts.maxTime = Number(next());
        break;
      case '--rounds':
        opts.rounds = Number(next());
        break;
      case '--settle':
        opts.settle = Number(next());
        break;
      case '--no-reference':
        opts.reference = false;
        break;
      case '--no-peak':
        opts.peak = false;
        break;
      case '--no-scaling':
        opts.scaling = false;
        break;
      case '--no-memory':
        opts.memory = false;
        break;
      case '--no-sessions':
        opts.sessions = false;
        break;
      case '--no-contention':
        opts.contention = false;
        break;
      case '--contention-only':
        opts.contentionOnly = true;
        break;
      case '--out':
        opts.out = path.resolve(next());
        break;
      default:
        throw new UsageError(`Unknown option "${arg}" (see --help)`);
    }
  }
  // Defaults sized so the forward tables take about 1.5 minutes with --quick and about 9 in full
  // on 2 idle cores (scaling and memory add about 6 s to --quick and 15 to the full run; the
  // contention tables, sized below, under 1 and about 4 to 5 minutes).
  if (opts.maxTime == null) opts.maxTime = opts.quick ? 0.6 : 3;
  if (opts.rounds == null) opts.rounds = opts.quick ? 2 : 3;
  opts.minSamples = opts.quick ? 3 : 5;
  // Timed calls per size in the scaling and speed-up sections (plain calls, all sizes in turn).
  opts.scalingCalls = opts.quick ? 5 : 15;
  // Not reduced by --quick: what a process calling `run` repeatedly holds is the peak over
  // several runs, and five cost about a second per cell.
  opts.memoryRuns = 5;
  // Calls of each gatedrnn kind per contention cell (as many of onnxruntime's, twice), and the
  // seconds after which a cell stops once it has the minimum.
  opts.contentionCalls = opts.quick ? { maxCalls: 5, minCalls: 3, maxTime: 0.3 } : { maxCalls: 40, minCalls: 8, maxTime: 3 };
  if (opts.contentionOnly && opts.contention === false) throw new UsageError('--contention-only and --no-contention exclude each other');
  if (opts.settle == null) opts.settle = opts.quick ? 0 : 120;
  if (!(opts.settle >= 0)) throw new UsageError('Expected a non-negative number of seconds for --settle');
  if (!(opts.maxTime > 0)) throw new UsageError('Expected a positive number of seconds for --max-time');
  if (!(Number.isInteger(opts.rounds) && opts.rounds > 0)) throw new UsageError('Expected a positive integer for --rounds');
  if (opts.quick) opts.engines = opts.engines.filter((e) => e === 'onnxruntime');
  return opts;
}

// --- FMA peak ------------------------------------------------------------------------------------

/**
 * The arithmetic peak at each thread count: the addon's FMA loop with the active kernels, and
 * the loop of the active bf16 kernel (vdpbf16ps, two multiply-adds per lane, where it runs; the
 * fp32 FMAs the emulated kernel widens to elsewhere), which the bf16 rows are held against.
 */
async function measurePeak(opts) {
  const { binding } = require('../dist/native');
  const median7 = (f) => median(Array.from({ length: 7 }, f));
  const out = [];
  for (const t of opts.threads) {
    const otherLoad = watchOtherLoad();
    const gflops = median7(() => binding().fmaPeak(t));
    const bf16Gflops = median7(() => binding().fmaPeak(t, true));
    const share = otherLoad();
    out.push({ threads: t, gflops, bf16Gflops, otherLoadPct: share == null ? null : 100 * share });
  }
  return out;
}

// --- one configuration -------------------------------------------------------------------------

function skipOnce(skipped, text) {
  if (!skipped.includes(text)) skipped.push(text);
}

/** Seconds per call, estimated from a run over T/20 steps (which also warms up the JIT). */
async function estimateSeconds(def, spec) {
  const Tp = Math.max(1, Math.round(spec.T / 20));
  const X = { ...spec.X, data: spec.X.data.subarray(0, Tp * spec.B * spec.I), dims: [Tp, spec.B, spec.I] };
  const probe = await def.create({ ...spec, T: Tp, X });
  try {
    const { ms } = await timeOnce(() => probe.fn()); // the optional engines are all synchronous
    return ((ms / 1e3) * spec.T) / Tp;
  } finally {
    probe.dispose();
  }
}

/** Output comparison with gatedrnn's: max |Δ| over Y (when the engine gives it) and Y_h. */
function compareOutputs(ours, theirs) {
  const dY = theirs.Y ? maxAbsDiff(ours.Y, theirs.Y) : 0;
  const dH = maxAbsDiff(ours.Y_h, theirs.Y_h);
  return Number.isNaN(dY) || Number.isNaN(dH) ? NaN : Math.max(dY, dH);
}

/** Times one configuration's engines; returns Map row -> summary and others' CPU share. */
async function timeGroup(timed, slow, opts, index) {
  const stats = new Map();
  const otherLoad = watchOtherLoad();
  const pooled = await measureInterleaved(timed, {
    rounds: opts.rounds,
    maxTime: opts.maxTime,
    minSamples: opts.minSamples,
    orderSeed: index,
  });
  for (const { id, row } of timed) stats.set(row, summarize(pooled.get(id)));
  for (const { row, engine, firstMs } of slow) {
    // Seconds per call: a few plain calls within the time budget (the check call was the
    // first; it is used alone when even one more would take too long).
    const calls = Math.min(5, Math.floor(opts.maxTime / (firstMs / 1e3)));
    const samples = [];
    for (let i = 0; i < calls; i++) samples.push((await timeOnce(() => engine.fn())).ms / 1e3);
    stats.set(row, { ...summarize(samples.length ? samples : [firstMs / 1e3]), firstCallOnly: samples.length === 0 });
  }
  return { stats, share: otherLoad() };
}

async function runGroup(group, opts, state) {
  const { v, config, threads, index } = group;
  const spec = {
    cell: v.cell,
    lbr: v.lbr,
    ...config,
    H: config.I,
    threads,
    weights: state.weights(v.cell, config),
    X: state.input(config),
  };
  const ids = ['gatedrnn'];
  if (opts.engines.includes('onnxruntime')) ids.push('onnxruntime');
  if (v.variant === 'GRU (lbr=1)' && configLabel(config) === configLabel(parseConfig(ASYNC_CONFIG)))
    ids.push('gatedrnn-async', 'gatedrnn-run-sync');
  // bf16 weights pay off where weights stream from memory: batch 1.
  if (config.B === 1 && v.variant !== 'GRU (lbr=0)') ids.push('gatedrnn-bf16');
  // The pure-JS engines ignore thread counts: measure them once, next to 1-thread gatedrnn.
  if (threads === Math.min(...opts.threads)) ids.push(...opts.engines.filter((e) => ENGINES[e].optional));

  const live = [];
  const rows = [];
  try {
    let ours = null;
    const timed = [];
    const slow = [];
    for (const id of ids) {
      const def = ENGINES[id];
      const why = def.supports(spec);
      if (why) {
        skipOnce(state.skipped, `${def.label}: ${why}`);
        continue;
      }
      let estimate = 0;
      if (def.optional) {
        estimate = await estimateSeconds(def, spec);
        if (estimate > OPTIONAL_MAX_S) {
          skipOnce(
            state.skipped,
            `${def.label}: ${v.variant} ${configLabel(config)}, one call estimated at ${estimate.toFixed(0)} s (limit ${OPTIONAL_MAX_S} s)`,
          );
          continue;
        }
      }
      const engine = await def.create(spec);
      live.push(engine);
      // The check call doubles as warm-up (first-call allocation, JIT, thread-pool start).
      const { ms, result } = await timeOnce(() => engine.outputs());
      const unverifiable = def.unverifiable ? def.unverifiable(spec) : null;
      const row = {
        engineId: id,
        engine: def.label,
        variant: v.variant,
        cell: v.cell,
        lbr: v.cell === 'GRU' ? v.lbr : undefined,
        config: { ...config, H: config.I },
        threads,
      };
      if (id === 'gatedrnn') ours = result;
      else {
        row.maxAbsDiff = compareOutputs(ours, result);
        row.verified = !unverifiable;
        if (unverifiable) row.note = unverifiable;
        else row.pass = row.maxAbsDiff < (def.tolerance ?? TOLERANCE);
      }
      rows.push(row);
      // Only the pure-JS engines can be too slow for benchmark.js's minimum sample count.
      if (def.optional && Math.max(estimate, ms / 1e3) > BENCHMARKJS_MAX_S) slow.push({ row, engine, firstMs: ms });
      else timed.push({ id, engine, row });
    }

    let timing = await timeGroup(timed, slow, opts, index);
    // A configuration timed while other jobs took a big share of the 2 cores is timed again
    // once the machine is quiet (as far as the --settle budget allows); the quieter one is kept.
    if (timing.share != null && timing.share > RETRY_LOAD && state.settle.s > 0) {
      await waitForQuiet(QUIET_LOAD, state.settle);
      const again = await timeGroup(timed, slow, opts, index);
      if (again.share < timing.share) timing = again;
    }
    for (const [row, summary] of timing.stats)
      Object.assign(row, summary, { otherLoadPct: timing.share == null ? null : 100 * timing.share });
  } finally {
    for (const e of live) await e.dispose();
  }
  return rows;
}

// --- the reference oracle ----------------------------------------------------------------------

async function runReference(v, opts, state, rows) {
  const { referenceForward } = require(path.join(__dirname, '..', 'dist', 'ops', 'reference'));
  const config = REFERENCE_CONFIG;
  const weights = state.weights(v.cell, config);
  const X = state.input(config);
  const attrs = v.cell === 'GRU' ? { linearBeforeReset: v.lbr } : {};
  const runs = opts.quick ? 1 : 2;
  const times = [];
  let out = null;
  for (let i = 0; i < runs; i++) {
    const { ms, result } = await timeOnce(() => referenceForward(v.cell, weights, attrs, { X }));
    times.push(ms / 1e3);
    out = result;
  }
  const refMs = summarize(times).medianMs;
  const ratios = [];
  let maxDiff = null;
  for (const threads of opts.threads) {
    let fastMs = rows.find(
      (r) => r.engineId === 'gatedrnn' && r.variant === v.variant && r.threads === threads && configLabel(r.config) === configLabel(config),
    )?.medianMs;
    const spec = { cell: v.cell, lbr: v.lbr, ...config, threads, weights, X };
    const engine = await ENGINES.gatedrnn.create(spec);
    try {
      const fast = await engine.outputs();
      const d = compareOutputs(fast, { Y: out.Y.data, Y_h: out.Y_h.data });
      maxDiff = maxDiff == null || !(d <= maxDiff) ? d : maxDiff;
      if (fastMs == null) {
        // Not in the tables (--configs left it out): a few awaited calls instead.
        const samples = [];
        for (let i = 0; i < 5; i++) samples.push((await timeOnce(() => engine.outputs())).ms / 1e3);
        fastMs = summarize(samples).medianMs;
      }
    } finally {
      engine.dispose();
    }
    ratios.push({ threads, fastMs, ratio: refMs / fastMs });
  }
  return { variant: v.variant, cell: v.cell, config, ms: refMs, runs, ratios, maxAbsDiff: maxDiff };
}

// --- main --------------------------------------------------------------------------------------

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    totalMemGiB: os.totalmem() / 2 ** 30,
    platform: process.platform,
    arch: process.arch,
    node: process.version,
    loadavgStart: os.loadavg()[0],
  };
}

/** Which native build was measured: other people rebuild it, so results name the file. */
function addonInfo() {
  const file = path.join(__dirname, '..', 'build', 'Release', 'gatedrnn.node');
  try {
    const bytes = fs.readFileSync(file);
    const sha256 = require('node:crypto').createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    return { path: path.relative(path.join(__dirname, '..'), file), mtime: fs.statSync(file).mtime.toISOString(), sha256 };
  } catch {
    return null; // a prebuild or another location: backendInfo still says what ran
  }
}

/** The contention tables (bench/contention.js), a line per cell as it finishes. */
async function runContention(opts) {
  const log = (r) =>
    console.log(
      `${r.scenario.padEnd(8)} ${r.variant.padEnd(11)} ${configLabel(r.config).padEnd(10)} ${r.threads}t: onnxruntime ${fmtMs(r.ms.onnxruntime)} ms, run ${fmtMs(r.ms.run)} ms (${r.ratio.run.toFixed(2)}×), runAsync ${fmtMs(r.ms.runAsync)} ms (${r.ratio.runAsync.toFixed(2)}×), other load ${r.otherLoadPct == null ? '—' : r.otherLoadPct.toFixed(0)}%`,
    );
  // The commit and date as the tables start: the tree may change while they run.
  const git = gitInfo();
  const date = new Date().toISOString();
  const section = await measureContention({ threads: opts.threads, kinds: opts.kinds, shapes: opts.configs, ...opts.contentionCalls, log });
  return { ...section, git, mode: opts.quick ? 'quick' : 'full', argv: process.argv.slice(2), date };
}

function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

async function measureThreadpoolHop() {
  const crypto = require('node:crypto');
  const { GruOp } = gatedrnn();
  const tiny = new GruOp(makeWeights('GRU', 16, 16), { threads: 1, linearBeforeReset: 1 });
  const X = makeInput(1, 1, 16);
  const pbkdf2 = () => new Promise((resolve) => crypto.pbkdf2('a', 'b', 1, 8, 'sha1', resolve));
  const hop = {
    pbkdf2: await awaitLatency(pbkdf2, 3000),
    tinyRunAsync: await awaitLatency(() => tiny.runAsync({ X }), 3000),
    tinyRun: await awaitLatency(async () => tiny.run({ X }), 3000),
  };
  tiny.dispose();
  return hop;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'index.js'))) {
    throw new Error(
      'dist/ is missing: run `npm run build:ts` (and `npm run build:native` if build/Release/gatedrnn.node is missing) first',
    );
  }
  if (!installed('onnxruntime-node')) opts.engines = opts.engines.filter((e) => e !== 'onnxruntime');
  if (opts.contentionOnly) {
    const file = path.join(opts.out, 'results.json');
    const previous = readJson(file);
    if (!previous)
      throw new UsageError(
        `--contention-only adds to an existing ${path.relative(process.cwd(), file)}: run \`npm run bench\` (or --quick) first`,
      );
    if (!installed('onnxruntime-node')) throw new UsageError('--contention-only needs onnxruntime-node, which is not installed');
    previous.contention = await runContention(opts);
    writeReports(previous, opts.out);
    console.log(
      `\nwrote the contention section of ${path.relative(process.cwd(), file)} and RESULTS.md in ${previous.contention.durationS.toFixed(0)} s`,
    );
    return;
  }
  const started = Date.now();
  const results = {
    schema: 1,
    mode: opts.quick ? 'quick' : 'full',
    argv: process.argv.slice(2),
    date: new Date().toISOString(),
    git: gitInfo(),
    machine: machineInfo(),
    backend: gatedrnn().backendInfo(),
    addon: addonInfo(),
    versions: Object.fromEntries(['onnxruntime-node', 'benchmark', '@tensorflow/tfjs', 'brain.js'].map((n) => [n, versionOf(n)])),
    options: {
      threads: opts.threads,
      kinds: opts.kinds,
      engines: opts.engines,
      maxTimeS: opts.maxTime,
      rounds: opts.rounds,
      minSamples: opts.minSamples,
      settleS: opts.settle,
      scalingCalls: opts.scalingCalls,
      memoryRuns: opts.memoryRuns,
    },
    tolerance: TOLERANCE,
    bf16Tolerance: BF16_TOLERANCE,
    retryLoadPct: 100 * RETRY_LOAD,
    flopsFormula: '2*T*B*G*H*(I+H), G = 3 (GRU) or 4 (LSTM)',
    peakMethod:
      'native FMA loop (12 independent 16-lane multiply-adds, active kernels; for bf16, 12 independent vdpbf16ps where the bf16 kernel uses it), median of 7, best of start and end',
    peak: [],
    rows: [],
    reference: [],
    scaling: null, // { axes, speedup } unless --no-scaling
    memory: null, // unless --no-memory
    contention: null, // unless --no-contention or onnxruntime-node is missing
    skipped: [],
    observations: [],
  };
  const b = results.backend;
  console.log(
    `gatedrnn ${b.version} (${b.isa}, openmp ${b.openmp}) vs onnxruntime-node ${results.versions['onnxruntime-node']} on ${results.machine.cpuModel} x${results.machine.cores}, Node ${process.version}; ${results.mode} run`,
  );

  // Weights and inputs are shared by every engine and thread count of a configuration.
  const cache = new Map();
  const memo = (k, make) => (cache.has(k) ? cache.get(k) : cache.set(k, make()).get(k));
  const state = {
    skipped: results.skipped,
    settle: { s: opts.settle }, // what is left of the waiting budget
    weights: (cell, c) => memo(`${cell} ${c.I}`, () => makeWeights(cell, c.I, c.I)),
    input: (c) => memo(configLabel(c), () => makeInput(c.T, c.B, c.I)),
  };

  const peakRuns = [];
  if (opts.peak) {
    await waitForQuiet(QUIET_LOAD, state.settle);
    peakRuns.push(await measurePeak(opts));
    console.log(
      `FMA peak: ${peakRuns[0].map((p) => `${p.gflops.toFixed(1)} GFLOP/s (bf16 ${p.bf16Gflops.toFixed(1)}) at ${p.threads} thread(s)`).join(', ')}`,
    );
  }

  const groups = [];
  for (const v of VARIANTS.filter((x) => opts.kinds.includes(x.kind))) {
    let configs = opts.configs || CONFIGS;
    if (!opts.configs && opts.quick && v.lbr === 0 && v.cell === 'GRU') configs = QUICK_LBR0_CONFIGS.map(parseConfig);
    for (const config of configs) for (const threads of opts.threads) groups.push({ v, config, threads, index: groups.length });
  }
  for (const group of groups) {
    const rows = await runGroup(group, opts, state);
    results.rows.push(...rows);
    const ours = rows.find((r) => r.engineId === 'gatedrnn');
    const line = rows
      .map((r) => `${r.engine} ${fmtMs(r.medianMs)} ms${r.engineId === 'gatedrnn' ? '' : ` (Δ ${fmtDiff(r.maxAbsDiff)})`}`)
      .join(', ');
    console.log(`[${group.index + 1}/${groups.length}] ${group.v.variant} ${configLabel(group.config)} threads=${group.threads}: ${line}`);
    if (!ours) throw new Error('gatedrnn produced no row');
  }

  // GRU (lbr=1) and LSTM: the reset-before GRU shares their kernels and would add little.
  const fitted = VARIANTS.filter((x) => opts.kinds.includes(x.kind) && !(x.cell === 'GRU' && x.lbr === 0));
  if (opts.scaling) {
    const t0 = Date.now();
    await waitForQuiet(QUIET_LOAD, state.settle);
    const scaling = await measureScaling(fitted, { calls: opts.scalingCalls });
    for (const a of scaling.axes) {
      for (const c of a.cells)
        console.log(`scaling ${c.variant} over ${a.axis}: ${c.fit.slope.toFixed(3)} ms per ${a.unit}, R² ${c.fit.r2.toFixed(4)}`);
    }
    await waitForQuiet(QUIET_LOAD, state.settle);
    scaling.speedup = await measureSpeedup(fitted, { calls: opts.scalingCalls });
    for (const c of scaling.speedup.cells)
      console.log(`speed-up ${c.variant} ${configLabel(scaling.speedup.config)}: 2 threads ${c.speedup.toFixed(2)}× 1 thread`);
    scaling.durationS = (Date.now() - t0) / 1e3;
    results.scaling = scaling;
  }

  if (peakRuns.length) {
    await waitForQuiet(QUIET_LOAD, state.settle);
    peakRuns.push(await measurePeak(opts));
    results.peak = opts.threads.map((t) => {
      const runs = peakRuns.map((run) => run.find((p) => p.threads === t));
      const best = (key) => Math.max(...runs.map((x) => x[key]));
      return { threads: t, gflops: best('gflops'), bf16Gflops: best('bf16Gflops'), runs };
    });
  }

  // For reading the runAsync overhead: what a call through Node's libuv thread pool costs here
  // (crypto.pbkdf2 with one iteration is almost nothing but the hop to a pool thread and back),
  // next to a runAsync of a 1-step, 16-unit GRU, almost nothing but the hop to the addon's
  // runner threads (native/cpu/task_runner.h) and back.
  if (results.rows.some((r) => r.engineId === 'gatedrnn-async')) {
    await waitForQuiet(QUIET_LOAD, state.settle);
    results.threadpoolHop = await measureThreadpoolHop();
    const h = results.threadpoolHop;
    console.log(
      `round trips: libuv pool (pbkdf2) ${h.pbkdf2.p50.toFixed(1)} µs, runner threads (tiny runAsync) ${h.tinyRunAsync.p50.toFixed(1)} µs (medians)`,
    );
  }

  if (opts.memory) {
    const t0 = Date.now();
    try {
      results.memory = measureMemory(fitted, { runs: opts.memoryRuns });
      results.memory.durationS = (Date.now() - t0) / 1e3;
      for (const c of results.memory.cells)
        console.log(
          `memory ${c.variant}: peak RSS ${(c.runsPeakKiB / 1024).toFixed(1)} MiB, ${c.ratio.toFixed(2)}× tensors + packed weights`,
        );
    } catch (err) {
      // A child that fails (say, dist/ rebuilt under it) must not cost the minutes of timing above.
      results.memory = { error: err.message };
      console.error(`memory probe failed: ${err.message}`);
    }
  }

  if (opts.reference) {
    for (const v of VARIANTS.filter((x) => opts.kinds.includes(x.kind) && !(x.cell === 'GRU' && x.lbr === 0))) {
      const ref = await runReference(v, opts, state, results.rows);
      results.reference.push(ref);
      console.log(`reference ${v.variant}: ${fmtMs(ref.ms)} ms`);
    }
  }

  if (opts.contention !== false) {
    if (opts.engines.includes('onnxruntime')) {
      await waitForQuiet(QUIET_LOAD, state.settle);
      console.log('\nWhat a server sees (bench/contention.js): onnxruntime ÷ gatedrnn, medians, calls alternating');
      results.contention = await runContention(opts);
    } else results.skipped.push('contention tables: onnxruntime-node is not installed (or left out by --engines)');
  }

  // Derived columns, now that every row and the peak are known.
  for (const r of results.rows) {
    r.flops = rnnFlops(r.cell, r.config);
    r.gflops = r.flops / (r.medianMs * 1e6);
    const peak = results.peak.find((p) => p.threads === r.threads);
    r.pctPeak = peak ? (100 * r.gflops) / (r.engineId === 'gatedrnn-bf16' ? peak.bf16Gflops : peak.gflops) : null;
    const ours = results.rows.find(
      (x) =>
        x.engineId === 'gatedrnn' && x.variant === r.variant && x.threads === r.threads && configLabel(x.config) === configLabel(r.config),
    );
    r.ratioVsGatedrnn = ours ? r.medianMs / ours.medianMs : null;
  }
  results.machine.loadavgEnd = os.loadavg()[0];
  results.durationS = (Date.now() - started) / 1e3;
  results.observations = observations(results);

  printTables(results);
  fs.mkdirSync(opts.out, { recursive: true });
  writeReports(results, opts.out);
  console.log(
    `\nwrote ${path.relative(process.cwd(), path.join(opts.out, 'results.json'))} and RESULTS.md in ${results.durationS.toFixed(0)} s`,
  );
  if (opts.sessions !== false && opts.threads.every((t) => t >= 1)) {
    console.log('\nImported models (bench/sessions.js):');
    writeSessionsReport(await runSessions({ quick: opts.quick, threads: [...opts.threads].sort() }), opts.out);
  }
}

main().catch((err) => {
  if (err instanceof UsageError) {
    console.error(`bench: ${err.message}`);
    process.exitCode = 2;
    return;
  }
  console.error(err?.stack ? err.stack : err);
  process.exitCode = 1;
});
