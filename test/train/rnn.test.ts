// The recurrent layers over the native trainer: gradients against float64 central differences of
// an ONNX-semantics reference, Keras's initializers in ONNX layout, and models that learn.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GruOp, LstmOp, layers, loadModel, optimizers, sequential, Tensor } from '../../lib';
import type { Activation, Layer } from '../../lib/layers';
import { Gru, Lstm, Recurrent } from '../../lib/layers';
import { Rng } from '../../lib/train/rng';
import { dot, expectGradClose, f32, f64, numericGradient, rnnRef, type RnnRefSpec } from '../helpers/fd';

const ctx = { training: true, rng: new Rng(1) };

function randomize(layer: Layer, rng: Rng, scale: number): void {
  for (const p of layer.params) for (let i = 0; i < p.value.length; i++) p.value[i] = rng.normal() * scale;
}

function refSpec(l: Recurrent): RnnRefSpec {
  return {
    cell: l.cell,
    hidden: l.units,
    input: l.inputShape![1],
    directions: l.directions,
    linearBeforeReset: l instanceof Gru ? l.resetAfter : false,
  };
}

/** The layer's output from float64 parameters and inputs, as the reference computes it. */
function refOutput(l: Recurrent, [W, R, B, X]: Float64Array[], n: number, t: number, lengths: Int32Array | null): Float64Array {
  const { Y, Yh } = rnnRef(refSpec(l), W, R, B, X, n, t, lengths);
  return l.returnSequences ? Y : Yh;
}

interface Case {
  label: string;
  make: () => Layer;
  lengths: number[] | null;
}

const N = 3;
const T = 4;
const I = 3;
const H = 4;

const cases: Case[] = [
  { label: 'GRU resetAfter (lbr 1), last state', make: () => layers.gru({ units: H }), lengths: null },
  { label: 'GRU resetAfter (lbr 1), sequences', make: () => layers.gru({ units: H, returnSequences: true }), lengths: null },
  {
    label: 'GRU resetAfter false (lbr 0), sequences',
    make: () => layers.gru({ units: H, returnSequences: true, resetAfter: false }),
    lengths: null,
  },
  { label: 'GRU resetAfter false (lbr 0), last state', make: () => layers.gru({ units: H, resetAfter: false }), lengths: null },
  { label: 'LSTM, last state', make: () => layers.lstm({ units: H }), lengths: null },
  { label: 'LSTM, sequences', make: () => layers.lstm({ units: H, returnSequences: true }), lengths: null },
  { label: 'GRU, masked sequences', make: () => layers.gru({ units: H, returnSequences: true }), lengths: [4, 2, 0] },
  { label: 'LSTM, masked last state', make: () => layers.lstm({ units: H }), lengths: [1, 4, 3] },
  {
    label: 'bidirectional GRU, sequences, masked',
    make: () => layers.bidirectional({ layer: layers.gru({ units: H, returnSequences: true }) }),
    lengths: [3, 4, 1],
  },
  { label: 'bidirectional LSTM, last state', make: () => layers.bidirectional({ layer: layers.lstm({ units: H }) }), lengths: null },
];

describe('recurrent layer gradients vs float64 differences', () => {
  for (const c of cases) {
    test(c.label, async () => {
      const rng = new Rng(17);
      const layer = c.make();
      layer.build([T, I], rng);
      randomize(layer, rng, 0.5);
      const rnn = (layer instanceof Recurrent ? layer : (layer as unknown as { layer: Recurrent }).layer) as Recurrent;
      const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
      const X = f64(f32(Array.from({ length: N * T * I }, () => rng.normal())));
      const x: Activation = { data: f32(X), dims: [N, T, I], lengths: lengths ?? undefined };
      const out = await layer.forward(x, ctx);
      const params = layer.params.map((p) => f64(p.value));
      const ref = refOutput(rnn, [...params, X], N, T, lengths);
      expect(out.data.length).toBe(ref.length);
      expectGradClose('forward', out.data, ref, 1e-5);
      const cw = f64(f32(Array.from({ length: ref.length }, () => rng.normal())));
      const dx = await layer.backward(f32(cw));
      const grads = numericGradient((xs) => dot(cw, refOutput(rnn, xs, N, T, lengths)), [...params, X], 1e-5);
      expectGradClose('dW', layer.params[0].grad, grads[0]);
      expectGradClose('dR', layer.params[1].grad, grads[1]);
      expectGradClose('dB', layer.params[2].grad, grads[2]);
      expectGradClose('dX', dx!, grads[3]);
    });
  }

  test('stacked GRU -> LSTM', async () => {
    const rng = new Rng(23);
    const a = layers.gru({ units: H, returnSequences: true });
    const b = layers.lstm({ units: 3 });
    a.build([T, I], rng);
    b.build([T, H], rng);
    randomize(a, rng, 0.5);
    randomize(b, rng, 0.5);
    const X = f64(f32(Array.from({ length: N * T * I }, () => rng.normal())));
    const lengths = Int32Array.from([4, 3, 2]);
    const mid = await a.forward({ data: f32(X), dims: [N, T, I], lengths }, ctx);
    const out = await b.forward(mid, ctx);
    const cw = f64(f32(Array.from({ length: out.data.length }, () => rng.normal())));
    const dmid = await b.backward(f32(cw));
    const dx = await a.backward(dmid);
    const pa = a.params.map((p) => f64(p.value));
    const pb = b.params.map((p) => f64(p.value));
    const f = ([wa, ra, ba, wb, rb, bb, xx]: Float64Array[]): number => {
      const y1 = refOutput(a, [wa, ra, ba, xx], N, T, lengths);
      return dot(cw, refOutput(b, [wb, rb, bb, y1], N, T, lengths));
    };
    const g = numericGradient(f, [...pa, ...pb, X], 1e-5);
    [...a.params, ...b.params].forEach((p, i) => expectGradClose(`param ${i}`, p.grad, g[i]));
    expectGradClose('dX', dx, g[6]);
  });
});

