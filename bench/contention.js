// What a server's process sees: gatedrnn and onnxruntime-node in one process, call by call,
// with onnxruntime at its default session options (its intra-op threads spin for a while after
// each call) and with spinning off; calls after an idle gap; calls beside a busy-looping
// process. For each scenario, shape, cell and thread count: the median time of onnxruntime's
// calls over the median of gatedrnn's `run` and of its `runAsync` (above 1: gatedrnn faster).

const { spawn } = require('node:child_process');
const os = require('node:os');
const { createGatedrnnOp, GATEDRNN_RUN_OPTIONS, ortSessionOptions } = require('./engines');
const { buildRnnModel } = require('./onnx-model');
const { makeWeights, makeInput, maxAbsDiff } = require('./tensors');
const { summarize, watchOtherLoad } = require('./measure');
const { median } = require('./stats');

const SHAPES = [
  { T: 100, B: 1, I: 128 },
  { T: 100, B: 1, I: 512 },
  { T: 1000, B: 1, I: 64 },
  { T: 100, B: 16, I: 256 },
  { T: 50, B: 64, I: 512 },
];
const CELLS = [
  { variant: 'GRU (lbr=1)', cell: 'GRU', lbr: 1 },
  { variant: 'LSTM', cell: 'LSTM', lbr: 0 },
];
const IDLE_GAP_MS = 5;
const NO_SPINNING = { session: { intra_op: { allow_spinning: '0' } } };

// Each scenario: how onnxruntime's session is set up, the sleep before every call, and whether
// a busy-looping process runs beside the calls.
const SCENARIOS = [
  {
    id: 'defaults',
    title: 'onnxruntime at its default session options (intra-op threads spin after each call)',
    ort: 'defaults',
    gapMs: 0,
    busy: false,
  },
  {
    id: 'noSpin',
    title: 'onnxruntime with intra-op spinning off (`session.intra_op.allow_spinning = 0`)',
    ort: 'noSpin',
    gapMs: 0,
    busy: false,
  },
  {
    id: 'idleGap',
    title: `a ${IDLE_GAP_MS} ms sleep before every call, onnxruntime at its defaults`,
    ort: 'defaults',
    gapMs: IDLE_GAP_MS,
    busy: false,
  },
  { id: 'busy', title: 'one busy-looping process beside the calls, onnxruntime at its defaults', ort: 'defaults', gapMs: 0, busy: true },
];

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The busy loop: spins, and every 2^24 rounds checks that its parent still lives, so a bench
// killed by a signal (which runs no exit hook) leaves no spinning orphan behind.
const BUSY_LOOP = `
const parent = Number(process.argv[1]);
process.stdout.write('spinning\\n');
for (let i = 1; ; i++) if ((i & 0xffffff) === 0 && process.ppid !== parent) process.exit(0);
`;

/**
 * A child node process that spins until killed; resolves once it has started spinning. The
 * caller kills it (an exit hook does, should the bench fail first; the loop itself, should the
 * bench be killed).
 */
function startBusyLoop() {
  const child = spawn(process.execPath, ['-e', BUSY_LOOP, String(process.pid)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () =>
      resolve({
        pid: child.pid,
        stop: () => {
          process.off('exit', kill);
          kill();
          return new Promise((done) => (child.exitCode != null || child.signalCode != null ? done() : child.once('exit', done)));
        },
      }),
    );
  });
}

/** Wall time of one call, to the resolution of its promise where it returns one. */
async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * One scenario at one shape, cell and thread count. The calls go onnxruntime, gatedrnn `run`,
 * onnxruntime, gatedrnn `runAsync`, with the two gatedrnn calls swapped every other round, so
 * every gatedrnn call follows an onnxruntime call. Rounds go on until `maxTime` seconds have
 * passed and at least `minCalls` of each gatedrnn call were timed, or `maxCalls` were.
 */
