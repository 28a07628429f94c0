// layers.simpleRnn, the plain tanh RNN over the native trainer: gradients against float64 central
// differences (alone, masked, without bias, reading backwards, bidirectional, stacked), Keras's
// arguments and their errors, save/load, a model that learns, and the ONNX RNN node it exports
// (model-onnx.test.ts checks that node's outputs in onnxruntime-node).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { layers, loadModel, optimizers, RnnOp, sequential, Tensor } from '../../lib';
import type { Layer } from '../../lib/layers';
import { layerFromConfig, Recurrent, serializeLayer, SimpleRnn } from '../../lib/layers';
import { decodeModel } from '../../lib/onnx/schema';
import { Rng } from '../../lib/train/rng';
import { dot, expectGradClose, f32, f64, numericGradient, rnnRef } from '../helpers/fd';

const ctx = { training: true, rng: new Rng(1) };
const N = 3;
const T = 5;
const I = 3;
const H = 4;

function randomize(layer: Layer, rng: Rng, scale: number): void {
  for (const p of layer.params) for (let i = 0; i < p.value.length; i++) p.value[i] = rng.normal() * scale;
}

function innerOf(layer: Layer): Recurrent {
  return (layer instanceof Recurrent ? layer : (layer as unknown as { layer: Recurrent }).layer) as Recurrent;
}

/** The layer's output from float64 parameters ([W, R] or [W, R, B]) and X, as the reference computes it. */
function refOutput(l: Recurrent, params: Float64Array[], X: Float64Array, n: number, t: number, lengths: Int32Array | null): Float64Array {
  const B = params[2] ?? new Float64Array(l.directions * 2 * l.units);
  const spec = {
    cell: 'RNN' as const,
    hidden: l.units,
    input: l.inputShape![1],
    directions: l.directions,
    linearBeforeReset: false,
    reverse: l.goBackwards,
  };
  const { Y, Yh } = rnnRef(spec, params[0], params[1], B, X, n, t, lengths);
  return l.returnSequences ? Y : Yh;
}

describe('simpleRnn gradients vs float64 differences', () => {
  const cases: { label: string; make: () => Layer; lengths: number[] | null }[] = [
    { label: 'last state', make: () => layers.simpleRnn({ units: H }), lengths: null },
    { label: 'sequences', make: () => layers.simpleRnn({ units: H, returnSequences: true }), lengths: null },
    { label: 'masked sequences', make: () => layers.simpleRnn({ units: H, returnSequences: true }), lengths: [5, 2, 0] },
    { label: 'masked last state, no bias', make: () => layers.simpleRnn({ units: H, useBias: false }), lengths: [1, 5, 3] },
    {
      label: 'goBackwards, masked sequences',
      make: () => layers.simpleRnn({ units: H, returnSequences: true, goBackwards: true }),
      lengths: [4, 5, 2],
    },
    { label: 'goBackwards, last state', make: () => layers.simpleRnn({ units: H, goBackwards: true }), lengths: null },
    {
      label: 'bidirectional, masked sequences',
      make: () => layers.bidirectional({ layer: layers.simpleRnn({ units: H, returnSequences: true }) }),
      lengths: [3, 5, 1],
    },
    {
      label: 'bidirectional, last state, no bias',
      make: () => layers.bidirectional({ layer: layers.simpleRnn({ units: H, useBias: false }) }),
      lengths: null,
    },
  ];
  for (const c of cases) {
    test(c.label, async () => {
      const rng = new Rng(29);
      const layer = c.make();
      layer.build([T, I], rng);
      randomize(layer, rng, 0.6);
      const rnn = innerOf(layer);
      const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
      const X = f64(f32(Array.from({ length: N * T * I }, () => rng.normal())));
      const out = await layer.forward({ data: f32(X), dims: [N, T, I], lengths: lengths ?? undefined }, ctx);
      const params = layer.params.map((p) => f64(p.value));
      const ref = refOutput(rnn, params, X, N, T, lengths);
      expect(out.data.length).toBe(ref.length);
      expectGradClose('forward', out.data, ref, 1e-5);
      const cw = f64(f32(Array.from({ length: ref.length }, () => rng.normal())));
      const dx = await layer.backward(f32(cw));
      const grads = numericGradient(
        (xs) => dot(cw, refOutput(rnn, xs.slice(0, -1), xs[xs.length - 1], N, T, lengths)),
        [...params, X],
        1e-5,
      );
      layer.params.forEach((p, k) => expectGradClose(`d${p.name}`, p.grad, grads[k]));
      expectGradClose('dX', dx!, grads[grads.length - 1]);
    });
  }

  test('stacked simpleRnn (sequences) -> GRU', async () => {
    const rng = new Rng(31);
    const a = layers.simpleRnn({ units: H, returnSequences: true });
    const b = layers.gru({ units: 3 });
    a.build([T, I], rng);
    b.build([T, H], rng);
    randomize(a, rng, 0.5);
    randomize(b, rng, 0.5);
    const X = f64(f32(Array.from({ length: N * T * I }, () => rng.normal())));
    const lengths = Int32Array.from([5, 3, 2]);
    const out = await b.forward(await a.forward({ data: f32(X), dims: [N, T, I], lengths }, ctx), ctx);
    const cw = f64(f32(Array.from({ length: out.data.length }, () => rng.normal())));
    const dx = await a.backward((await b.backward(f32(cw)))!);
    const f = ([wa, ra, ba, wb, rb, bb, xx]: Float64Array[]): number => {
      const y1 = refOutput(a, [wa, ra, ba], xx, N, T, lengths);
      const { Yh } = rnnRef({ cell: 'GRU', hidden: 3, input: H, directions: 1, linearBeforeReset: true }, wb, rb, bb, y1, N, T, lengths);
      return dot(cw, Yh);
    };
    const g = numericGradient(f, [...a.params, ...b.params].map((p) => f64(p.value)).concat([X]), 1e-5);
    [...a.params, ...b.params].forEach((p, i) => expectGradClose(`param ${i}`, p.grad, g[i]));
    expectGradClose('dX', dx!, g[6]);
  });

  test('the float64 reference is what RnnOp computes (forward and reverse, with lengths)', () => {
    const rng = new Rng(37);
    const r = (n: number): Float32Array => f32(Array.from({ length: n }, () => rng.normal() * 0.5));
    for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
      const D = direction === 'bidirectional' ? 2 : 1;
      const W = r(D * H * I),
        R = r(D * H * H),
        B = r(D * 2 * H),
        X = r(N * T * I);
      const lengths = Int32Array.from([5, 1, 3]);
      const op = new RnnOp(
        { W: new Tensor('float32', W, [D, H, I]), R: new Tensor('float32', R, [D, H, H]), B: new Tensor('float32', B, [D, 2 * H]) },
        { hiddenSize: H, layout: 1, direction },
      );
      const out = op.run({ X: new Tensor('float32', X, [N, T, I]), sequenceLens: new Tensor('int32', lengths, [N]) });
      op.dispose();
      const ref = rnnRef(
        { cell: 'RNN', hidden: H, input: I, directions: D as 1 | 2, linearBeforeReset: false, reverse: direction === 'reverse' },
        f64(W),
        f64(R),
        f64(B),
        f64(X),
        N,
        T,
        lengths,
      );
      expectGradClose(`${direction} Y`, out.Y!.data as Float32Array, ref.Y, 1e-5);
      expectGradClose(`${direction} Y_h`, out.Y_h!.data as Float32Array, ref.Yh, 1e-5);
    }
  });
});

