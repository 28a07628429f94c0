// Shared-memory races, in a process of their own (a crash is the failure this looks for): worker
// threads rewrite the inputs of GRU/LSTM calls, which sit in SharedArrayBuffers, while this thread
// calls run and runAsync on them, through the public operators, through the binding itself (which
// skips TypeScript's checks) and through ONNX sessions whose sequence_lens, or a Reshape's shape,
// is a feed.
//
//   node test/helpers/race-child.js [calls] [model.onnx]
//
// sequenceLens flips between two valid lengths and hostile ones (negative, past seq_length, 2^30):
// every call must either fail with a RangeError that names sequenceLens or return, for each batch
// row, exactly what one of the two valid lengths gives (rows are independent). X and initialH are
// rewritten with values in [-1, 1]: every output must then lie in [-1, 1] (tanh of anything, and
// convex blends of such values and of initialH). Prints one JSON line.
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const root = path.join(__dirname, '..', '..');
const { GruOp, LstmOp, loadOnnx } = require(path.join(root, 'dist'));
const { binding } = require(path.join(root, 'dist', 'native'));

const calls = Number(process.argv[2] ?? 400);
const modelFile = process.argv[3];
const T = 12,
  B = 6,
  I = 5,
  H = 8;
const GOOD = [T, 5];
const HOSTILE = [-1, T + 1, 1 << 30, -(1 << 30), 0x7fffffff];

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
const floats = (n, scale = 1) => Float32Array.from({ length: n }, () => rand() * scale);
const sharedFloats = (n) => new Float32Array(new SharedArrayBuffer(4 * n));

// One thread per array, each rewriting its array as fast as it can until told to stop.
const WORKER = `
const { workerData, parentPort } = require('worker_threads');
const { kind, buffer, stop, good, hostile } = workerData;
const flag = new Int32Array(stop);
if (kind === 'lens') {
  const a = new Int32Array(buffer);
  for (let k = 0; Atomics.load(flag, 0) === 0; k++) {
    // Hostile values one pass in three, so that some calls see only valid ones.
    for (let b = 0; b < a.length; b++) Atomics.store(a, b, k % 3 === 0 ? hostile[(k + b) % hostile.length] : good[(k + b) % good.length]);
    if (k === 0) parentPort.postMessage('writing');
  }
} else if (kind === 'shape') {
  const a = new BigInt64Array(buffer);
  for (let k = 0; Atomics.load(flag, 0) === 0; k++) {
    const pair = k % 3 === 0 ? hostile[k % hostile.length] : good[k % good.length];
    Atomics.store(a, 0, pair[0]);
    Atomics.store(a, 1, pair[1]);
    if (k === 0) parentPort.postMessage('writing');
  }
} else {
  const a = new Float32Array(buffer);
  for (let k = 0; Atomics.load(flag, 0) === 0; k++) {
    for (let j = 0; j < a.length; j++) a[j] = Math.sin(k * 0.37 + j);
    if (k === 0) parentPort.postMessage('writing');
  }
}
`;

// Resolves once every writer is writing, to a function that stops them.
async function startWriters(jobs) {
  const stop = new SharedArrayBuffer(4);
  const workers = jobs.map((j) => new Worker(WORKER, { eval: true, workerData: { ...j, stop } }));
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  return async () => {
    Atomics.store(new Int32Array(stop), 0, 1);
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  };
}

const stats = { returned: 0, refused: 0, wrong: [], unexpected: [] };

function expectLensError(e, label) {
  // The session reports a node's failure as its own Error, naming the node and the argument.
  if ((e instanceof RangeError || (label.startsWith('session') && e instanceof Error)) && /sequenceLens/.test(e.message)) {
    stats.refused++;
  } else if (stats.unexpected.length < 5) {
    stats.unexpected.push(`${label}: ${e?.constructor?.name}: ${e?.message}`);
  }
}

// Each row's Y_h is that of one of the valid lengths.
function checkRows(label, yh, refs) {
  stats.returned++;
  for (let b = 0; b < B; b++) {
    const row = yh.subarray(b * H, (b + 1) * H);
    const ok = refs.some((ref) => row.every((v, j) => v === ref[b * H + j]));
    if (!ok && stats.wrong.length < 5) stats.wrong.push(`${label}: row ${b} matches no valid length`);
  }
}