async function measureCell(ort, scenario, spec, opts) {
  const session = await ort.InferenceSession.create(
    buildRnnModel(spec.cell, spec.weights, { T: spec.T, B: spec.B, I: spec.I, H: spec.I, linearBeforeReset: spec.lbr }),
    scenario.ort === 'noSpin' ? { ...ortSessionOptions(spec.threads), extra: NO_SPINNING } : ortSessionOptions(spec.threads),
  );
  const op = createGatedrnnOp({ ...spec, H: spec.I });
  const feeds = { X: new ort.Tensor('float32', spec.X.data, spec.X.dims) };
  const inputs = { X: spec.X };
  const calls = {
    onnxruntime: () => session.run(feeds),
    run: () => op.run(inputs, GATEDRNN_RUN_OPTIONS),
    runAsync: () => op.runAsync(inputs, GATEDRNN_RUN_OPTIONS),
  };
  try {
    // One untimed call each (first-call allocation, thread-pool start) that also checks outputs.
    const theirs = await calls.onnxruntime();
    const ours = calls.run();
    const oursAsync = await calls.runAsync();
    const diff = Math.max(
      maxAbsDiff(ours.Y_h.data, theirs.Y_h.data),
      maxAbsDiff(ours.Y.data, theirs.Y.data),
      maxAbsDiff(oursAsync.Y.data, ours.Y.data),
    );

    const samples = { onnxruntime: [], run: [], runAsync: [] };
    const otherLoad = watchOtherLoad();
    const t0 = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;
    for (let round = 0; samples.run.length < opts.maxCalls; round++) {
      if (samples.run.length >= opts.minCalls && elapsed() > opts.maxTime) break;
      const order = round % 2 === 0 ? ['onnxruntime', 'run', 'onnxruntime', 'runAsync'] : ['onnxruntime', 'runAsync', 'onnxruntime', 'run'];
      for (const id of order) {
        if (scenario.gapMs > 0) await sleep(scenario.gapMs);
        samples[id].push(await timed(calls[id]));
      }
    }
    const share = otherLoad();
    const stats = Object.fromEntries(Object.entries(samples).map(([id, ms]) => [id, summarize(ms.map((x) => x / 1e3))]));
    return {
      ms: { onnxruntime: stats.onnxruntime.medianMs, run: stats.run.medianMs, runAsync: stats.runAsync.medianMs },
      p10p90Ms: Object.fromEntries(Object.entries(stats).map(([id, s]) => [id, [s.p10Ms, s.p90Ms]])),
      calls: { onnxruntime: samples.onnxruntime.length, run: samples.run.length, runAsync: samples.runAsync.length },
      ratio: { run: stats.onnxruntime.medianMs / stats.run.medianMs, runAsync: stats.onnxruntime.medianMs / stats.runAsync.medianMs },
      maxAbsDiff: diff,
      otherLoadPct: share == null ? null : 100 * share,
      seconds: elapsed(),
    };
  } finally {
    op.dispose();
    await session.release();
  }
}

// The sleeps after a call in which spinAfterCall measures the CPU time the process uses.
const SPIN_SLEEPS_MS = [IDLE_GAP_MS, 20];

/**
 * CPU time the process uses while its JavaScript thread sleeps after a call (from 1 ms after it
 * returned): what each engine's threads keep doing once a call is done. One GRU 100×16×256 operator per engine; per
 * thread count, onnxruntime at its defaults, onnxruntime not spinning and gatedrnn `run`; per
 * sleep length, the median over `rounds` calls of (CPU ms during the sleep) ÷ (ms asleep): about 1
 * means a core kept busy throughout.
 */
