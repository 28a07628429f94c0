// The public types say what a call returns. ts-jest type-checks this file, so each expect-error
// directive below fails the suite if the type it guards stops being an error.
import { GruOp, LstmOp, type ModelData, RnnOp, Tensor, layers, sequential } from '../lib';

const H = 3,
  I = 2,
  T = 4;
const t = (dims: number[]) =>
  new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, k) => Math.cos(k)),
    dims,
  );

test('an operator returns exactly the outputs asked for, typed non-optional', async () => {
  const gru = new GruOp({ W: t([1, 3 * H, I]), R: t([1, 3 * H, H]) });
  const all = gru.run({ X: t([T, 1, I]) });
  const dims: readonly number[] = all.Y.dims; // not "possibly undefined"
  expect(dims).toEqual([T, 1, 1, H]);
  expect(all.Y_h.dims).toEqual([1, 1, H]);
  // @ts-expect-error a GRU has no cell state
  expect(all.Y_c).toBeUndefined();

  const onlyH = await gru.runAsync({ X: t([T, 1, I]) }, { outputs: ['Y_h'] });
  expect(onlyH.Y_h.dims).toEqual([1, 1, H]);
  // @ts-expect-error Y was not asked for
  expect(onlyH.Y).toBeUndefined();

  const lstm = new LstmOp({ W: t([1, 4 * H, I]), R: t([1, 4 * H, H]) });
  const { Y_c } = lstm.run({ X: t([T, 1, I]) }, { outputs: ['Y_h', 'Y_c'] });
  expect(Y_c.dims).toEqual([1, 1, H]);

  // A union of operators is still callable, with the outputs they share.
  const ops: (GruOp | LstmOp | RnnOp)[] = [gru, lstm, new RnnOp({ W: t([1, H, I]), R: t([1, H, H]) })];
  for (const op of ops) expect(op.run({ X: t([T, 1, I]) }).Y_h.dims).toEqual([1, 1, H]);
  ops.forEach((op) => op.dispose());
});

test('fit, evaluate and predict take tensors or nested arrays, and nothing else', async () => {
  const model = sequential([layers.gru({ units: 2 }), layers.dense({ units: 1 })], { seed: 1 });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x: ModelData = [
    [[0.1], [0.2]],
    [[0.3], [0.4]],
  ];
  await model.fit(x, [[0.5], [0.7]], { epochs: 1, verbose: 0 });
  expect((await model.predict(t([1, 2, 1]))).dims).toEqual([1, 1]);
  // @ts-expect-error a string is not data
  await expect(model.evaluate('x.csv', [[1]])).rejects.toThrow(TypeError);
});