function checkBounded(label, outs) {
  stats.returned++;
  for (const [name, a] of Object.entries(outs)) {
    if (!a) continue;
    const data = a.data ?? a;
    for (let j = 0; j < data.length; j++) {
      if (!(Math.abs(data[j]) <= 1 + 1e-5) && name !== 'Y_c') {
        if (stats.wrong.length < 5) stats.wrong.push(`${label}: ${name}[${j}] = ${data[j]}`);
        break;
      }
    }
  }
}

async function lensRace(cell) {
  const G = cell === 'GRU' ? 3 : 4;
  const weights = {
    W: { type: 'float32', data: floats(G * H * I, 0.5), dims: [1, G * H, I] },
    R: { type: 'float32', data: floats(G * H * H, 0.5), dims: [1, G * H, H] },
    B: { type: 'float32', data: floats(2 * G * H, 0.5), dims: [1, 2 * G * H] },
  };
  const Op = cell === 'GRU' ? GruOp : LstmOp;
  const op = new Op(weights, { threads: 1 });
  const X = { type: 'float32', data: floats(T * B * I), dims: [T, B, I] };
  const refs = GOOD.map((len) => op.run({ X, sequenceLens: { type: 'int32', data: new Int32Array(B).fill(len), dims: [B] } }).Y_h.data);
  const lens = new Int32Array(new SharedArrayBuffer(4 * B)).fill(T);
  const sequenceLens = { type: 'int32', data: lens, dims: [B] };
  const spec = op.definition.spec;
  const native = new (binding().NativeRnn)(spec, op.definition.weights, 1);
  const raw = {
    X: X.data,
    seqLength: T,
    batchSize: B,
    sequenceLens: lens,
    initialH: null,
    initialC: null,
    wantY: true,
    wantYh: true,
    wantYc: false,
  };

  const stop = await startWriters([{ kind: 'lens', buffer: lens.buffer, good: GOOD, hostile: HOSTILE }]);
  for (let k = 0; k < calls; k++) {
    // This thread writes too (valid lengths on even turns, a hostile one on odd turns), so that
    // both outcomes occur even when a busy machine leaves the writer unscheduled for a while.
    lens.fill(GOOD[k % 2]);
    if (k % 2) lens[k % B] = HOSTILE[k % HOSTILE.length];
    const pending = [];
    try {
      checkRows(`${cell} run`, op.run({ X, sequenceLens }).Y_h.data, refs);
    } catch (e) {
      expectLensError(e, `${cell} run`);
    }
    try {
      checkRows(`${cell} binding run`, native.run(raw).Y_h, refs);
    } catch (e) {
      expectLensError(e, `${cell} binding run`);
    }
    pending.push(
      op.runAsync({ X, sequenceLens }).then(
        (r) => checkRows(`${cell} runAsync`, r.Y_h.data, refs),
        (e) => expectLensError(e, `${cell} runAsync`),
      ),
    );
    try {
      pending.push(
        native.runAsync(raw).then(
          (r) => checkRows(`${cell} binding runAsync`, r.Y_h, refs),
          (e) => expectLensError(e, `${cell} binding runAsync`),
        ),
      );
    } catch (e) {
      expectLensError(e, `${cell} binding runAsync`);
    }
    await Promise.all(pending);
  }
  await stop();
  native.dispose();
  op.dispose();
}

async function floatRace() {
  const G = 3;
  const weights = {
    W: { type: 'float32', data: floats(G * H * I, 0.5), dims: [1, G * H, I] },
    R: { type: 'float32', data: floats(G * H * H, 0.5), dims: [1, G * H, H] },
  };
  const op = new GruOp(weights, { threads: 1 });
  const X = { type: 'float32', data: sharedFloats(T * B * I), dims: [T, B, I] };
  const initialH = { type: 'float32', data: sharedFloats(B * H), dims: [1, B, H] };
  const stop = await startWriters([
    { kind: 'floats', buffer: X.data.buffer },
    { kind: 'floats', buffer: initialH.data.buffer },
  ]);
  for (let k = 0; k < calls; k++) {
    checkBounded('GRU run, X and initialH rewritten', op.run({ X, initialH }));
    checkBounded('GRU runAsync, X and initialH rewritten', await op.runAsync({ X, initialH }));
  }
  await stop();
  op.dispose();
}