async function spinAfterCall(ort, threads, rounds = 8) {
  const shape = SHAPES.find((x) => x.T === 100 && x.B === 16) || SHAPES[0];
  const c = CELLS.find((x) => x.cell === 'GRU');
  const weights = makeWeights(c.cell, shape.I, shape.I);
  const X = makeInput(shape.T, shape.B, shape.I);
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e3;
  };
  const measure = async (call) => {
    await call();
    const out = {};
    for (const ms of SPIN_SLEEPS_MS) {
      const shares = [];
      for (let i = 0; i < rounds; i++) {
        await call();
        // Linux adds a running thread's CPU time to the process's count at its next tick or
        // switch, so the call's own time on the pool threads would land in the sleep: start
        // counting 1 ms after the call, once threads that are done have stopped.
        await sleep(1);
        const c0 = cpuMs();
        const t0 = process.hrtime.bigint();
        await sleep(ms);
        const asleep = Number(process.hrtime.bigint() - t0) / 1e6;
        shares.push((cpuMs() - c0) / asleep);
      }
      out[ms] = median(shares);
    }
    return out;
  };
  const rows = [];
  for (const t of threads) {
    for (const mode of ['defaults', 'noSpin']) {
      const model = buildRnnModel(c.cell, weights, { T: shape.T, B: shape.B, I: shape.I, H: shape.I, linearBeforeReset: c.lbr });
      const session = await ort.InferenceSession.create(
        model,
        mode === 'noSpin' ? { ...ortSessionOptions(t), extra: NO_SPINNING } : ortSessionOptions(t),
      );
      const feeds = { X: new ort.Tensor('float32', X.data, X.dims) };
      try {
        rows.push({ engine: 'onnxruntime', mode, threads: t, cpuPerMsAsleep: await measure(() => session.run(feeds)) });
      } finally {
        await session.release();
      }
    }
    const op = createGatedrnnOp({ ...c, ...shape, H: shape.I, threads: t, weights });
    try {
      rows.push({ engine: 'gatedrnn', mode: 'run', threads: t, cpuPerMsAsleep: await measure(() => op.run({ X }, GATEDRNN_RUN_OPTIONS)) });
    } finally {
      op.dispose();
    }
  }
  return { shape: { ...shape, H: shape.I }, sleepsMs: SPIN_SLEEPS_MS, rows };
}

/**
 * Every scenario at every shape, cell and thread count. The scenarios of one shape, cell and
 * thread count run back to back, so the machine's load moves little between them; the busy
 * loop is started before that cell's busy scenario and killed after it.
 * opts: { threads, kinds, shapes, maxCalls, minCalls, maxTime, log }.
 */
async function measureContention(opts) {
  const ort = require('onnxruntime-node');
  const shapes = opts.shapes || SHAPES;
  const cells = CELLS.filter((c) => opts.kinds.includes(c.cell.toLowerCase()));
  const threads = [...opts.threads].sort((a, b) => a - b);
  const rows = [];
  const started = Date.now();
  const loadavgStart = os.loadavg();
  for (const shape of shapes) {
    const X = makeInput(shape.T, shape.B, shape.I);
    for (const c of cells) {
      const weights = makeWeights(c.cell, shape.I, shape.I);
      for (const t of threads) {
        for (const scenario of SCENARIOS) {
          const spec = { ...c, ...shape, threads: t, weights, X };
          const busy = scenario.busy ? await startBusyLoop() : null;
          let r;
          try {
            r = await measureCell(ort, scenario, spec, opts);
          } finally {
            if (busy) await busy.stop();
          }
          const row = { scenario: scenario.id, variant: c.variant, cell: c.cell, config: { ...shape, H: shape.I }, threads: t, ...r };
          rows.push(row);
          if (opts.log) opts.log(row);
        }
      }
    }
  }
  const spin = await spinAfterCall(ort, threads);
  return {
    scenarios: SCENARIOS,
    idleGapMs: IDLE_GAP_MS,
    spinAfterCall: spin,
    options: { maxCalls: opts.maxCalls, minCalls: opts.minCalls, maxTimeS: opts.maxTime, threads, kinds: opts.kinds },
    durationS: (Date.now() - started) / 1e3,
    // 1-, 5- and 15-minute load averages of the machine before and after these tables.
    loadavg: { start: loadavgStart, end: os.loadavg() },
    rows,
  };
}

module.exports = { measureContention, SCENARIOS, SHAPES };
