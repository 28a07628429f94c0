'use strict';
// The example's text classifier: words hashed into a vocabulary of V ids, an embedding of E
// floats per id, one GRU layer of H units (linear_before_reset=1, as PyTorch computes it) over the
// words, and a dense head with softmax over K classes. Weights come from a fixed-seed
// initialization (the example is about serving, not accuracy); swap in trained ones by filling
// the same arrays. Two engines compute it:
//   gatedrnn     embedding lookup and dense head in JS, the GRU in GruOp.runAsync;
//   onnxruntime  the whole model as one ONNX graph (bench/onnx-model.js) in onnxruntime-node,
//                which is only a devDependency of gatedrnn: the comparison engine of the load test.
const path = require('path');

const SIZES = { V: 4096, E: 32, H: 64, K: 4 };
const LABELS = ['world', 'sports', 'business', 'science'];
const MAX_WORDS = 128;

/** mulberry32: floats in [0, 1). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeWeights(seed = 1) {
  const { V, E, H, K } = SIZES;
  const r = rng(seed);
  const uniform = (n, scale) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  return {
    emb: uniform(V * E, 1),
    W: uniform(3 * H * E, 1 / Math.sqrt(H)),
    R: uniform(3 * H * H, 1 / Math.sqrt(H)),
    B: uniform(6 * H, 0.1),
    dense: uniform(K * H, 1 / Math.sqrt(H)),
    bias: uniform(K, 0.1),
  };
}

/** Lower-cased words, each hashed (FNV-1a) to an id in [1, V); id 0 pads. At least one id. */
function tokenize(text) {
  const ids = [];
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) || []) {
    let h = 0x811c9dc5;
    for (let k = 0; k < word.length; k++) h = Math.imul(h ^ word.charCodeAt(k), 0x01000193);
    ids.push(1 + ((h >>> 0) % (SIZES.V - 1)));
    if (ids.length === MAX_WORDS) break;
  }
  return ids.length ? ids : [0];
}

/** Token ids of a batch as [T, B] (time-major, padded with 0) and their lengths. */
function pack(batch) {
  const T = Math.max(...batch.map((ids) => ids.length));
  const B = batch.length;
  const ids = new Int32Array(T * B);
  batch.forEach((seq, b) => seq.forEach((id, t) => (ids[t * B + b] = id)));
  return { T, B, ids, lens: Int32Array.from(batch, (seq) => seq.length) };
}

async function gatedrnnEngine(w, { threads = 1 } = {}) {
  const { GruOp } = require(path.join(__dirname, '..', '..'));
  const { E, H, K } = SIZES;
  const gru = new GruOp(
    { W: { type: 'float32', data: w.W, dims: [1, 3 * H, E] }, R: { type: 'float32', data: w.R, dims: [1, 3 * H, H] }, B: { type: 'float32', data: w.B, dims: [1, 6 * H] } },
    { linearBeforeReset: 1, threads },
  );
  return {
    name: 'gatedrnn',
    /** Class probabilities [B * K] of a batch of token id arrays. */
    async classify(batch) {
      const { T, B, ids, lens } = pack(batch);
      const x = new Float32Array(T * B * E);
      for (let k = 0; k < ids.length; k++) x.set(w.emb.subarray(ids[k] * E, ids[k] * E + E), k * E);
      const { Y_h } = await gru.runAsync({ X: { type: 'float32', data: x, dims: [T, B, E] }, sequenceLens: { type: 'int32', data: lens, dims: [B] } }, { outputs: ['Y_h'] });
      const probs = new Float32Array(B * K);
      for (let b = 0; b < B; b++) {
        const h = Y_h.data.subarray(b * H, b * H + H);
        let max = -Infinity;
        const logits = new Float64Array(K);
        for (let c = 0; c < K; c++) {
          let s = w.bias[c];
          for (let u = 0; u < H; u++) s += w.dense[c * H + u] * h[u];
          logits[c] = s;
          max = Math.max(max, s);
        }
        let sum = 0;
        for (let c = 0; c < K; c++) sum += logits[c] = Math.exp(logits[c] - max);
        for (let c = 0; c < K; c++) probs[b * K + c] = logits[c] / sum;
      }
      return probs;
    },
    close() {
      gru.dispose();
    },
  };
}

async function onnxruntimeEngine(w, { threads = 1 } = {}) {
  const ort = require('onnxruntime-node');
  const { buildGruClassifierModel } = require(path.join(__dirname, '..', '..', 'bench', 'onnx-model'));
  const session = await ort.InferenceSession.create(buildGruClassifierModel(w, SIZES), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return {
    name: 'onnxruntime',
    async classify(batch) {
      const { T, B, ids, lens } = pack(batch);
      const out = await session.run({
        tokens: new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [T, B]),
        lens: new ort.Tensor('int32', lens, [B]),
      });
      return out.probs.data;
    },
    close() {
      return session.release();
    },
  };
}

/** The engine by name: 'gatedrnn' or 'onnxruntime'. */
function createEngine(name, options) {
  const w = makeWeights();
  if (name === 'gatedrnn') return gatedrnnEngine(w, options);
  if (name === 'onnxruntime') return onnxruntimeEngine(w, options);
  throw new Error(`unknown engine '${name}' (gatedrnn or onnxruntime)`);
}

module.exports = { SIZES, LABELS, MAX_WORDS, tokenize, createEngine };
