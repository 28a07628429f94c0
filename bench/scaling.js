// How gatedrnn's time grows with sequence length T and batch B (it should be a straight line in
// each), and what a second thread buys at B=64: the speed issue's "time linear in T and in B
// (report the fitted slope and R²); 2 threads ≥ 1.8× one thread at B=64".

const { createGatedrnnOp, GATEDRNN_RUN_OPTIONS } = require('./engines');
const { makeWeights, makeInput } = require('./tensors');
const { measureRoundRobin, summarize, watchOtherLoad } = require('./measure');

const SCALING = {
  I: 256, // I = H
  threads: 2,
  axes: [
    { axis: 'T', unit: 'step', values: [25, 50, 100, 200, 400], fixed: { B: 16 } },
    { axis: 'B', unit: 'batch row', values: [1, 8, 16, 32, 64], fixed: { T: 50 } },
  ],
};
const SPEEDUP = { config: { T: 50, B: 64, I: 512 }, threads: [1, 2], target: 1.8 };

/** The T and B of one point of an axis: the axis' value, the other size fixed. */
const pointOf = (axis, fixed, x) => ({ ...fixed, [axis]: x });

/**
 * Least squares y = a + b·x, with R² and the worst relative deviation of a point from the
 * line, (y − fit) ÷ y: R² near 1 can hide one bent point when the values span 16×. Divided by
 * the measurement, not the fit, because a line bent by its largest point can pass near zero at
 * the smallest, where dividing by the fit would report hundreds of percent.
 */
function linearFit(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ssRes = 0;
  let ssTot = 0;
  let worst = { x: xs[0], relDev: 0 };
  for (let i = 0; i < n; i++) {
    const fit = intercept + slope * xs[i];
    ssRes += (ys[i] - fit) ** 2;
    ssTot += (ys[i] - my) ** 2;
    const relDev = (ys[i] - fit) / ys[i];
    if (Math.abs(relDev) > Math.abs(worst.relDev)) worst = { x: xs[i], relDev };
  }
  return { slope, intercept, r2: ssTot > 0 ? 1 - ssRes / ssTot : 1, worstRelDev: worst.relDev, worstAt: worst.x };
}

/** Time against T and against B, one op per cell (an op's packed weights serve any T and B). */
async function measureScaling(variants, { calls, seed = 1 }) {
  const { I, threads } = SCALING;
  const entries = [];
  const ops = [];
  const inputs = new Map(); // "T×B" -> X, shared by both cells and by the point both axes hold
  const input = (T, B) => {
    const key = `${T}×${B}`;
    if (!inputs.has(key)) inputs.set(key, makeInput(T, B, I));
    return inputs.get(key);
  };
  try {
    for (const v of variants) {
      const op = createGatedrnnOp({ cell: v.cell, lbr: v.lbr, threads, weights: makeWeights(v.cell, I, I) });
      ops.push(op);
      const seen = new Set();
      for (const { axis, values, fixed } of SCALING.axes) {
        for (const x of values) {
          const { T, B } = pointOf(axis, fixed, x);
          const id = `${v.variant} ${T}×${B}`;
          if (seen.has(id)) continue; // T=50, B=16 lies on both axes: timed once
          seen.add(id);
          const feeds = { X: input(T, B) };
          entries.push({ id, fn: () => op.run(feeds, GATEDRNN_RUN_OPTIONS) });
        }
      }
    }
    const otherLoad = watchOtherLoad();
    const pooled = await measureRoundRobin(entries, { calls, seed });
    const share = otherLoad();
    const axes = SCALING.axes.map(({ axis, unit, values, fixed }) => ({
      axis,
      unit,
      values,
      fixed: { ...fixed, I, H: I },
      cells: variants.map((v) => {
        const points = values.map((x) => {
          const { T, B } = pointOf(axis, fixed, x);
          return { x, ...summarize(pooled.get(`${v.variant} ${T}×${B}`)) };
        });
        return {
          variant: v.variant,
          cell: v.cell,
          points,
          fit: linearFit(
            values,
            points.map((p) => p.medianMs),
          ),
        };
      }),
    }));
    return { threads, calls, otherLoadPct: share == null ? null : 100 * share, axes };
  } finally {
    for (const op of ops) op.dispose();
  }
}

/** 2 threads against 1 at T=50, B=64, I=H=512: both thread counts in one process, interleaved. */
async function measureSpeedup(variants, { calls, seed = 2 }) {
  const { T, B, I } = SPEEDUP.config;
  const feeds = { X: makeInput(T, B, I) };
  const entries = [];
  const ops = [];
  try {
    for (const v of variants) {
      const weights = makeWeights(v.cell, I, I);
      for (const threads of SPEEDUP.threads) {
        const op = createGatedrnnOp({ cell: v.cell, lbr: v.lbr, threads, weights });
        ops.push(op);
        entries.push({ id: `${v.variant} ${threads}`, fn: () => op.run(feeds, GATEDRNN_RUN_OPTIONS) });
      }
    }
    const otherLoad = watchOtherLoad();
    const pooled = await measureRoundRobin(entries, { calls, seed });
    const share = otherLoad();
    const cells = variants.map((v) => {
      const timings = SPEEDUP.threads.map((threads) => ({ threads, ...summarize(pooled.get(`${v.variant} ${threads}`)) }));
      // Median over median: each is pooled from the same sweeps, so both saw the same noise.
      const speedup = timings[0].medianMs / timings[1].medianMs;
      return { variant: v.variant, cell: v.cell, timings, speedup, met: speedup >= SPEEDUP.target };
    });
    return {
      config: { T, B, I, H: I },
      threads: SPEEDUP.threads,
      target: SPEEDUP.target,
      calls,
      otherLoadPct: share == null ? null : 100 * share,
      cells,
    };
  } finally {
    for (const op of ops) op.dispose();
  }
}

module.exports = { measureScaling, measureSpeedup, linearFit, SCALING, SPEEDUP };
