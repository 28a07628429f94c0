// Gradients of the non-recurrent layers and of every loss against float64 central differences.
import { layers, losses, type Loss } from '../../lib';
import type { Activation } from '../../lib/layers';
import { Rng } from '../../lib/train/rng';
import { activateRef, denseRef, dot, expectGradClose, f32, f64, numericGradient } from '../helpers/fd';

function randn(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

const ctx = (training = true, seed = 7) => ({ training, rng: new Rng(seed) });

describe('Dense gradients', () => {
  for (const activation of ['linear', 'relu', 'tanh', 'sigmoid', 'softmax'] as const) {
    for (const inShape of [[5], [3, 5]]) {
      test(`${activation} on [N, ${inShape.join(', ')}]`, async () => {
        const rng = new Rng(11);
        const units = 4;
        const layer = layers.dense({ units, activation });
        layer.name = 'd';
        layer.build(inShape, rng);
        const n = 2;
        const fin = inShape[inShape.length - 1];
        const xLen = n * inShape.reduce((a, b) => a * b, 1);
        // Round to float32 first so the float64 reference sees exactly the layer's inputs.
        const x = f64(f32(randn(rng, xLen)));
        const kernel = f64(layer.params[0].value);
        layer.params[1].value.set(f32(randn(rng, units, 0.5)));
        const bias = f64(layer.params[1].value);
        const c = f64(f32(randn(rng, (xLen / fin) * units)));
        const out = await layer.forward({ data: f32(x), dims: [n, ...inShape] }, ctx());
        expect(out.dims).toEqual([n, ...inShape.slice(0, -1), units]);
        const dx = await layer.backward(f32(c));
        const [gx, gk, gb] = numericGradient(([xx, kk, bb]) => dot(c, denseRef(xx, kk, bb, fin, units, activation)), [x, kernel, bias]);
        expectGradClose('dx', dx, gx);
        expectGradClose('dKernel', layer.params[0].grad, gk);
        expectGradClose('dBias', layer.params[1].grad, gb);
      });
    }
  }

  test('without bias', async () => {
    const rng = new Rng(3);
    const layer = layers.dense({ units: 3, useBias: false });
    layer.build([4], rng);
    expect(layer.params.map((p) => p.name)).toEqual(['kernel']);
    const x = f64(f32(randn(rng, 8)));
    const c = f64(f32(randn(rng, 6)));
    await layer.forward({ data: f32(x), dims: [2, 4] }, ctx());
    const dx = await layer.backward(f32(c));
    const [gx, gk] = numericGradient(([xx, kk]) => dot(c, denseRef(xx, kk, null, 4, 3, 'linear')), [x, f64(layer.params[0].value)]);
    expectGradClose('dx', dx, gx);
    expectGradClose('dKernel', layer.params[0].grad, gk);
  });
});

describe('Embedding', () => {
  test('gradient rows are the sums of dY over each id, and only used rows are marked', async () => {
    const rng = new Rng(5);
    const layer = layers.embedding({ inputDim: 6, outputDim: 3 });
    layer.build([4], rng);
    const ids = Int32Array.from([1, 4, 1, 0, 5, 5, 2, 1]);
    const table = f64(layer.params[0].value);
    const c = f64(f32(randn(rng, ids.length * 3)));
    const out = await layer.forward({ data: ids, dims: [2, 4] }, ctx());
    expect(out.dims).toEqual([2, 4, 3]);
    expect(Array.from(out.data.subarray(3, 6))).toEqual(Array.from(layer.params[0].value.subarray(12, 15)));
    expect(await layer.backward(f32(c))).toBeNull();
    const [gt] = numericGradient(
      ([tab]) => {
        let s = 0;
        for (let i = 0; i < ids.length; i++) for (let j = 0; j < 3; j++) s += c[i * 3 + j] * tab[ids[i] * 3 + j];
        return s;
      },
      [table],
    );
    expectGradClose('dEmbeddings', layer.params[0].grad, gt);
    expect(Array.from(layer.params[0].rows!).sort()).toEqual([0, 1, 2, 4, 5]);
    // The next batch clears the rows it no longer uses.
    await layer.forward({ data: Int32Array.from([3, 3, 3, 3]), dims: [1, 4] }, ctx());
    await layer.backward(new Float32Array(12).fill(1));
    expect(Array.from(layer.params[0].rows!)).toEqual([3]);
    expect(layer.params[0].grad.reduce((a, b) => a + Math.abs(b), 0)).toBeCloseTo(12, 5);
  });

  test('maskZero gives each row its length (the steps before its padding)', async () => {
    const layer = layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    layer.build([4], new Rng(1));
    const out = await layer.forward({ data: Int32Array.from([3, 2, 0, 0, 0, 0, 0, 0, 1, 3, 4, 0]), dims: [3, 4] }, ctx());
    expect(Array.from(out.lengths!)).toEqual([2, 0, 3]);
  });

  test('maskZero refuses padding before a token (a hole a recurrent layer cannot skip)', async () => {
    const layer = layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    layer.name = 'tokens';
    layer.build([3], new Rng(1));
    await expect(layer.forward({ data: Int32Array.from([1, 2, 3, 0, 0, 4]), dims: [2, 3] }, ctx())).rejects.toThrow(
      "layer 'tokens': expected row 1 of the token ids to be padding (id 0) only after the last token with maskZero (pad with padding 'post'), but received id 0 at step 0 before id 4 at step 2",
    );
  });

  test('an id out of range names the layer, the position and the range', async () => {
    const layer = layers.embedding({ inputDim: 5, outputDim: 2 });
    layer.name = 'tokens';
    layer.build([2], new Rng(1));
    await expect(layer.forward({ data: Int32Array.from([1, 5]), dims: [1, 2] }, ctx())).rejects.toThrow(
      "layer 'tokens': expected token id at flat index 1 to be an integer in [0, 4] (inputDim 5), but received 5",
    );
  });
});

describe('Dropout', () => {
  test('inverse dropout with a fixed mask: forward and gradient', async () => {
    const layer = layers.dropout({ rate: 0.4 });
    layer.build([10], new Rng(1));
    const rng = new Rng(2);
    const x = f64(f32(randn(rng, 30)));
    const c = f64(f32(randn(rng, 30)));
    const y = await layer.forward({ data: f32(x), dims: [3, 10] }, ctx(true, 99));
    const dx = await layer.backward(f32(c));
    // The same seed draws the same mask: recover it from the output and differentiate through it.
    const mask = new Float64Array(30);
    const keepRng = new Rng(99);
    for (let i = 0; i < 30; i++) mask[i] = keepRng.next() < 0.4 ? 0 : 1 / 0.6;
    let dropped = 0;
    for (let i = 0; i < 30; i++) {
      expect(y.data[i]).toBeCloseTo(x[i] * mask[i], 5);
      if (mask[i] === 0) dropped++;
    }
    expect(dropped).toBeGreaterThan(3);
    expect(dropped).toBeLessThan(27);
    const [gx] = numericGradient(
      ([xx]) =>
        dot(
          c,
          xx.map((v, i) => v * mask[i]),
        ),
      [x],
    );
    expectGradClose('dx', dx, gx);
  });

  test('identity outside training', async () => {
    const layer = layers.dropout({ rate: 0.5 });
    layer.build([4], new Rng(1));
    const x: Activation = { data: Float32Array.from([1, 2, 3, 4]), dims: [1, 4] };
    expect((await layer.forward(x, ctx(false))).data).toBe(x.data);
  });
});

describe('loss gradients (float64 differences of the loss itself)', () => {
  const rng = new Rng(21);
  const rows = 6;
  const k = 4;
  const probs = (): Float64Array => activateRef('softmax', randn(rng, rows * k), k);
  const onehotish = (): Float64Array => activateRef('softmax', randn(rng, rows * k, 2), k);
  const labels = Int32Array.from([0, 3, 1, 2, 2, 0]);
  const weights = Float32Array.from([1, 1, 0, 1, 1, 0]);
  const cases: [string, Loss, () => Float64Array, Float32Array | Int32Array | Float64Array][] = [
    ['sparse CE from probabilities', losses.sparseCategoricalCrossentropy(), probs, labels],
    ['sparse CE from logits', losses.sparseCategoricalCrossentropy({ fromLogits: true }), () => randn(rng, rows * k), labels],
    ['CE from probabilities', losses.categoricalCrossentropy(), probs, onehotish()],
    [
      'CE from unnormalized probabilities',
      losses.categoricalCrossentropy(),
      () => randn(rng, rows * k).map((v) => 0.1 + Math.abs(v)),
      onehotish(),
    ],
    ['CE from logits', losses.categoricalCrossentropy({ fromLogits: true }), () => randn(rng, rows * k), onehotish()],
    [
      'BCE from probabilities',
      losses.binaryCrossentropy(),
      () => randn(rng, rows * k).map((v) => 1 / (1 + Math.exp(-v))),
      randn(rng, rows * k).map((v) => (v > 0 ? 1 : 0)),
    ],
    [
      'BCE from logits',
      losses.binaryCrossentropy({ fromLogits: true }),
      () => randn(rng, rows * k),
      randn(rng, rows * k).map((v) => 1 / (1 + Math.exp(-v))),
    ],
    ['MSE', losses.meanSquaredError(), () => randn(rng, rows * k), randn(rng, rows * k)],
    ['MAE', losses.meanAbsoluteError(), () => randn(rng, rows * k), randn(rng, rows * k)],
    ['Huber', losses.huber({ delta: 0.7 }), () => randn(rng, rows * k), randn(rng, rows * k)],
  ];
  for (const [label, loss, pred, target] of cases) {
    for (const masked of [false, true]) {
      test(`${label}${masked ? ', masked rows' : ''}`, () => {
        const p = pred();
        const w = masked ? weights : null;
        // The loss reads numbers only: a Float64Array in place of the Float32Array keeps the
        // whole evaluation in float64 for the differences.
        const value = (pp: Float64Array): number =>
          loss.compute({ pred: pp as unknown as Float32Array, width: k, target: target as unknown as Float32Array, weights: w }).loss;
        const { grad } = loss.compute({
          pred: p as unknown as Float32Array,
          width: k,
          target: target as unknown as Float32Array,
          weights: w,
        });
        const [g] = numericGradient(([pp]) => value(pp), [p], 1e-6);
        expectGradClose(label, grad, g, 1e-4);
      });
    }
  }

  test('fused softmax / sigmoid: the gradient w.r.t. the logits is p - t, the value is the CE of the activation', () => {
    const z = randn(rng, rows * k);
    const p = activateRef('softmax', z, k);
    for (const [loss, t] of [
      [losses.sparseCategoricalCrossentropy(), labels],
      [losses.categoricalCrossentropy(), onehotish()],
    ] as const) {
      const fused = loss.compute({
        pred: p as unknown as Float32Array,
        logits: z as unknown as Float32Array,
        width: k,
        target: t as unknown as Float32Array,
        weights: null,
      });
      const value = (zz: Float64Array): number =>
        loss.compute({
          pred: activateRef('softmax', zz, k) as unknown as Float32Array,
          width: k,
          target: t as unknown as Float32Array,
          weights: null,
        }).loss;
      expect(fused.loss).toBeCloseTo(value(z), 10);
      const [g] = numericGradient(([zz]) => value(zz), [z], 1e-6);
      expectGradClose(`fused ${loss.name}`, fused.grad, g, 1e-4);
    }
    const t = randn(rng, rows * k).map((v) => (v > 0 ? 1 : 0));
    const bce = losses.binaryCrossentropy();
    const sig = (zz: Float64Array): Float64Array => activateRef('sigmoid', zz, k);
    const fused = bce.compute({
      pred: sig(z) as unknown as Float32Array,
      logits: z as unknown as Float32Array,
      width: k,
      target: t as unknown as Float32Array,
      weights: null,
    });
    const value = (zz: Float64Array): number =>
      bce.compute({ pred: sig(zz) as unknown as Float32Array, width: k, target: t as unknown as Float32Array, weights: null }).loss;
    expect(fused.loss).toBeCloseTo(value(z), 8);
    const [g] = numericGradient(([zz]) => value(zz), [z], 1e-6);
    expectGradClose('fused sigmoid BCE', fused.grad, g, 1e-4);
  });

  test('values match hand computations', () => {
    const l = (loss: Loss, pred: number[], target: number[], width: number): number =>
      loss.compute({ pred: f32(pred), width, target: f32(target), weights: null }).loss;
    expect(l(losses.meanSquaredError(), [1, 2, 3, 4], [0, 2, 3, 6], 2)).toBeCloseTo((1 + 0 + 0 + 4) / 4, 6);
    expect(l(losses.meanAbsoluteError(), [1, 2, 3, 4], [0, 2, 3, 6], 2)).toBeCloseTo(3 / 4, 6);
    expect(l(losses.huber(), [0, 3], [0.5, 0], 1)).toBeCloseTo((0.125 + 2.5) / 2, 6);
    expect(l(losses.binaryCrossentropy(), [0.8, 0.3], [1, 0], 1)).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 6);
    expect(
      losses.sparseCategoricalCrossentropy().compute({ pred: f32([0.2, 0.5, 0.3]), width: 3, target: Int32Array.from([1]), weights: null })
        .loss,
    ).toBeCloseTo(-Math.log(0.5), 6);
    // Probabilities of 0 are clipped to 1e-7, as Keras does: a finite loss.
    expect(
      losses.sparseCategoricalCrossentropy().compute({ pred: f32([1, 0]), width: 2, target: Int32Array.from([1]), weights: null }).loss,
    ).toBeCloseTo(-Math.log(1e-7), 4);
    // Large logits stay finite.
    expect(
      losses
        .sparseCategoricalCrossentropy({ fromLogits: true })
        .compute({ pred: f32([1000, -1000]), width: 2, target: Int32Array.from([1]), weights: null }).loss,
    ).toBeCloseTo(2000, 3);
  });
});
