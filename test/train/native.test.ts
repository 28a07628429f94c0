// The native training kernels through the binding: gemm against a naive loop, and (below) the
// RNN trainer's forward against NativeRnn and its gradients against central finite differences of
// a float64 forward (test/helpers/rnn64.ts).
import type { NativeSpec } from '../../binding';
import { binding } from '../../lib/native';
import { gemm } from '../../lib/train/gemm';
import {
  RnnTrainer,
  type RnnTrainerAttributes,
  type TrainForwardResult,
  type TrainInputs,
  type TrainWeights,
} from '../../lib/train/native-rnn';
import { forEachIsa } from '../helpers/isas';
import { type Rnn64Data, type Rnn64Spec, rng32, rnnForward64 } from '../helpers/rnn64';

function naiveGemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  B: Float32Array,
  beta: number,
  C: Float32Array,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? A[k * M + i] : A[i * K + k]) * (transB ? B[j * K + k] : B[k * N + j]);
      out[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * N + j]);
    }
  }
  return out;
}

function random(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
  return a;
}

describe('gemm', () => {
  const rand = rng32(7);
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 9],
    [40, 17, 300],
    [65, 130, 31],
    [2, 200, 513],
  ];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      test(`transA=${transA} transB=${transB} on odd sizes, on every ISA`, () => {
        forEachIsa((isa) => {
          for (const [M, N, K] of shapes) {
            for (const [alpha, beta] of [
              [1, 0],
              [0.5, -1.25],
            ]) {
              const A = random(M * K, rand),
                B = random(K * N, rand),
                C = random(M * N, rand);
              const want = naiveGemm(transA, transB, M, N, K, alpha, A, B, beta, C);
              gemm({ transA, transB, M, N, K, alpha, beta, A, B, C, threads: 2 });
              expectNear(`${isa} C (${M}x${N}x${K})`, C, want, 1e-5 * Math.sqrt(K + 1), 1e-4);
            }
          }
        });
      });
    }
  }

  test('beta 0 ignores NaN in C; K = 0 leaves beta * C', () => {
    const C = new Float32Array(6).fill(NaN);
    gemm({ M: 2, N: 3, K: 2, A: new Float32Array([1, 2, 3, 4]), B: new Float32Array([1, 0, 0, 0, 1, 0]), C });
    expect(Array.from(C)).toEqual([1, 2, 0, 3, 4, 0]);
    const D = new Float32Array([1, 2]);
    gemm({ M: 1, N: 2, K: 0, A: new Float32Array(0), B: new Float32Array(0), C: D, beta: 2 });
    expect(Array.from(D)).toEqual([2, 4]);
  });

  test('errors name the argument, what was expected and what came', () => {
    const A = new Float32Array(6),
      B = new Float32Array(6),
      C = new Float32Array(4);
    expect(() => gemm({ M: 2, N: 2, K: 3, A, B, C: new Float32Array(5) })).toThrow(
      'gemm: expected C.length to be 4 ([M, N] = [2, 2]), but received 5',
    );
    expect(() => gemm({ M: 2, N: 2, K: 3, A: new Float64Array(6) as unknown as Float32Array, B, C })).toThrow(
      'gemm: expected A to be a Float32Array, but received Float64Array(6)',
    );
    expect(() => gemm({ M: 2.5, N: 2, K: 3, A, B, C })).toThrow(
      'gemm: expected M to be a non-negative integer, but received 2.5 of type number',
    );
    expect(() => gemm({ transB: true, M: 2, N: 2, K: 3, A, B: new Float32Array(4), C })).toThrow(
      'gemm: expected B.length to be 6 ([N, K] with transB = [2, 3]), but received 4',
    );
    expect(() => gemm({ M: 2, N: 2, K: 3, A, B, C, alpha: NaN })).toThrow(
      'gemm: expected alpha to be a finite number, but received NaN of type number',
    );
    expect(() => gemm({ M: 2, N: 2, K: 3, A, B, C, threads: 0 })).toThrow(
      'gemm: expected threads to be a positive integer, but received 0 of type number',
    );
  });
});

