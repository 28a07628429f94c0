/** @jest-environment ./test/helpers/node-realm-environment.ts */

// Models of any length: a model trained at one T predicts at others, before and after
// save/loadModel, equal to its ONNX export in onnxruntime-node; padded batches give each row's
// own answer; `inputShape: [null, F]` and build([null]) leave time free while a number fixes it;
// a failed build or first fit leaves the model unbuilt, and a correct call then trains.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { layers, loadModel, sequential, type Sequential, Tensor } from '../../lib';
import { mulberry32, runOrt } from '../helpers/onnx';

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThanOrEqual(tol);
}

function tokens(seed: number, n: number, t: number, vocab: number, lengths?: number[]): Tensor<'int32'> {
  const rng = mulberry32(seed);
  const ids = new Int32Array(n * t);
  for (let b = 0; b < n; b++) {
    const len = lengths ? lengths[b] : t;
    for (let s = 0; s < len; s++) ids[b * t + s] = 1 + Math.floor(rng() * (vocab - 1));
  }
  return new Tensor('int32', ids, [n, t]);
}

function features(seed: number, dims: number[]): Tensor<'float32'> {
  const rng = mulberry32(seed);
  const n = dims.reduce((a, b) => a * b, 1);
  return new Tensor(
    'float32',
    Float32Array.from({ length: n }, () => rng() * 2 - 1),
    dims,
  );
}

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-length-')), name);
}

async function expectLikeOrt(model: Sequential, x: Tensor<'int32'> | Tensor<'float32'>, got: Tensor<'float32'>): Promise<void> {
  const bytes = model.toOnnx();
  const inputName = x.type === 'int32' ? 'tokens' : 'features';
  const out = await runOrt(bytes, { [inputName]: x });
  const ort = Object.values(out)[0];
  expect(ort.dims).toEqual(got.dims);
  expectClose(got.data, ort.data as Float32Array, 1e-4);
}

