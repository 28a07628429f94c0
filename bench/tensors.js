// Deterministic inputs for the benchmark and the comparison of outputs between engines.

/** mulberry32: a tiny seeded PRNG, so every run (and every engine) sees the same numbers. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(rand, n, scale) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

const tensor = (data, dims) => ({ type: 'float32', data, dims });

/** Number of gate blocks per cell: GRU z,r,h; LSTM i,o,f,c. */
const gatesOf = (cell) => (cell === 'GRU' ? 3 : 4);

/**
 * ONNX-layout weights W [1,GH,I], R [1,GH,H], B [1,2GH], drawn like PyTorch's default init
 * (uniform in ±1/sqrt(H)) so activations stay in their non-saturated range and the comparison
 * between engines is a real test rather than a comparison of saturated ±1s.
 */
function makeWeights(cell, I, H, seed = 1) {
  const G = gatesOf(cell);
  const rand = prng(seed);
  const s = 1 / Math.sqrt(H);
  return {
    W: tensor(uniform(rand, G * H * I, s), [1, G * H, I]),
    R: tensor(uniform(rand, G * H * H, s), [1, G * H, H]),
    B: tensor(uniform(rand, 2 * G * H, s), [1, 2 * G * H]),
  };
}

/** X [T, B, I], uniform in ±1. */
function makeInput(T, B, I, seed = 2) {
  return tensor(uniform(prng(seed), T * B * I, 1), [T, B, I]);
}

function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN; // a NaN anywhere is a failed check, never a small diff
    if (d > m) m = d;
  }
  return m;
}

/** FLOPs of one forward pass: 2·T·B·G·H·(I+H), the two matrix products; gate math is ignored. */
function rnnFlops(cell, { T, B, I, H }) {
  return 2 * T * B * gatesOf(cell) * H * (I + H);
}

module.exports = { prng, makeWeights, makeInput, maxAbsDiff, rnnFlops, gatesOf, tensor };
