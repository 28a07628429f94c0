// The example's text classifier, a gatedrnn `sequential` model: words hashed into a vocabulary of
// V ids, an embedding of E floats per id (id 0 pads, maskZero), one GRU layer of H units
// (resetAfter, as PyTorch and Keras compute it) over the words, and a dense softmax head over K
// classes. Weights come from a fixed-seed initialization (the example is about serving, not
// accuracy): swap in trained ones with loadModel, or setWeights in the same order. Two engines
// compute it:
//   gatedrnn     model.toSession(): the weights packed once, each batch one session.run;
//   onnxruntime  the same model's toOnnx() bytes in onnxruntime-node, which is only a
//                devDependency of gatedrnn: the comparison engine of the load test.
const path = require('node:path');

const SIZES = { V: 4096, E: 32, H: 64, K: 4 };
const LABELS = ['world', 'sports', 'business', 'science'];
const MAX_WORDS = 128;
/** Id 0 pads a batch; id 1 stands for a text with no words; words hash to [2, V). */
const EMPTY_ID = 1;
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

/** The model with fixed-seed weights; `gatedrnn` is the package (require('gatedrnn') in an app). */
function buildModel(gatedrnn, seed = 1) {
  const { V, E, H, K } = SIZES;
  const { sequential, layers } = gatedrnn;
  const model = sequential(
    [
      layers.embedding({ inputDim: V, outputDim: E, maskZero: true, inputShape: [null] }),
      layers.gru({ units: H }),
      layers.dense({ units: K, activation: 'softmax' }),
    ],
    { name: 'text_classifier' },
  );
  const r = rng(seed);
  const uniform = (n, scale) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  // In the model's order: embeddings [V, E], GRU W [1, 3H, E], R [1, 3H, H], B [1, 6H] (ONNX
  // layouts), dense kernel [H, K] and bias [K].
  model.setWeights([
    uniform(V * E, 1),
    uniform(3 * H * E, 1 / Math.sqrt(H)),
    uniform(3 * H * H, 1 / Math.sqrt(H)),
    uniform(6 * H, 0.1),
    uniform(H * K, 1 / Math.sqrt(H)),
    uniform(K, 0.1),
  ]);
  return model;
}

/** Lower-cased words, each hashed (FNV-1a) to an id in [2, V); at least one id. */
function tokenize(text) {
  const ids = [];
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) || []) {
    let h = 0x811c9dc5;
    for (let k = 0; k < word.length; k++) h = Math.imul(h ^ word.charCodeAt(k), 0x01000193);
    ids.push(2 + ((h >>> 0) % (SIZES.V - 2)));
    if (ids.length === MAX_WORDS) break;
  }
  return ids.length ? ids : [EMPTY_ID];
}

/**
 * Token ids of a batch as one int32 [B, T] array, each row padded after its words with 0. T is
 * rounded up to a multiple of 8: the session compiles a program per distinct input shape, and
 * fewer shapes are compiled sooner and stay cached.
 */
function pack(batch) {
  const T = Math.ceil(Math.max(...batch.map((ids) => ids.length)) / 8) * 8;
  const B = batch.length;
  const ids = new Int32Array(B * T);
  batch.forEach((seq, b) => ids.set(seq, b * T));
  return { data: ids, dims: [B, T] };
}

function gatedrnnEngine(model, { threads = 1 } = {}) {
  const session = model.toSession({ threads });
  return {
    name: 'gatedrnn',
    /** Class probabilities [B * K] of a batch of token id arrays. */
    async classify(batch) {
      const { data, dims } = pack(batch);
      const out = await session.run({ tokens: { type: 'int32', data, dims } });
      return out.probabilities.data;
    },
    close() {
      session.dispose();
    },
  };
}

async function onnxruntimeEngine(model, { threads = 1 } = {}) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(model.toOnnx(), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return {
    name: 'onnxruntime',
    async classify(batch) {
      const { data, dims } = pack(batch);
      const out = await session.run({ tokens: new ort.Tensor('int32', data, dims) });
      return out.probabilities.data;
    },
    close() {
      return session.release();
    },
  };
}

/**
 * No model at all: uniform probabilities. What HTTP, JSON and batching cost on their own, the
 * floor a load test measures the engines against.
 */
function noModelEngine() {
  return {
    name: 'none',
    async classify(batch) {
      return new Float32Array(batch.length * SIZES.K).fill(1 / SIZES.K);
    },
    close() {},
  };
}

/** The engine by name: 'gatedrnn', 'onnxruntime' or 'none'. */
async function createEngine(name, options) {
  if (name === 'none') return noModelEngine();
  const model = buildModel(require(path.join(__dirname, '..', '..')));
  try {
    if (name === 'gatedrnn') return gatedrnnEngine(model, options);
    if (name === 'onnxruntime') return await onnxruntimeEngine(model, options);
  } finally {
    // The session holds its own packed copy of the weights.
    model.dispose();
  }
  throw new Error(`unknown engine '${name}' (gatedrnn, onnxruntime or none)`);
}

module.exports = { SIZES, LABELS, MAX_WORDS, tokenize, buildModel, createEngine };
