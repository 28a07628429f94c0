// The engines under test, behind one small interface so run.js can treat them alike:
//
//   const e = await ENGINES[id].create(spec);   // spec: { cell, lbr, T, B, I, H, threads, weights, X }
//   e.fn / e.deferredFn                          // what benchmark.js times (sync or deferred)
//   await e.outputs()                            // { Y: [T,B,H] floats, Y_h: [B,H] floats }
//   e.dispose()
//
// `optional` marks the pure-JS engines, measured once and only where a call is short enough.
// `supports(spec)` says whether an engine can run a configuration at all, and why not;
// `unverifiable(spec)`, where present, why its outputs cannot be compared with ONNX semantics.

const path = require('node:path');
const { buildRnnModel } = require('./onnx-model');

const ROOT = path.join(__dirname, '..');
const GATES_TO_KERAS_LSTM = [0, 2, 3, 1]; // Keras i,f,c,o from ONNX i,o,f,c

/** Loaded once: the library as users get it (dist/), so a stale dist shows up here too. */
function gatedrnn() {
  return require(path.join(ROOT, 'dist'));
}

/** Whether a package can be loaded, without loading it (tfjs takes a second to load). */
function installed(name) {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

// --- gatedrnn ----------------------------------------------------------------------------------

function createGatedrnnOp(spec, precision = 'fp32') {
  const { GruOp, LstmOp } = gatedrnn();
  const { W, R, B } = spec.weights;
  return spec.cell === 'GRU'
    ? new GruOp({ W, R, B }, { threads: spec.threads, linearBeforeReset: spec.lbr, precision })
    : new LstmOp({ W, R, B }, { threads: spec.threads, precision });
}

// Only Y and Y_h, the outputs the ORT graph produces, so both engines do the same work.
const GATEDRNN_RUN_OPTIONS = { outputs: ['Y', 'Y_h'] };

// bf16 weights differ from fp32 by design: over the bench's configurations the largest
// |difference| from gatedrnn fp32 measured 2.0e-3 (AVX512_BF16, which also rounds the
// activations); the bound is about twice that.
const BF16_TOLERANCE = 4e-3;

// A gatedrnn engine timed as a deferred benchmark, as onnxruntime-node's session.run is (its
// promise resolves on a later tick): `call(op, inputs)` returns a promise of the outputs. Every
// engine that is compared with another pays the deferred harness's own cost per call alike.
function deferredEngine(label, call, precision = 'fp32') {
  return {
    label,
    supports: () => null,
    tolerance: precision === 'bf16' ? BF16_TOLERANCE : undefined,
    async create(spec) {
      const op = createGatedrnnOp(spec, precision);
      const inputs = { X: spec.X };
      return {
        deferredFn: (deferred) => call(op, inputs).then(() => deferred.resolve()),
        async outputs() {
          const { Y, Y_h } = await call(op, inputs);
          return { Y: Y.data, Y_h: Y_h.data };
        },
        dispose: () => op.dispose(),
      };
    },
  };
}
// `run` (synchronous) inside a deferred benchmark that resolves on a microtask.
const runDeferred = async (op, inputs) => op.run(inputs, GATEDRNN_RUN_OPTIONS);
const gatedrnnRun = deferredEngine('gatedrnn', runDeferred);
// precision: 'bf16' (opt-in): weights in bfloat16, sums in fp32.
const gatedrnnBf16 = deferredEngine('gatedrnn bf16', runDeferred, 'bf16');
// runAsync: the same kernels on the addon's runner threads; the difference to `run` (timed the
// same way) is the async overhead.
const gatedrnnAsync = deferredEngine('gatedrnn runAsync', (op, inputs) => op.runAsync(inputs, GATEDRNN_RUN_OPTIONS));

// `run` timed as a plain synchronous benchmark: beside the deferred row, what the deferred
// harness itself costs per call (not a figure to compare with other engines).
const gatedrnnRunSync = {
  label: 'gatedrnn run (sync)',
  supports: () => null,
  async create(spec) {
    const op = createGatedrnnOp(spec);
    const inputs = { X: spec.X };
    return {
      fn: () => op.run(inputs, GATEDRNN_RUN_OPTIONS),
      async outputs() {
        const { Y, Y_h } = op.run(inputs, GATEDRNN_RUN_OPTIONS);
        return { Y: Y.data, Y_h: Y_h.data };
      },
      dispose: () => op.dispose(),
    };
  },
};

// --- onnxruntime-node --------------------------------------------------------------------------

function ortSessionOptions(threads) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

const onnxruntime = {
  label: 'onnxruntime-node',
  supports: () => (installed('onnxruntime-node') ? null : 'not installed'),
  async create(spec) {
    const ort = require('onnxruntime-node');
    const { T, B, I, H } = spec;
    const bytes = buildRnnModel(spec.cell, spec.weights, { T, B, I, H, linearBeforeReset: spec.lbr });
    const session = await ort.InferenceSession.create(bytes, ortSessionOptions(spec.threads));
    const feeds = { X: new ort.Tensor('float32', spec.X.data, spec.X.dims) };
    return {
      // session.run is asynchronous (it resolves on a later tick), so it is timed deferred.
      deferredFn: (deferred) => session.run(feeds).then(() => deferred.resolve()),
      async outputs() {
        const out = await session.run(feeds);
        return { Y: out.Y.data, Y_h: out.Y_h.data };
      },
      dispose: () => session.release(),
    };
  },
};

// --- @tensorflow/tfjs (CPU backend, pure JS) ---------------------------------------------------

let tfLoaded = null;
async function loadTf() {
  if (tfLoaded) return tfLoaded;
  // tfjs greets Node users with a console hint to install tfjs-node; keep the table clean.
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    const tf = require('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    await tf.ready();
    tf.tidy(() => tf.add(1, 1).dataSync()); // the hint is printed on first use, not on require
    tfLoaded = tf;
  } finally {
    console.log = log;
    console.warn = warn;
  }
  return tfLoaded;
}

/** Keras layout from ONNX: kernel [I, GH] = Wᵀ, recurrent kernel [H, GH] = Rᵀ, bias Wb + Rb. */
function kerasWeights(spec) {
  const { cell, I, H } = spec;
  const G = cell === 'GRU' ? 3 : 4;
  const order = cell === 'GRU' ? [0, 1, 2] : GATES_TO_KERAS_LSTM; // GRU: z,r,h in both
  const W = spec.weights.W.data;
  const R = spec.weights.R.data;
  const Bv = spec.weights.B.data;
  const kernel = new Float32Array(I * G * H);
  const recurrent = new Float32Array(H * G * H);
  const bias = new Float32Array(G * H);
  for (let k = 0; k < G; k++) {
    const g = order[k];
    for (let j = 0; j < H; j++) {
      const row = g * H + j;
      const col = k * H + j;
      for (let i = 0; i < I; i++) kernel[i * G * H + col] = W[row * I + i];
      for (let i = 0; i < H; i++) recurrent[i * G * H + col] = R[row * H + i];
      bias[col] = Bv[row] + Bv[G * H + row];
    }
  }
  return { kernel, recurrent, bias, G };
}

const tfjs = {
  label: 'tfjs (cpu)',
  optional: true, // single-threaded pure JS: measured once, at small configurations
  supports(spec) {
    if (!installed('@tensorflow/tfjs')) return 'not installed';
    // tfjs-layers' GRUCell throws on resetAfter: true, so only the ONNX linear_before_reset=0
    // GRU (Keras reset_after=False) has a tfjs twin.
    if (spec.cell === 'GRU' && spec.lbr) return 'GRU (lbr=1): tfjs-layers GRU supports only resetAfter=false, i.e. lbr=0';
    return null;
  },
  async create(spec) {
    const tf = await loadTf();
    const { cell, T, B, I, H } = spec;
    const layerArgs = {
      units: H,
      returnSequences: true,
      recurrentActivation: 'sigmoid', // tfjs defaults to hardSigmoid; ONNX uses sigmoid
      inputShape: [T, I],
      // setWeights() overwrites them; tfjs' default orthogonal init is slow and warns for big H.
      kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros',
    };
    const layer = cell === 'GRU' ? tf.layers.gru(layerArgs) : tf.layers.lstm(layerArgs);
    const model = tf.sequential({ layers: [layer] });
    const { kernel, recurrent, bias, G } = kerasWeights(spec);
    layer.setWeights([tf.tensor2d(kernel, [I, G * H]), tf.tensor2d(recurrent, [H, G * H]), tf.tensor1d(bias)]);
    // Keras is batch-major: X [T,B,I] -> [B,T,I].
    const x = tf.tidy(() => tf.transpose(tf.tensor3d(spec.X.data, [T, B, I]), [1, 0, 2]));
    // batchSize: predict() would otherwise cut the batch into chunks of 32.
    const predict = () => model.predict(x, { batchSize: B });
    return {
      fn() {
        const y = predict();
        y.dataSync();
        y.dispose();
      },
      async outputs() {
        const Y = tf.tidy(() => tf.transpose(predict(), [1, 0, 2]).dataSync()); // [T,B,H]
        return { Y, Y_h: Y.slice((T - 1) * B * H) };
      },
      dispose() {
        x.dispose();
        model.dispose();
      },
    };
  },
};

// --- brain.js (pure JS, batch of one) ----------------------------------------------------------

const brainjs = {
  label: 'brain.js',
  optional: true,
  supports(spec) {
    if (!installed('brain.js')) return 'not installed';
    // brain.js' GRU is the reset-before form: r ⊙ h enters the recurrent product.
    if (spec.cell === 'GRU' && spec.lbr) return 'GRU (lbr=1): its GRU is the lbr=0 form';
    if (spec.B !== 1) return 'B > 1: it runs one sequence at a time';
    return null;
  },
  // Its LSTM carries only h: the equation multiplies the forget gate by h_{t-1} where c_{t-1}
  // belongs, so its outputs cannot match ONNX's LSTM; it is timed but not verified.
  unverifiable: (spec) => (spec.cell === 'LSTM' ? 'its LSTM uses h(t-1) where c(t-1) belongs' : null),
  async create(spec) {
    const brain = require('brain.js');
    const { cell, T, I, H } = spec;
    const Net = cell === 'GRU' ? brain.recurrent.GRUTimeStep : brain.recurrent.LSTMTimeStep;
    const net = new Net({ inputSize: I, hiddenLayers: [H], outputSize: H });
    // initialize() builds the matrices; one bound equation makes it runnable without train().
    net.initialize();
    net.bindEquation();
    loadBrainWeights(net, spec);
    const steps = [];
    for (let t = 0; t < T; t++) steps.push(spec.X.data.subarray(t * I, (t + 1) * I));
    return {
      fn: () => net.run(steps),
      async outputs() {
        const h = Float32Array.from(net.run(steps)); // the output layer is the identity: h_T
        return { Y: null, Y_h: h };
      },
      dispose() {},
    };
  },
};

/** ONNX weights into brain.js' per-gate matrices (row-major [rows, columns], as ONNX's blocks). */
function loadBrainWeights(net, spec) {
  const { cell, I, H } = spec;
  const G = cell === 'GRU' ? 3 : 4;
  const layer = net.model.hiddenLayers[0];
  const names =
    cell === 'GRU'
      ? [
          ['updateGateInputMatrix', 'updateGateHiddenMatrix', 'updateGateBias'],
          ['resetGateInputMatrix', 'resetGateHiddenMatrix', 'resetGateBias'],
          ['cellWriteInputMatrix', 'cellWriteHiddenMatrix', 'cellWriteBias'],
        ]
      : [
          ['inputMatrix', 'inputHidden', 'inputBias'],
          ['outputMatrix', 'outputHidden', 'outputBias'],
          ['forgetMatrix', 'forgetHidden', 'forgetBias'],
          ['cellActivationMatrix', 'cellActivationHidden', 'cellActivationBias'],
        ];
  const W = spec.weights.W.data;
  const R = spec.weights.R.data;
  const Bv = spec.weights.B.data;
  names.forEach(([wName, rName, bName], g) => {
    layer[wName].weights.set(W.subarray(g * H * I, (g + 1) * H * I));
    layer[rName].weights.set(R.subarray(g * H * H, (g + 1) * H * H));
    for (let j = 0; j < H; j++) layer[bName].weights[j] = Bv[g * H + j] + Bv[G * H + g * H + j];
  });
  // An identity output layer makes net.run() return h_T itself (it costs one H×H product a step).
  const out = net.model.outputConnector.weights;
  out.fill(0);
  for (let j = 0; j < H; j++) out[j * H + j] = 1;
  net.model.output.weights.fill(0);
}

const ENGINES = {
  gatedrnn: gatedrnnRun,
  'gatedrnn-async': gatedrnnAsync,
  'gatedrnn-run-sync': gatedrnnRunSync,
  'gatedrnn-bf16': gatedrnnBf16,
  onnxruntime,
  tfjs,
  brain: brainjs,
};

module.exports = { ENGINES, gatedrnn, createGatedrnnOp, GATEDRNN_RUN_OPTIONS, BF16_TOLERANCE, ortSessionOptions, installed };