interface TrainCase {
  attrs: RnnTrainerAttributes & Rnn64Spec;
  weights: TrainWeights;
  inputs: TrainInputs;
  // Loss = sum(cY ⊙ Y) + sum(cH ⊙ Y_h) + sum(cC ⊙ Y_c): these are its output gradients.
  cY: Float32Array | null;
  cH: Float32Array | null;
  cC: Float32Array | null;
}

type Variant = { cell: 'GRU' | 'LSTM' | 'RNN'; lbr: boolean };
const VARIANTS: Variant[] = [
  { cell: 'GRU', lbr: false },
  { cell: 'GRU', lbr: true },
  { cell: 'LSTM', lbr: false },
  { cell: 'RNN', lbr: false },
];
const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

function makeCase(
  v: Variant,
  direction: Rnn64Spec['direction'],
  layout: 0 | 1,
  seed: number,
  opts: { T?: number; N?: number; I?: number; H?: number; full?: boolean } = {},
): TrainCase {
  const rand = rng32(seed);
  const T = opts.T ?? 4,
    N = opts.N ?? 3,
    I = opts.I ?? 3,
    H = opts.H ?? 5;
  const full = opts.full ?? true;
  const D = direction === 'bidirectional' ? 2 : 1,
    G = v.cell === 'GRU' ? 3 : v.cell === 'LSTM' ? 4 : 1;
  const scaled = (n: number, scale: number): Float32Array => random(n, rand).map((x) => x * scale);
  const attrs = { cell: v.cell, hiddenSize: H, inputSize: I, direction, linearBeforeReset: v.lbr, layout, threads: 2 };
  const lens = new Int32Array(N);
  for (let b = 0; b < N; b++) lens[b] = b === 0 ? T : b === 1 ? 0 : 1 + ((b * 7) % T);
  return {
    attrs,
    weights: { W: scaled(D * G * H * I, 0.6), R: scaled(D * G * H * H, 0.6), B: full ? scaled(D * 2 * G * H, 0.5) : null },
    inputs: {
      X: random(T * N * I, rand),
      seqLength: T,
      batchSize: N,
      sequenceLens: full ? lens : null,
      initialH: full ? random(D * N * H, rand) : null,
      initialC: full && v.cell === 'LSTM' ? random(D * N * H, rand) : null,
    },
    cY: random(T * D * N * H, rand),
    cH: full ? random(D * N * H, rand) : null,
    cC: full && v.cell === 'LSTM' ? random(D * N * H, rand) : null,
  };
}

function loss64(c: TrainCase, d: Rnn64Data): number {
  const o = rnnForward64(c.attrs, d);
  let l = 0;
  const dot = (a: Float32Array | null, b: Float64Array | null): void => {
    if (a && b) for (let i = 0; i < a.length; i++) l += a[i] * b[i];
  };
  dot(c.cY, o.Y);
  dot(c.cH, o.Y_h);
  dot(c.cC, o.Y_c);
  return l;
}

// Central finite differences of the float64 loss with respect to every element of `key`.
function finiteDifferences(c: TrainCase, key: 'W' | 'R' | 'B' | 'X' | 'initialH' | 'initialC'): Float64Array {
  const data: Rnn64Data = {
    W: Float64Array.from(c.weights.W),
    R: Float64Array.from(c.weights.R),
    B: c.weights.B ? Float64Array.from(c.weights.B) : new Float64Array((c.weights.R.length / c.attrs.hiddenSize) * 2),
    X: Float64Array.from(c.inputs.X),
    seqLength: c.inputs.seqLength,
    batchSize: c.inputs.batchSize,
    sequenceLens: c.inputs.sequenceLens,
    initialH: c.inputs.initialH ? Float64Array.from(c.inputs.initialH) : new Float64Array(c.cY!.length / c.inputs.seqLength),
    initialC: c.inputs.initialC ? Float64Array.from(c.inputs.initialC) : new Float64Array(c.cY!.length / c.inputs.seqLength),
  };
  const x = data[key] as Float64Array;
  const out = new Float64Array(x.length);
  const eps = 1e-6;
  for (let i = 0; i < x.length; i++) {
    const keep = x[i];
    x[i] = keep + eps;
    const lp = loss64(c, data);
    x[i] = keep - eps;
    const lm = loss64(c, data);
    x[i] = keep;
    out[i] = (lp - lm) / (2 * eps);
  }
  return out;
}

