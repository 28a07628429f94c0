// Run by test/lifecycle.test.ts in a fresh `node --expose-gc` process, so that RSS readings see
// this program only: creates many operators with large packed weights and either disposes of
// them ('dispose') or drops them for the garbage collector's finalizers ('forget'); or ('sync-loop')
// calls run() in one synchronous loop that never yields to the event loop, dropping each 256 KiB
// Y; or ('churn') makes and disposes small GRUs in one synchronous loop, whose JS wrappers wait
// for the event loop to be finalized. Prints one JSON line: RSS before, after, the packed bytes one operator holds and the count.
const path = require('node:path');
const { LstmOp } = require(path.join(__dirname, '..', '..', 'dist'));

const mode = process.argv[2];
const count = Number(process.argv[3] || 200);
const H = 256;
const I = 256;
const W = { type: 'float32', data: new Float32Array(4 * H * I).fill(0.01), dims: [1, 4 * H, I] };
const R = { type: 'float32', data: new Float32Array(4 * H * H).fill(0.01), dims: [1, 4 * H, H] };
const X = { type: 'float32', data: new Float32Array(2 * I).fill(0.5), dims: [2, 1, I] };

async function settle() {
  for (let k = 0; k < 4; k++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// Output arrays are V8's own memory, freed by collections inside the loop: they do not wait for
// the event loop to turn, as the finalizers of arrays over native memory would.
function syncLoop() {
  const h = 16;
  const w = (rows, cols) => ({ type: 'float32', data: new Float32Array(rows * cols).fill(0.01), dims: [1, rows, cols] });
  const op = new LstmOp({ W: w(4 * h, h), R: w(4 * h, h) }, { threads: 1 });
  const X = { type: 'float32', data: new Float32Array(4096 * h).fill(0.5), dims: [4096, 1, h] };
  for (let k = 0; k < 50; k++) op.run({ X });
  global.gc();
  const before = process.memoryUsage().rss;
  for (let k = 0; k < count; k++) op.run({ X });
  const after = process.memoryUsage().rss;
  console.log(JSON.stringify({ mode, count, packedBytes: op.packedBytes, before, after }));
}

// Each GRU's packed weights are 61 KiB; from the C heap, each freed block was split by the
// wrappers that outlive it and never reused (one block of heap growth per operator).
function churn() {
  const { GruOp } = require(path.join(__dirname, '..', '..', 'dist'));
  const h = 64,
    i = 16;
  const W = { type: 'float32', data: new Float32Array(3 * h * i).fill(0.01), dims: [1, 3 * h, i] };
  const R = { type: 'float32', data: new Float32Array(3 * h * h).fill(0.01), dims: [1, 3 * h, h] };
  const make = () => new GruOp({ W, R }, { threads: 1 });
  for (let k = 0; k < 1000; k++) make().dispose();
  global.gc();
  const before = process.memoryUsage().rss;
  let packedBytes = 0;
  for (let k = 0; k < count; k++) {
    const op = make();
    packedBytes = op.packedBytes;
    op.dispose();
  }
  global.gc();
  const after = process.memoryUsage().rss;
  console.log(JSON.stringify({ mode, count, packedBytes, before, after }));
}

async function main() {
  if (mode === 'sync-loop') return syncLoop();
  if (mode === 'churn') return churn();
  // Warm up: the library, one operator and one run, so that only the operators count below.
  const first = new LstmOp({ W, R }, { threads: 1 });
  first.run({ X });
  const packedBytes = first.packedBytes;
  first.dispose();
  await settle();
  const before = process.memoryUsage().rss;
  for (let k = 0; k < count; k++) {
    const op = new LstmOp({ W, R }, { threads: 1 });
    op.run({ X });
    if (mode === 'dispose') op.dispose();
    // 'forget': the operator is dropped here; collect now and then, as a live process would.
    if (mode === 'forget' && k % 20 === 19) await settle();
  }
  await settle();
  const after = process.memoryUsage().rss;
  console.log(JSON.stringify({ mode, count, packedBytes, before, after }));
}

main();