async function sessionRace() {
  if (!modelFile) return;
  const session = await loadOnnx(modelFile, { threads: 1 });
  const X = { type: 'float32', data: floats(T * B * I), dims: [T, B, I] };
  const lens = new Int32Array(new SharedArrayBuffer(4 * B)).fill(T);
  const refs = GOOD.map(
    (len) => session.runSync({ X, sequence_lens: { type: 'int32', data: new Int32Array(B).fill(len), dims: [B] } }).Y_h.data,
  );
  const stop = await startWriters([{ kind: 'lens', buffer: lens.buffer, good: GOOD, hostile: HOSTILE }]);
  const feeds = { X, sequence_lens: { type: 'int32', data: lens, dims: [B] } };
  for (let k = 0; k < calls; k++) {
    lens.fill(GOOD[k % 2]);
    if (k % 2) lens[k % B] = HOSTILE[k % HOSTILE.length];
    try {
      checkRows('session runSync', session.runSync(feeds).Y_h.data, refs);
    } catch (e) {
      expectLensError(e, 'session runSync');
    }
    await session.run(feeds).then(
      (r) => checkRows('session run', r.Y_h.data, refs),
      (e) => expectLensError(e, 'session run'),
    );
  }
  await stop();
  session.dispose();
}

// A dims-bearing feed: Reshape's shape in a SharedArrayBuffer, flipping between [3, 4], [4, 3]
// and shapes that do not fit the data. Each run gives x in one of the valid shapes, or an Error.
async function shapeRace() {
  const { OnnxGraphBuilder } = require(path.join(root, 'dist'));
  const b = new OnnxGraphBuilder('reshape');
  const [y] = b.node('Reshape', [b.input('x', 'float32', [12]), b.input('shape', 'int64', [2])], ['y']);
  b.output(y, 'float32');
  const session = await loadOnnx(b.build(), { threads: 1 });
  const x = { type: 'float32', data: Float32Array.from({ length: 12 }, (_, k) => k), dims: [12] };
  const shape = new BigInt64Array(new SharedArrayBuffer(16));
  shape.set([3n, 4n]);
  const good = [
    [3n, 4n],
    [4n, 3n],
  ];
  const stop = await startWriters([
    {
      kind: 'shape',
      buffer: shape.buffer,
      good,
      hostile: [
        [5n, 5n],
        [-1n, -1n],
        [2n ** 40n, 1n],
        [0n, 12n],
      ],
    },
  ]);
  const feeds = { x, shape: { type: 'int64', data: shape, dims: [2] } };
  const check = (label, r) => {
    stats.returned++;
    const dims = r.y.dims.join(',');
    if ((dims !== '3,4' && dims !== '4,3') || r.y.data.some((v, k) => v !== k)) {
      if (stats.wrong.length < 5) stats.wrong.push(`${label}: dims [${dims}]`);
    }
  };
  const refused = (label, e) => {
    if (e instanceof Error && /Reshape/.test(e.message)) stats.refused++;
    else if (stats.unexpected.length < 5) stats.unexpected.push(`${label}: ${e?.message}`);
  };
  for (let k = 0; k < calls; k++) {
    try {
      check('reshape runSync', session.runSync(feeds));
    } catch (e) {
      refused('reshape runSync', e);
    }
    await session.run(feeds).then(
      (r) => check('reshape run', r),
      (e) => refused('reshape run', e),
    );
  }
  await stop();
  session.dispose();
}

(async () => {
  await shapeRace();
  await lensRace('GRU');
  await lensRace('LSTM');
  await floatRace();
  await sessionRace();
  console.log(JSON.stringify({ calls, ...stats }));
})().catch((e) => {
  console.log(JSON.stringify({ fatal: String(e?.stack) }));
  process.exit(1);
});
