// Times one training step (forward + backward) of a GRU and an LSTM layer through the native
// trainer, against PyTorch CPU (bench/train-step-torch.py) when a Python with torch is found on
// an optimized BLAS (see bench/train.js; the reference BLAS is refused). GFLOP/s counts the
// matrix products, the backward pass as twice the forward; % peak divides by the addon's FMA loop.
// Outside the tests; run by hand: node bench/train-step.js [threads] [T] [B] [I] [H]

const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { RnnTrainer } = require('../dist/ops/trainer');
const { median } = require('./stats');
const { findTorch, measurePeak, probeBlas, RefusedError } = require('./train');

const [threads = 2, T = 100, B = 32, I = 128, H = 128] = process.argv.slice(2).map(Number);

function rand(n, scale) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * scale;
  return a;
}

function time(cell, lbr) {
  const G = cell === 'GRU' ? 3 : 4;
  const t = new RnnTrainer({ cell, hiddenSize: H, inputSize: I, linearBeforeReset: lbr, threads });
  const w = { W: rand(G * H * I, 0.1), R: rand(G * H * H, 0.1), B: rand(2 * G * H, 0.1) };
  const x = { X: rand(T * B * I, 1), seqLength: T, batchSize: B };
  const dY = rand(T * B * H, 1);
  const f = [],
    b = [];
  for (let i = 0; i < 25; i++) {
    const t0 = process.hrtime.bigint();
    const out = t.forward(w, x);
    const t1 = process.hrtime.bigint();
    t.backward(w, x, out.saved, { dY });
    const t2 = process.hrtime.bigint();
    if (i >= 5) {
      f.push(Number(t1 - t0) / 1e6);
      b.push(Number(t2 - t1) / 1e6);
    }
  }
  t.dispose();
  return { forward: median(f), backward: median(b), step: median(f) + median(b) };
}

const rows = [
  ['GRU (linear_before_reset=1)', time('GRU', 1)],
  ['GRU (linear_before_reset=0)', time('GRU', 0)],
  ['LSTM', time('LSTM', 0)],
];
let torch = null;
const python = findTorch(null);
if (!python) console.log('PyTorch: not found (no Python that imports torch); gatedrnn alone');
else {
  try {
    const blas = probeBlas(python);
    const out = execFileSync(python.python, [path.join(__dirname, 'train-step-torch.py'), ...[threads, T, B, I, H].map(String)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    torch = JSON.parse(out);
    console.log(`PyTorch ${python.version} on ${blas.name}${blas.file ? ` (${blas.file})` : ''}, torch.set_num_threads(${threads})`);
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    console.log(`PyTorch left out: ${err.message}`);
  }
}
const [{ gflops: peak }] = measurePeak([threads]);
const gflops = (cell, ms) => (3 * 2 * T * B * (cell === 'LSTM' ? 4 : 3) * H * (I + H)) / (ms * 1e6);
console.log(`training step, T=${T} B=${B} I=${I} H=${H}, ${threads} threads (median of 20, ms); FMA peak ${peak.toFixed(1)} GFLOP/s`);
for (const [name, r] of rows) {
  const cell = name.startsWith('LSTM') ? 'LSTM' : 'GRU';
  const tr = torch && !name.includes('=0') ? torch[cell.toLowerCase()] : null;
  const rate = (ms) => `${gflops(cell, ms).toFixed(1)} GFLOP/s, ${((100 * gflops(cell, ms)) / peak).toFixed(0)}% peak`;
  const vs = tr ? `   torch ${tr.toFixed(2)} (${rate(tr)}; ${(tr / r.step).toFixed(2)}x)` : '';
  console.log(
    `${name.padEnd(28)} forward ${r.forward.toFixed(2)}  backward ${r.backward.toFixed(2)}  step ${r.step.toFixed(2)} (${rate(r.step)})${vs}`,
  );
}