function expectNear(name: string, got: Float32Array | undefined, want: Float64Array, atol: number, rtol: number): void {
  expect(got).toBeDefined();
  expect(got!.length).toBe(want.length);
  let worst = 0,
    at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got![i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  if (!(worst <= 1)) throw new Error(`${name}[${at}] = ${got![at]}, expected ${want[at]} (${worst.toFixed(2)} x tolerance)`);
}

function nativeSpec(t: RnnTrainer, c: TrainCase): NativeSpec {
  const D = t.numDirections;
  const perDir = c.attrs.cell === 'GRU' ? [2, 0, 0, 1, 0, 0] : c.attrs.cell === 'LSTM' ? [2, 0, 0, 1, 0, 0, 1, 0, 0] : [1, 0, 0];
  return {
    cell: c.attrs.cell === 'GRU' ? 1 : c.attrs.cell === 'LSTM' ? 2 : 0,
    hiddenSize: c.attrs.hiddenSize,
    inputSize: c.attrs.inputSize,
    numDirections: D,
    reverse: c.attrs.direction === 'reverse',
    linearBeforeReset: c.attrs.linearBeforeReset,
    inputForget: false,
    layout: c.attrs.layout,
    bf16Weights: false,
    acts: D === 2 ? [...perDir, ...perDir] : perDir,
  };
}

describe('RnnTrainer gradients against central finite differences of a float64 forward', () => {
  let seed = 100;
  for (const v of VARIANTS) {
    const name = v.cell === 'GRU' ? `GRU linearBeforeReset=${Number(v.lbr)}` : v.cell;
    for (const direction of DIRECTIONS) {
      for (const layout of [0, 1] as const) {
        const s = seed++;
        test(`${name} ${direction} layout ${layout}, sequenceLens and initial states, on every ISA`, () => {
          const c = makeCase(v, direction, layout, s);
          // The float64 oracle does not depend on the ISA: worked out once, checked against each.
          const want = rnnForward64(c.attrs, { ...c.weights, ...c.inputs });
          const fd = {
            dW: finiteDifferences(c, 'W'),
            dR: finiteDifferences(c, 'R'),
            dB: finiteDifferences(c, 'B'),
            dX: finiteDifferences(c, 'X'),
            dInitialH: finiteDifferences(c, 'initialH'),
            dInitialC: v.cell === 'LSTM' ? finiteDifferences(c, 'initialC') : null,
          };
          forEachIsa((isa) => {
            const t = new RnnTrainer(c.attrs);
            const fwd = t.forward(c.weights, c.inputs);
            expectNear(`${isa} Y`, fwd.Y, want.Y, 1e-6, 1e-5);
            expectNear(`${isa} Y_h`, fwd.Y_h, want.Y_h, 1e-6, 1e-5);
            if (v.cell === 'LSTM') expectNear(`${isa} Y_c`, fwd.Y_c, want.Y_c!, 1e-6, 1e-5);
            const g = t.backward(c.weights, c.inputs, fwd.saved, { dY: c.cY, dY_h: c.cH, dY_c: c.cC });
            t.dispose();
            const tol = [1e-4, 1e-3] as const;
            expectNear(`${isa} dW`, g.dW, fd.dW, ...tol);
            expectNear(`${isa} dR`, g.dR, fd.dR, ...tol);
            expectNear(`${isa} dB`, g.dB, fd.dB, ...tol);
            expectNear(`${isa} dX`, g.dX, fd.dX, ...tol);
            expectNear(`${isa} dInitialH`, g.dInitialH, fd.dInitialH, ...tol);
            if (fd.dInitialC) expectNear(`${isa} dInitialC`, g.dInitialC, fd.dInitialC, ...tol);
            else expect(g.dInitialC).toBeUndefined();
          });
        });
      }
    }
  }

  test('no bias, no initial states, only dY: gradients at zeros, dB still returned', () => {
    for (const v of VARIANTS) {
      const c = makeCase(v, 'bidirectional', 0, 7, { full: false, H: 17, I: 2, T: 3, N: 2 });
      const t = new RnnTrainer(c.attrs);
      const fwd = t.forward(c.weights, c.inputs, { outputs: ['Y'] });
      expect(fwd.Y_h).toBeUndefined();
      const g = t.backward(c.weights, c.inputs, fwd.saved, { dY: c.cY });
      expectNear('dB', g.dB, finiteDifferences(c, 'B'), 1e-4, 1e-3);
      expectNear('dInitialH', g.dInitialH, finiteDifferences(c, 'initialH'), 1e-4, 1e-3);
      t.dispose();
    }
  });
});

describe('RnnTrainer edge cases', () => {
  test('every sequence empty: Y zeros, states and their gradients pass straight through, no weight gradient', () => {
    for (const v of VARIANTS) {
      const c = makeCase(v, 'bidirectional', 1, 21);
      const inputs = { ...c.inputs, sequenceLens: new Int32Array(c.inputs.batchSize) };
      const t = new RnnTrainer(c.attrs);
      const fwd = t.forward(c.weights, inputs);
      expect(fwd.Y!.every((y) => y === 0)).toBe(true);
      expect(Array.from(fwd.Y_h!)).toEqual(Array.from(inputs.initialH!));
      const g = t.backward(c.weights, inputs, fwd.saved, { dY: c.cY, dY_h: c.cH, dY_c: c.cC });
      for (const z of [g.dX, g.dW, g.dR, g.dB]) expect(z.every((x) => x === 0)).toBe(true);
      expect(Array.from(g.dInitialH)).toEqual(Array.from(c.cH!));
      if (v.cell === 'LSTM') expect(Array.from(g.dInitialC!)).toEqual(Array.from(c.cC!));
      t.dispose();
    }
  });

  test("inputs past a sequence's end are never read: NaN there changes nothing, and their dX is zero", () => {
    for (const v of VARIANTS)
      for (const direction of ['forward', 'bidirectional'] as const)
        for (const layout of [0, 1] as const) {
          const c = makeCase(v, direction, layout, 31, { T: 6, N: 4, I: 5, H: 19 });
          const T = c.inputs.seqLength,
            N = c.inputs.batchSize,
            I = c.attrs.inputSize;
          const lens = new Int32Array([4, 0, 2, 3]); // the longest ends before seqLength
          const padded = (fill: number): Float32Array => {
            const X = Float32Array.from(c.inputs.X);
            for (let b = 0; b < N; b++)
              for (let t = lens[b]; t < T; t++)
                X.fill(fill, (layout === 0 ? t * N + b : b * T + t) * I, ((layout === 0 ? t * N + b : b * T + t) + 1) * I);
            return X;
          };
          const t = new RnnTrainer(c.attrs);
          const [zeros, nans] = [0, Number.NaN].map((fill) => {
            const inputs = { ...c.inputs, X: padded(fill), sequenceLens: lens };
            const fwd = t.forward(c.weights, inputs);
            const g = t.backward(c.weights, inputs, fwd.saved, { dY: c.cY, dY_h: c.cH, dY_c: c.cC });
            return { Y: fwd.Y, Y_h: fwd.Y_h, Y_c: fwd.Y_c, g };
          });
          t.dispose();
          expect(nans).toEqual(zeros);
          for (const x of [zeros.g.dW, zeros.g.dR, zeros.g.dB, zeros.g.dX]) expect(x.every(Number.isFinite)).toBe(true);
          for (let b = 0; b < N; b++)
            for (let s = lens[b]; s < T; s++) {
              const row = layout === 0 ? s * N + b : b * T + s;
              expect(zeros.g.dX.subarray(row * I, (row + 1) * I).every((x) => x === 0)).toBe(true);
            }
        }
  });

  test('one step, one batch entry, hidden size 1', () => {
    for (const v of VARIANTS) {
      const c = makeCase(v, 'reverse', 0, 23, { T: 1, N: 1, I: 1, H: 1 });
      const t = new RnnTrainer(c.attrs);
      const fwd = t.forward(c.weights, c.inputs);
      const g = t.backward(c.weights, c.inputs, fwd.saved, { dY: c.cY, dY_h: c.cH, dY_c: c.cC });
      expectNear('dR', g.dR, finiteDifferences(c, 'R'), 1e-4, 1e-3);
      expectNear('dX', g.dX, finiteDifferences(c, 'X'), 1e-4, 1e-3);
      t.dispose();
    }
  });
});

describe('RnnTrainer forward matches the inference engine', () => {
  test('Y, Y_h and Y_c equal NativeRnn.run on every variant, direction and layout, on every ISA', () => {
    forEachIsa(() => {
      let seed = 300;
      for (const v of VARIANTS)
        for (const direction of DIRECTIONS)
          for (const layout of [0, 1] as const) {
            const c = makeCase(v, direction, layout, seed++, { T: 9, N: 5, I: 7, H: 37 });
            const t = new RnnTrainer(c.attrs);
            const fwd = t.forward(c.weights, c.inputs);
            const op = new (binding().NativeRnn)(nativeSpec(t, c), c.weights, 2);
            const ref = op.run({ ...c.inputs, wantY: true, wantYh: true, wantYc: v.cell === 'LSTM' });
            expect(fwd.Y).toEqual(ref.Y);
            expect(fwd.Y_h).toEqual(ref.Y_h);
            expect(fwd.Y_c).toEqual(ref.Y_c);
            op.dispose();
            t.dispose();
          }
    });
  });
});

describe('results do not depend on the thread count', () => {
  // 16 rows: two threads split the batch (4 rows each at least); 3 threads split the hidden units.
  test('forward outputs and every gradient are bit for bit the same on 1, 2 and 3 threads', () => {
    let seed = 400;
    for (const v of VARIANTS)
      for (const direction of ['forward', 'bidirectional'] as const)
        for (const layout of [0, 1] as const) {
          const c = makeCase(v, direction, layout, seed++, { T: 9, N: 16, I: 7, H: 37 });
          const runs = [1, 2, 3].map((threads) => {
            const t = new RnnTrainer({ ...c.attrs, threads });
            const fwd = t.forward(c.weights, c.inputs);
            const g = t.backward(c.weights, c.inputs, fwd.saved, { dY: c.cY, dY_h: c.cH, dY_c: c.cC });
            const op = new (binding().NativeRnn)(nativeSpec(t, c), c.weights, threads);
            const inf = op.run({ ...c.inputs, wantY: true, wantYh: true, wantYc: v.cell === 'LSTM' });
            op.dispose();
            t.dispose();
            return { Y: fwd.Y, Y_h: fwd.Y_h, Y_c: fwd.Y_c, g, inf };
          });
          for (const r of runs.slice(1)) {
            expect(r.Y).toEqual(runs[0].Y);
            expect(r.Y_h).toEqual(runs[0].Y_h);
            expect(r.Y_c).toEqual(runs[0].Y_c);
            expect(r.g).toEqual(runs[0].g);
            expect(r.inf).toEqual(runs[0].inf);
          }
        }
  });
});

/** Every output and `saved`, value by value (`saved` may be a plain Float32Array and the others views of a Buffer). */
function expectSameForward(got: TrainForwardResult, want: TrainForwardResult): void {
  for (const k of ['Y', 'Y_h', 'Y_c', 'saved'] as const) {
    expect(got[k] === undefined ? undefined : Array.from(got[k]!)).toEqual(want[k] === undefined ? undefined : Array.from(want[k]!));
  }
}

describe('RnnTrainer async', () => {
  test('forwardAsync and backwardAsync give what the sync calls give', async () => {
    for (const v of VARIANTS) {
      const c = makeCase(v, 'bidirectional', 1, 500, { T: 20, N: 4, I: 9, H: 33 });
      const t = new RnnTrainer(c.attrs);
      const fwd = t.forward(c.weights, c.inputs);
      const fwdA = await t.forwardAsync(c.weights, c.inputs);
      expect(fwdA).toEqual(fwd);
      const grads = { dY: c.cY, dY_h: c.cH, dY_c: c.cC };
      const g = t.backward(c.weights, c.inputs, fwd.saved, grads);
      const pending = t.backwardAsync(c.weights, c.inputs, fwd.saved, grads);
      t.dispose(); // the worker holds the trainer until it is done
      expect(await pending).toEqual(g);
    }
  });

  test('savedInto: an earlier saved is written again, the same values as a fresh one, and bad ones are refused', async () => {
    for (const v of VARIANTS) {
      const c = makeCase(v, 'bidirectional', 1, 700, { T: 7, N: 3, I: 4, H: 6 });
      const t = new RnnTrainer(c.attrs);
      const fresh = t.forward(c.weights, c.inputs);
      const into = new Float32Array(fresh.saved.length).fill(Number.NaN);
      const again = t.forward(c.weights, c.inputs, { savedInto: into });
      expect(again.saved).toBe(into);
      expectSameForward(again, fresh);
      into.fill(Number.NaN);
      const pending = t.forwardAsync(c.weights, c.inputs, { savedInto: into });
      const againA = await pending;
      expect(againA.saved).toBe(into);
      expectSameForward(againA, fresh);
      expect(() => t.forward(c.weights, c.inputs, { savedInto: new Float32Array(3) })).toThrow(
        `savedInto must hold ${fresh.saved.length} floats, got 3`,
      );
      await expect(t.forwardAsync(c.weights, c.inputs, { savedInto: [1, 2] as unknown as Float32Array })).rejects.toThrow(TypeError);
      t.dispose();
    }
  });

  test('bad arguments reject the promise', async () => {
    const c = makeCase(VARIANTS[0], 'forward', 0, 9);
    const t = new RnnTrainer(c.attrs);
    await expect(t.forwardAsync({ ...c.weights, W: new Float32Array(1) }, c.inputs)).rejects.toThrow(
      'RnnTrainer.forwardAsync: expected W.length to be 45 ([D, G*H, I] = [1, 15, 3]), but received 1',
    );
    await expect(t.backwardAsync(c.weights, c.inputs, new Float32Array(3), {})).rejects.toThrow('saved must hold');
    t.dispose();
  });
});

describe('RnnTrainer errors', () => {
  const c = makeCase(VARIANTS[2], 'forward', 0, 11);
  test('attributes', () => {
    expect(() => new RnnTrainer({ ...c.attrs, cell: 'SimpleRNN' as 'GRU' })).toThrow(
      `new RnnTrainer: expected cell to be 'GRU', 'LSTM' or 'RNN', but received "SimpleRNN" of type string`,
    );
    expect(() => new RnnTrainer({ ...c.attrs, hiddenSize: 0 })).toThrow(
      'new RnnTrainer: expected hiddenSize to be a positive integer, but received 0 of type number',
    );
    expect(() => new RnnTrainer({ ...c.attrs, direction: 'both' as 'forward' })).toThrow(
      `new RnnTrainer: expected direction to be 'forward', 'reverse' or 'bidirectional', but received "both" of type string`,
    );
    expect(() => new RnnTrainer({ ...c.attrs, linearBeforeReset: 1 })).toThrow(
      'new RnnTrainer: expected linearBeforeReset to be absent or 0 for an LSTM, but received 1 of type number',
    );
    expect(() => new RnnTrainer({ ...c.attrs, cell: 'RNN', linearBeforeReset: true })).toThrow(
      'new RnnTrainer: expected linearBeforeReset to be absent or 0 for an RNN, but received true of type boolean',
    );
    const rnn = new RnnTrainer({ ...c.attrs, cell: 'RNN' });
    const w = { W: new Float32Array(15), R: new Float32Array(25) };
    expect(() => rnn.forward(w, { ...c.inputs, initialC: new Float32Array(15) })).toThrow(
      'RnnTrainer.forward: expected initialC to be absent for a plain RNN, but received Float32Array(15)',
    );
    rnn.dispose();
  });

  test('inputs and gradients', () => {
    const t = new RnnTrainer(c.attrs);
    expect(() => t.forward(c.weights, { ...c.inputs, X: new Float32Array(5) })).toThrow(
      'RnnTrainer.forward: expected X.length to be 36 ([T, B, I] = [4, 3, 3]), but received 5',
    );
    expect(() => t.forward(c.weights, { ...c.inputs, sequenceLens: new Int32Array([4, 5, 1]) })).toThrow(
      'RnnTrainer.forward: expected sequenceLens[1] to be in [0, 4] (seqLength), but received 5',
    );
    expect(() => t.forward(c.weights, { ...c.inputs, initialC: new Float32Array(2) })).toThrow(
      'RnnTrainer.forward: expected initialC.length to be 15 ([D, B, H] = [1, 3, 5]), but received 2',
    );
    expect(() => t.forward(c.weights, c.inputs, { outputs: ['Y', 'Z' as 'Y'] })).toThrow(
      `RnnTrainer.forward: expected options.outputs to be 'Y', 'Y_h' or 'Y_c' entries, but received "Z" of type string`,
    );
    const fwd = t.forward(c.weights, c.inputs);
    expect(() => t.backward(c.weights, c.inputs, fwd.saved, { dY: new Float32Array(3) })).toThrow(
      'RnnTrainer.backward: expected grads.dY.length to be 60 ([T, D, B, H] = [4, 1, 3, 5]), but received 3',
    );
    expect(() => t.backward(c.weights, c.inputs, fwd.saved.subarray(1), {})).toThrow(
      `saved must hold ${fwd.saved.length} floats, got ${fwd.saved.length - 1}`,
    );
    expect(() => t.backward(c.weights, c.inputs, [] as unknown as Float32Array, {})).toThrow(
      'RnnTrainer.backward: expected saved to be the Float32Array that forward returned, but received an array of length 0',
    );
    t.dispose();
    expect(() => t.forward(c.weights, c.inputs)).toThrow('RnnTrainer.forward: this trainer has been disposed');
  });

  test('the native constructor refuses what it cannot train', () => {
    const t = new RnnTrainer(c.attrs);
    const spec = nativeSpec(t, c);
    t.dispose();
    const Native = binding().NativeRnnTrainer;
    expect(() => new Native({ ...spec, clip: 3 }, 1)).toThrow('NativeRnnTrainer: the trainer does not support clip');
    expect(() => new Native({ ...spec, bf16Weights: true }, 1)).toThrow(
      'NativeRnnTrainer: the trainer does not support bf16 weights (fp32 only)',
    );
    expect(() => new Native({ ...spec, cell: 0, acts: [0, 0, 0] }, 1)).toThrow(
      'NativeRnnTrainer: the trainer does not support activations other than the defaults (Tanh for RNN; Sigmoid, Tanh[, Tanh])',
    );
    expect(() => new Native({ ...spec, acts: [7, 0.2, 0.5, 1, 0, 0, 1, 0, 0] }, 1)).toThrow(
      'NativeRnnTrainer: the trainer does not support activations other than the defaults (Tanh for RNN; Sigmoid, Tanh[, Tanh])',
    );
    expect(() => new Native({ ...spec, inputForget: true }, 1)).toThrow('NativeRnnTrainer: the trainer does not support inputForget');
    const n = new Native(spec, 1);
    expect(() => n.forward({ ...c.weights, P: new Float32Array(15) }, { ...c.inputs, wantY: true, wantYh: false, wantYc: false })).toThrow(
      'NativeRnnTrainer: peepholes (P) are not supported in training',
    );
    n.dispose();
  });
});