describe("simpleRnn: Keras's arguments", () => {
  test('parameters in ONNX layout with Keras initializers; useBias false drops B', () => {
    const l = layers.simpleRnn({ units: 5 });
    expect(l.build([7, 3], new Rng(2))).toEqual([5]);
    expect(l.params.map((p) => [p.name, p.shape])).toEqual([
      ['W', [1, 5, 3]],
      ['R', [1, 5, 5]],
      ['B', [1, 10]],
    ]);
    const R = l.params[1].value;
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 5; b++) {
        let s = 0;
        for (let k = 0; k < 5; k++) s += R[k * 5 + a] * R[k * 5 + b];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 5);
      }
    expect(l.params[2].value.every((v) => v === 0)).toBe(true);
    expect(l.countParams()).toBe(15 + 25 + 10);
    const nb = layers.simpleRnn({ units: 2, useBias: false, returnSequences: true });
    expect(nb.build([4, 3], new Rng(1))).toEqual([4, 2]);
    expect(nb.params.map((p) => p.name)).toEqual(['W', 'R']);
    const bi = layers.bidirectional({ layer: layers.simpleRnn({ units: 2, returnSequences: true }) });
    expect(bi.build([4, 3], new Rng(1))).toEqual([4, 4]);
    expect(bi.params.map((p) => p.shape)).toEqual([
      [2, 2, 3],
      [2, 2, 2],
      [2, 4],
    ]);
  });

  test('getConfig / fromConfig round trip', () => {
    const l = layers.simpleRnn({
      units: 3,
      returnSequences: true,
      useBias: false,
      goBackwards: true,
      kernelInitializer: 'randomNormal',
      name: 'plain',
    });
    const s = serializeLayer(l);
    expect(s).toEqual({
      className: 'SimpleRNN',
      config: {
        name: 'plain',
        units: 3,
        returnSequences: true,
        kernelInitializer: 'randomNormal',
        recurrentInitializer: 'orthogonal',
        biasInitializer: 'zeros',
        activation: 'tanh',
        useBias: false,
        goBackwards: true,
        stateful: false,
      },
    });
    const again = layerFromConfig(s);
    expect(again).toBeInstanceOf(SimpleRnn);
    expect(serializeLayer(again)).toEqual(s);
  });

  test('errors name the argument, what was expected and what came', () => {
    expect(() => layers.simpleRnn({ units: 0 })).toThrow('layers.simpleRnn: expected units to be a positive integer, but received 0');
    expect(() => layers.simpleRnn({ units: 2, activation: 'relu' as 'tanh' })).toThrow(
      "layers.simpleRnn: expected activation to be 'tanh' (the only activation the native trainer and ONNX export support), but received 'relu'",
    );
    expect(() => layers.simpleRnn({ units: 2, returnState: true as false })).toThrow(
      'layers.simpleRnn: expected returnState to be false (a sequential model passes one output on; returnSequences gives every step), but received true',
    );
    expect(() => layers.simpleRnn({ units: 2, useBias: 1 as unknown as boolean })).toThrow(
      'layers.simpleRnn: expected useBias to be a boolean, but received 1 of type number',
    );
    expect(() => layers.simpleRnn({ units: 2, goBackwards: 'yes' as unknown as boolean })).toThrow(
      'layers.simpleRnn: expected goBackwards to be a boolean',
    );
    expect(() => layers.bidirectional({ layer: layers.simpleRnn({ units: 2, goBackwards: true }) })).toThrow(
      "layers.bidirectional: expected layer to be a layer without goBackwards (the wrapper runs both directions), but received layer 'SimpleRNN' with goBackwards: true",
    );
    const g = layers.simpleRnn({ units: 2, name: 'enc' });
    expect(() => g.build([5], new Rng(1))).toThrow(
      "layer 'enc': expected input shape to be [steps, features] (inputs [N, T, F]), but received [5]",
    );
  });
});

