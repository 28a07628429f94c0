// Times one training step (forward + backward) of a GRU and an LSTM layer through the native
// trainer, against PyTorch CPU when `python3 -c "import torch"` works (bench/train-step-torch.py).
// Outside the tests; run by hand: node bench/train-step.js [threads] [T] [B] [I] [H]
'use strict';
const { execFileSync } = require('child_process');
const path = require('path');
const { RnnTrainer } = require('../dist/train/native-rnn');
const { median } = require('./stats');

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
  const f = [], b = [];
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
try {
  const out = execFileSync('python3', [path.join(__dirname, 'train-step-torch.py'), ...[threads, T, B, I, H].map(String)],
                           { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  torch = JSON.parse(out);
} catch {
  // PyTorch missing: gatedrnn's numbers alone.
}
console.log(`training step, T=${T} B=${B} I=${I} H=${H}, ${threads} threads (median of 20, ms)`);
for (const [name, r] of rows) {
  const key = name.startsWith('LSTM') ? 'lstm' : 'gru';
  const tr = torch && !name.includes('=0') ? torch[key] : null;
  const vs = tr ? `   torch ${tr.toFixed(2)}  (${(tr / r.step).toFixed(2)}x)` : '';
  console.log(`${name.padEnd(28)} forward ${r.forward.toFixed(2)}  backward ${r.backward.toFixed(2)}  step ${r.step.toFixed(2)}${vs}`);
}