describe('a model trained at T = 20', () => {
  test('text classifier: predicts at T = 8 and T = 50 before and after save/loadModel, as its ONNX export does', async () => {
    const model = sequential(
      [layers.embedding({ inputDim: 30, outputDim: 8 }), layers.gru({ units: 6 }), layers.dense({ units: 3, activation: 'softmax' })],
      { seed: 5 },
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = tokens(1, 16, 20, 30);
    const y = new Tensor(
      'int32',
      Int32Array.from({ length: 16 }, (_, i) => i % 3),
      [16],
    );
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(model.layers[0].inputShape).toEqual([-1]);
    const file = tmpFile('classifier.gatedrnn');
    await model.save(file);
    const again = await loadModel(file);
    for (const t of [8, 50]) {
      const xt = tokens(10 + t, 3, t, 30);
      const p = await model.predict(xt);
      expect(p.dims).toEqual([3, 3]);
      await expectLikeOrt(model, xt, p);
      const q = await again.predict(xt);
      expectClose(q.data, p.data, 0);
      await expectLikeOrt(again, xt, q);
    }
    // evaluate and a further fit take other lengths too.
    const logs = await again.evaluate(tokens(3, 4, 9, 30), new Tensor('int32', Int32Array.of(0, 1, 2, 0), [4]));
    expect(Number.isFinite(logs.loss)).toBe(true);
    await again.fit(tokens(4, 8, 13, 30), new Tensor('int32', new Int32Array(8), [8]), { epochs: 1, verbose: 0 });
  });

  test('sequence labeller on features: per-step outputs follow the input length, labels of any length', async () => {
    const model = sequential([layers.lstm({ units: 5, returnSequences: true }), layers.dense({ units: 2, activation: 'softmax' })], {
      seed: 6,
    });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = features(2, [6, 20, 3]);
    const y = new Tensor(
      'int32',
      Int32Array.from({ length: 6 * 20 }, (_, i) => i % 2),
      [6, 20],
    );
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    for (const t of [8, 50]) {
      const xt = features(t, [2, t, 3]);
      const p = await model.predict(xt);
      expect(p.dims).toEqual([2, t, 2]);
      await expectLikeOrt(model, xt, p);
    }
    const file = tmpFile('labeller.gatedrnn');
    await model.save(file);
    const again = await loadModel(file);
    const x8 = features(8, [2, 8, 3]);
    expectClose((await again.predict(x8)).data, (await model.predict(x8)).data, 0);
    // Labels must match x's length.
    await expect(model.evaluate(features(1, [2, 8, 3]), new Tensor('int32', new Int32Array(2 * 9), [2, 9]))).rejects.toThrow(
      'Sequential.evaluate: expected y.dims to be [2, 8]',
    );
  });

  test('padded batches: with maskZero each row gets the answer it gets alone', async () => {
    const model = sequential(
      [
        layers.embedding({ inputDim: 25, outputDim: 6, maskZero: true }),
        layers.lstm({ units: 4 }),
        layers.dense({ units: 2, activation: 'softmax' }),
      ],
      { seed: 7 },
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const lengths = [20, 7, 13, 1];
    const x = tokens(3, 4, 20, 25, lengths);
    await model.fit(x, new Tensor('int32', Int32Array.of(0, 1, 0, 1), [4]), { epochs: 1, verbose: 0 });
    const padded = tokens(3, 4, 31, 25, lengths);
    const together = await model.predict(padded);
    await expectLikeOrt(model, padded, together);
    for (let b = 0; b < 4; b++) {
      const alone = new Tensor('int32', padded.data.slice(b * 31, b * 31 + lengths[b]), [1, lengths[b]]);
      expectClose((await model.predict(alone)).data, together.data.subarray(b * 2, b * 2 + 2), 1e-6);
    }
  });
});

describe('declaring the length', () => {
  test('inputShape [null, F] on the first layer builds the model with time free', async () => {
    const model = sequential([layers.gru({ units: 3, inputShape: [null, 4] }), layers.dense({ units: 1 })], { seed: 1 });
    expect(model.built).toBe(true);
    expect(model.summary({ print: false })).toContain('(None, 3)');
    for (const t of [1, 9]) expect((await model.predict(features(t, [2, t, 4]))).dims).toEqual([2, 1]);
    await expect(model.predict(features(1, [2, 3, 5]))).rejects.toThrow(
      "layer 'gru': expected input dims to be [batch, steps, 4], but received [2, 3, 5]",
    );
  });

  test('build([null]) leaves time free; build([12]) fixes it', async () => {
    const free = sequential([layers.embedding({ inputDim: 5, outputDim: 2 }), layers.gru({ units: 2, returnSequences: true })], {
      seed: 1,
    });
    free.build([null]);
    expect((await free.predict(tokens(1, 1, 6, 5))).dims).toEqual([1, 6, 2]);
    expect(free.summary({ print: false })).toContain('(None, None, 2)');
    const fixed = sequential([layers.embedding({ inputDim: 5, outputDim: 2 }), layers.gru({ units: 2 })], { seed: 1 });
    fixed.build([12]);
    await expect(fixed.predict(tokens(1, 1, 6, 5))).rejects.toThrow(
      "layer 'embedding': expected input dims to be [batch, 12], but received [1, 6]",
    );
  });

  test('null anywhere but the time axis is refused with the shape it got', () => {
    const model = sequential([layers.dense({ units: 2 })]);
    expect(() => model.build([3, null])).toThrow(
      'Sequential.build: expected inputShape to be an array of positive integers, with null for a free time axis first',
    );
    expect(() => model.build([null])).toThrow(
      "layer 'dense': expected input shape to be [features] or [steps, features], but received [null]",
    );
    expect(model.built).toBe(false);
    expect(() => layers.gru({ units: 2, inputShape: [4, 0] })).toThrow('layers.gru: expected inputShape to be');
  });
});

describe('a failed build or first fit leaves the model as it was', () => {
  test('a wrong-rank x in the first fit, then a correct fit trains and predicts', async () => {
    const model = sequential([layers.gru({ units: 4 }), layers.dense({ units: 2, activation: 'softmax' })], { seed: 3 });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const y = new Tensor('int32', Int32Array.of(0, 1, 0, 1), [4]);
    await expect(model.fit(features(1, [4, 5]), y, { verbose: 0 })).rejects.toThrow(
      "layer 'gru': expected input shape to be [steps, features]",
    );
    expect(model.built).toBe(false);
    expect(model.params).toEqual([]);
    const h = await model.fit(features(1, [4, 5, 3]), y, { epochs: 2, verbose: 0 });
    expect(h.history.loss.every(Number.isFinite)).toBe(true);
    expect((await model.predict(features(2, [1, 8, 3]))).dims).toEqual([1, 2]);
  });

  test('labels that do not match leave it unbuilt; so does a refused build, half way through the layers', async () => {
    const model = sequential(
      [layers.embedding({ inputDim: 9, outputDim: 3 }), layers.lstm({ units: 2 }), layers.dense({ units: 2, activation: 'softmax' })],
      { seed: 4 },
    );
    model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy' });
    await expect(model.fit(tokens(1, 4, 6, 9), new Tensor('int32', Int32Array.of(0, 1, 5, 1), [4]), { verbose: 0 })).rejects.toThrow(
      'class ids in [0, 1]',
    );
    expect(model.built).toBe(false);
    await expect(model.predict(features(1, [2, 3, 4]))).rejects.toThrow('int32');
    expect(model.built).toBe(false);
    // The embedding builds, the LSTM refuses [steps] only after it: both are back to unbuilt.
    const broken = sequential([layers.dense({ units: 3 }), layers.lstm({ units: 2 })], { seed: 1 });
    expect(() => broken.build([4])).toThrow("layer 'lstm': expected input shape to be [steps, features]");
    expect(broken.layers.every((l) => !l.built && l.params.length === 0)).toBe(true);
    broken.build([null, 4]);
    expect((await broken.predict(features(1, [1, 3, 4]))).dims).toEqual([1, 2]);
    await model.fit(tokens(1, 4, 6, 9), new Tensor('int32', Int32Array.of(0, 1, 1, 1), [4]), { verbose: 0 });
    expect(model.built).toBe(true);
  });
});