describe('the float64 reference', () => {
  // The differences above are only as good as rnnRef: it must compute what the ONNX operators do.
  for (const [cell, lbr, dirs] of [
    ['GRU', true, 1],
    ['GRU', false, 2],
    ['LSTM', false, 1],
    ['LSTM', false, 2],
  ] as const) {
    test(`${cell}${cell === 'GRU' ? ` lbr ${Number(lbr)}` : ''}, ${dirs} direction(s), with lengths, matches ${cell === 'GRU' ? 'GruOp' : 'LstmOp'}`, () => {
      const rng = new Rng(31);
      const G = cell === 'GRU' ? 3 : 4;
      const r = (n: number): Float32Array => f32(Array.from({ length: n }, () => rng.normal() * 0.5));
      const W = r(dirs * G * H * I);
      const R = r(dirs * G * H * H);
      const B = r(dirs * 2 * G * H);
      const X = r(N * T * I);
      const lengths = Int32Array.from([4, 1, 3]);
      const weights = {
        W: new Tensor('float32', W, [dirs, G * H, I]),
        R: new Tensor('float32', R, [dirs, G * H, H]),
        B: new Tensor('float32', B, [dirs, 2 * G * H]),
      };
      const attrs = { hiddenSize: H, layout: 1 as const, direction: dirs === 2 ? ('bidirectional' as const) : ('forward' as const) };
      const op = cell === 'GRU' ? new GruOp(weights, { ...attrs, linearBeforeReset: lbr ? 1 : 0 }) : new LstmOp(weights, attrs);
      const out = op.run({ X: new Tensor('float32', X, [N, T, I]), sequenceLens: new Tensor('int32', lengths, [N]) });
      op.dispose();
      const ref = rnnRef(
        { cell, hidden: H, input: I, directions: dirs, linearBeforeReset: lbr },
        f64(W),
        f64(R),
        f64(B),
        f64(X),
        N,
        T,
        lengths,
      );
      expectGradClose('Y', out.Y!.data as Float32Array, ref.Y, 1e-5);
      expectGradClose('Y_h', out.Y_h!.data as Float32Array, ref.Yh, 1e-5);
    });
  }
});

describe("Keras's initializers in ONNX layout", () => {
  test('orthogonal recurrent kernels, Glorot input kernels, zero biases; unitForgetBias on the f block', () => {
    const l = new Lstm({ units: 5 });
    l.build([7, 3], new Rng(2));
    const [W, R, B] = l.params;
    expect(W.shape).toEqual([1, 20, 3]);
    expect(R.shape).toEqual([1, 20, 5]);
    expect(B.shape).toEqual([1, 40]);
    // R [4H, H]: orthonormal columns, i.e. Keras's [H, 4H] recurrent kernel has orthonormal rows.
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 5; b++) {
        let s = 0;
        for (let r = 0; r < 20; r++) s += R.value[r * 5 + a] * R.value[r * 5 + b];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    }
    const limit = Math.sqrt(6 / (3 + 20));
    expect(W.value.every((v) => Math.abs(v) <= limit)).toBe(true);
    // Gates i o f c: the forget bias (third block of Wb) is 1, everything else 0.
    expect(Array.from(B.value)).toEqual(Array.from({ length: 40 }, (_, i) => (i >= 10 && i < 15 ? 1 : 0)));
    const g = new Gru({ units: 2 });
    g.build([4, 2], new Rng(3));
    expect(g.params.map((p) => p.shape)).toEqual([
      [1, 6, 2],
      [1, 6, 2],
      [1, 12],
    ]);
    const bi = layers.bidirectional({ layer: layers.gru({ units: 2, returnSequences: true }) });
    expect(bi.build([4, 3], new Rng(1))).toEqual([4, 4]);
    expect(bi.params.map((p) => p.shape)).toEqual([
      [2, 6, 3],
      [2, 6, 2],
      [2, 12],
    ]);
  });

  test('shape errors name the layer', () => {
    const g = layers.gru({ units: 2, name: 'enc' });
    expect(() => g.build([5], new Rng(1))).toThrow(
      "layer 'enc': expected input shape to be [steps, features] (inputs [N, T, F]), but received [5]",
    );
  });
});