describe('simpleRnn models', () => {
  test('learns the sign of a sequence sum to >= 95% accuracy', async () => {
    const rng = new Rng(8);
    const n = 256,
      t = 6;
    const x = new Float32Array(n * t);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < t; k++) s += x[i * t + k] = rng.next() * 2 - 1;
      y[i] = s > 0 ? 1 : 0;
    }
    const m = sequential([layers.simpleRnn({ units: 8 }), layers.dense({ units: 2, activation: 'softmax' })], { seed: 3 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const X = new Tensor('float32', x, [n, t, 1]);
    const Y = new Tensor('int32', y, [n]);
    await m.fit(X, Y, { epochs: 30, batchSize: 32, verbose: 0, seed: 4 });
    expect((await m.evaluate(X, Y)).accuracy).toBeGreaterThanOrEqual(0.95);
    m.dispose();
  });

  test('save -> load -> predict identical (masked, bidirectional, no bias, backwards)', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-simple-rnn-'));
    try {
      const rng = new Rng(12);
      const x = Array.from({ length: 24 }, () => {
        const len = 1 + Math.floor(rng.next() * 5);
        return Array.from({ length: 5 }, (_, s) => (s < len ? 1 + Math.floor(rng.next() * 5) : 0));
      });
      const y = x.map((r) => (r[0] > 2 ? 1 : 0));
      const m = sequential(
        [
          layers.embedding({ inputDim: 6, outputDim: 4, maskZero: true }),
          layers.bidirectional({ layer: layers.simpleRnn({ units: 5, returnSequences: true }) }),
          layers.simpleRnn({ units: 3, useBias: false, goBackwards: true }),
          layers.dense({ units: 2, activation: 'softmax' }),
        ],
        { seed: 1 },
      );
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, seed: 1 });
      const file = path.join(tmp, 'simple.gatedrnn');
      await m.save(file);
      const again = await loadModel(file);
      expect(again.summary({ print: false })).toContain('(SimpleRNN)');
      expect(Array.from((await again.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
      m.dispose();
      again.dispose();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('simpleRnn in model.toOnnx()', () => {
  // model-onnx.test.ts runs these models in onnxruntime-node and loadOnnx; here, what the node says.
  test('one RNN node per layer, with its direction, and no B input without bias', () => {
    const model = sequential([
      layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true }),
      layers.bidirectional({ layer: layers.simpleRnn({ units: 4, returnSequences: true }) }),
      layers.simpleRnn({ units: 3, useBias: false, goBackwards: true }),
      layers.dense({ units: 2 }),
    ]);
    model.build([7]);
    const g = decodeModel(model.toOnnx()).graph!;
    const nodes = g.node.filter((node) => node.op_type === 'RNN');
    const direction = (k: number): string => new TextDecoder().decode(nodes[k].attribute!.find((a) => a.name === 'direction')!.s);
    expect(nodes.map((node) => node.name)).toEqual(['bidirectional', 'simplernn']);
    expect([direction(0), direction(1)]).toEqual(['bidirectional', 'reverse']);
    expect(nodes[0].input).toEqual(['embedding/output', 'bidirectional/W', 'bidirectional/R', 'bidirectional/B', 'sequence_lens']);
    expect(nodes[1].input!.slice(1)).toEqual(['simplernn/W', 'simplernn/R', '', 'sequence_lens']);
    expect(g.node.map((node) => node.op_type)).not.toContain('GRU');
    model.dispose();
  });
});
