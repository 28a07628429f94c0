// Sequential.predict runs through the model's native plan (its export as a session): the same
// results as the layers' own forward pass, on padded token batches and on features, made again
// after fit, setWeights or a write into a parameter; stateful models and token ids out of range
// go through the layers.

import { layers, sequential, type Sequential, Tensor } from '../../lib';
import type { OnnxSession } from '../../lib/onnx/session';
import { mulberry32 } from '../helpers/onnx';

interface Internals {
  forward(x: { data: Float32Array | Int32Array; dims: number[] }, training: boolean): Promise<{ data: Float32Array; dims: number[] }>;
  predictPlan: { session: OnnxSession | null };
}
const internals = (m: Sequential) => m as unknown as Internals;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** predict's result and the layers' forward pass on the whole of x. */
async function both(model: Sequential, x: Tensor<'int32'> | Tensor<'float32'>): Promise<[Float32Array, Float32Array]> {
  const got = await model.predict(x, { batchSize: 3 });
  const want = await internals(model).forward({ data: x.data, dims: [...x.dims] }, false);
  expect(got.dims).toEqual(want.dims);
  return [got.data, want.data];
}

function tokens(seed: number, n: number, t: number, lengths: number[]): Tensor<'int32'> {
  const rng = mulberry32(seed);
  return new Tensor(
    'int32',
    Int32Array.from({ length: n * t }, (_, i) => (i % t < lengths[Math.floor(i / t)] ? 1 + Math.floor(rng() * 19) : 0)),
    [n, t],
  );
}

describe('predict through the plan', () => {
  test("a masked token classifier, padded batches at two lengths: the layers' results, planned", async () => {
    const model = sequential(
      [
        layers.embedding({ inputDim: 20, outputDim: 6, maskZero: true }),
        layers.gru({ units: 5, returnSequences: true }),
        layers.bidirectional({ layer: layers.lstm({ units: 4 }) }),
        layers.dense({ units: 3, activation: 'softmax' }),
      ],
      { seed: 7 },
    );
    model.build([null]);
    for (const [t, lengths] of [
      [9, [9, 2, 5, 1, 7]],
      [20, [20, 3, 11, 1, 7]],
    ] as const) {
      const [got, want] = await both(model, tokens(t, lengths.length, t, [...lengths]));
      expect(maxDiff(got, want)).toBeLessThan(1e-5);
    }
    const session = internals(model).predictPlan.session;
    expect(session).not.toBeNull();
    expect(session!.lastRunSteps.planned).toBeGreaterThan(0);
    expect(session!.lastRunSteps.interpreted).toBe(0);
    model.dispose();
  });

  test('features through an LSTM with sequences and dense layers; new weights after fit, setWeights and a direct write', async () => {
    const model = sequential(
      [
        layers.lstm({ units: 5, returnSequences: true, inputShape: [null, 3] }),
        layers.dense({ units: 4, activation: 'relu' }),
        layers.dense({ units: 2 }),
      ],
      { seed: 3 },
    );
    const rng = mulberry32(9);
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 4 * 6 * 3 }, () => rng() * 2 - 1),
      [4, 6, 3],
    );
    const check = async () => {
      const [got, want] = await both(model, x);
      expect(maxDiff(got, want)).toBeLessThan(1e-5);
      return got;
    };
    const first = await check();
    const session = internals(model).predictPlan.session;
    expect(session).not.toBeNull();

    model.compile({ optimizer: 'adam', loss: 'mse' });
    await model.fit(x, new Tensor('float32', new Float32Array(4 * 6 * 2).fill(0.5), [4, 6, 2]), { epochs: 2, verbose: 0 });
    const afterFit = await check();
    expect(maxDiff(afterFit, first)).toBeGreaterThan(1e-4);
    expect(internals(model).predictPlan.session).not.toBe(session);

    model.setWeights(model.getWeights().map((w) => w.map((v) => v * 0.5)));
    expect(maxDiff(await check(), afterFit)).toBeGreaterThan(1e-4);

    const before = await check();
    model.params[model.params.length - 1].value[0] += 1;
    expect(maxDiff(await check(), before)).toBeGreaterThan(0.5);
    model.dispose();
  });

  test("a token id out of range: the layers' error", async () => {
    const model = sequential([layers.embedding({ inputDim: 5, outputDim: 2 }), layers.gru({ units: 2 })], { seed: 1 });
    model.build([null]);
    const bad = new Tensor('int32', Int32Array.of(1, 7), [1, 2]);
    const layerMessage = await internals(model)
      .forward({ data: bad.data, dims: [1, 2] }, false)
      .then(
        () => 'no error',
        (e: Error) => e.message,
      );
    expect(layerMessage).toContain('7');
    await expect(model.predict(bad)).rejects.toThrow(layerMessage);
    model.dispose();
  });

  test('a stateful model predicts through its layers, carrying states between calls', async () => {
    const model = sequential([layers.gru({ units: 3, stateful: true, inputShape: [null, 2] })], { seed: 2 });
    const x = new Tensor(
      'float32',
      Float32Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.sin(i)),
      [2, 4, 2],
    );
    const a = await model.predict(x);
    const b = await model.predict(x, { resetStates: false });
    expect(maxDiff(a.data, b.data)).toBeGreaterThan(1e-4);
    expect(internals(model).predictPlan.session).toBeNull();
    model.dispose();
  });
});