describe('recurrent models that learn', () => {
  test('GRU: running parity of a bit string to >= 99% accuracy', async () => {
    const t = 8;
    const n = 256;
    const x = new Float32Array(n * t);
    const y = new Int32Array(n * t);
    for (let i = 0; i < n; i++) {
      let p = 0;
      for (let s = 0; s < t; s++) {
        const bit = (i >> s) & 1;
        p ^= bit;
        x[i * t + s] = bit;
        y[i * t + s] = p;
      }
    }
    const m = sequential([layers.gru({ units: 16, returnSequences: true }), layers.dense({ units: 2, activation: 'softmax' })], {
      seed: 1,
    });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const X = new Tensor('float32', x, [n, t, 1]);
    const Y = new Tensor('int32', y, [n, t]);
    await m.fit(X, Y, {
      epochs: 60,
      batchSize: 32,
      verbose: 0,
      seed: 1,
      earlyStopping: { monitor: 'accuracy', patience: 100, mode: 'max' },
    });
    const r = await m.evaluate(X, Y);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.99);
    m.dispose();
  });

  test('LSTM: sine-wave forecasting to MSE < 1e-3', async () => {
    const t = 12;
    const n = 128;
    const x = new Float32Array(n * t);
    const y = new Float32Array(n);
    const rng = new Rng(4);
    for (let i = 0; i < n; i++) {
      const phase = rng.next() * 2 * Math.PI;
      for (let s = 0; s < t; s++) x[i * t + s] = Math.sin(phase + s * 0.3);
      y[i] = Math.sin(phase + t * 0.3);
    }
    const m = sequential([layers.lstm({ units: 16 }), layers.dense({ units: 1 })], { seed: 2 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), loss: 'mse' });
    const X = new Tensor('float32', x, [n, t, 1]);
    const Y = new Tensor('float32', y, [n, 1]);
    await m.fit(X, Y, { epochs: 80, batchSize: 16, verbose: 0, seed: 3 });
    expect((await m.evaluate(X, Y)).loss).toBeLessThan(1e-3);
    m.dispose();
  });

  test('the text-classifier shape: embedding (masked) -> bidirectional GRU -> dense', async () => {
    const rng = new Rng(9);
    const n = 64;
    const t = 6;
    const ids: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const len = 2 + Math.floor(rng.next() * (t - 1));
      const row = Array.from({ length: t }, (_, s) => (s < len ? 1 + Math.floor(rng.next() * 9) : 0));
      ids.push(row);
      labels.push(row.includes(7) ? 1 : 0);
    }
    const m = sequential(
      [
        layers.embedding({ inputDim: 10, outputDim: 8, maskZero: true }),
        layers.bidirectional({ layer: layers.gru({ units: 8 }) }),
        layers.dense({ units: 2, activation: 'softmax' }),
      ],
      { seed: 5 },
    );
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await m.fit(ids, labels, { epochs: 40, batchSize: 16, verbose: 0, seed: 5 });
    expect((await m.evaluate(ids, labels)).accuracy).toBeGreaterThan(0.95);
    expect(m.summary({ print: false })).toContain('bidirectional (Bidirectional)');
    m.dispose();
  });
});

describe('recurrent models: files and resuming', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-rnn-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const data = (): { x: number[][]; y: number[] } => {
    const rng = new Rng(12);
    const x = Array.from({ length: 24 }, () => {
      const len = 1 + Math.floor(rng.next() * 5);
      return Array.from({ length: 5 }, (_, s) => (s < len ? 1 + Math.floor(rng.next() * 5) : 0));
    });
    return { x, y: x.map((r) => (r[0] > 2 ? 1 : 0)) };
  };
  const make = (seed: number) => {
    const m = sequential(
      [
        layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true }),
        layers.gru({ units: 5, returnSequences: true }),
        layers.dropout({ rate: 0.2 }),
        layers.bidirectional({ layer: layers.lstm({ units: 3 }) }),
        layers.dense({ units: 2, activation: 'softmax' }),
      ],
      { seed },
    );
    m.compile({
      optimizer: optimizers.rmsprop({ learningRate: 0.01, momentum: 0.5 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    return m;
  };

  test('save -> load -> predict identical', async () => {
    const { x, y } = data();
    const m = make(1);
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, seed: 1 });
    const file = path.join(tmp, 'rnn.gatedrnn');
    await m.save(file);
    const again = await loadModel(file);
    expect(Array.from((await again.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
    m.dispose();
    again.dispose();
  });

  test('a resumed checkpoint continues the same loss curve exactly', async () => {
    const { x, y } = data();
    const opts = { batchSize: 8, verbose: 0 as const, seed: 3 };
    const straight = await make(2).fit(x, y, { ...opts, epochs: 4 });
    const ckpt = path.join(tmp, 'rnn.ckpt');
    await make(2).fit(x, y, { ...opts, epochs: 2, checkpoint: { path: ckpt } });
    const resumed = await make(7).fit(x, y, { ...opts, epochs: 4, resumeFrom: ckpt });
    expect(resumed.loss).toEqual(straight.loss);
  });
});
