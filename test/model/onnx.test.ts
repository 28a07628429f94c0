/** @jest-environment ./test/helpers/node-realm-environment.ts */

// model.toOnnx(): Keras-like models written as ONNX (native GRU/LSTM/RNN nodes, Gather, Gemm/MatMul)
// give model.predict's outputs in onnxruntime-node (within 1e-4) and in loadOnnx; the file names
// its values for a reader; bad requests are clear errors.

import { layers, loadOnnx, sequential, type Sequential, Tensor } from '../../lib';
import { decodeModel } from '../../lib/onnx/schema';
import { expectClose, mulberry32, runOrt } from '../helpers/onnx';

const N = 4;
const T = 7;

function tokens(seed: number, vocab: number, lengths?: number[]): Tensor<'int32'> {
  const rng = mulberry32(seed);
  const ids = new Int32Array(N * T);
  for (let b = 0; b < N; b++) {
    const len = lengths ? lengths[b] : T;
    for (let s = 0; s < len; s++) ids[b * T + s] = 1 + Math.floor(rng() * (vocab - 1));
  }
  return new Tensor('int32', ids, [N, T]);
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

/** Builds the model and sets every parameter to a random value. */
function randomWeights(m: Sequential, inputShape: number[]): Sequential {
  m.build(inputShape);
  const rng = mulberry32(m.layers.length);
  for (const p of m.layers.flatMap((l) => l.params)) for (let i = 0; i < p.value.length; i++) p.value[i] = rng() - 0.5;
  return m;
}

interface Case {
  name: string;
  make: () => Sequential;
  x: () => Tensor<'int32'> | Tensor<'float32'>;
  /** Op types the graph must hold. */
  ops: string[];
}

const CASES: Case[] = [
  {
    name: 'embedding -> GRU (resetAfter) -> dense softmax',
    make: () =>
      sequential(
        [layers.embedding({ inputDim: 20, outputDim: 6 }), layers.gru({ units: 5 }), layers.dense({ units: 3, activation: 'softmax' })],
        { seed: 1 },
      ),
    x: () => tokens(11, 20),
    ops: ['Gather', 'GRU', 'Gemm', 'Softmax'],
  },
  {
    name: 'embedding -> GRU (resetAfter false) -> dropout -> dense sigmoid',
    make: () =>
      sequential(
        [
          layers.embedding({ inputDim: 12, outputDim: 4 }),
          layers.gru({ units: 6, resetAfter: false }),
          layers.dropout({ rate: 0.3 }),
          layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
        { seed: 2 },
      ),
    x: () => tokens(12, 12),
    ops: ['Gather', 'GRU', 'Gemm', 'Sigmoid'],
  },
  {
    name: 'LSTM on [N, T, F] features -> dense linear',
    make: () => sequential([layers.lstm({ units: 5 }), layers.dense({ units: 2 })], { seed: 3 }),
    x: () => features(13, [N, T, 3]),
    ops: ['Transpose', 'LSTM', 'Gemm'],
  },
  {
    name: 'stacked: embedding -> GRU (sequences) -> LSTM (sequences) -> dense softmax per step',
    make: () =>
      sequential(
        [
          layers.embedding({ inputDim: 15, outputDim: 5 }),
          layers.gru({ units: 6, returnSequences: true }),
          layers.lstm({ units: 4, returnSequences: true }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ],
        { seed: 4 },
      ),
    x: () => tokens(14, 15),
    ops: ['Gather', 'GRU', 'LSTM', 'MatMul', 'Add', 'Softmax'],
  },
  {
    name: 'bidirectional GRU (sequences) -> bidirectional LSTM -> dense tanh',
    make: () =>
      sequential(
        [
          layers.bidirectional({ layer: layers.gru({ units: 4, returnSequences: true }) }),
          layers.bidirectional({ layer: layers.lstm({ units: 3 }) }),
          layers.dense({ units: 2, activation: 'tanh' }),
        ],
        { seed: 5 },
      ),
    x: () => features(15, [N, T, 3]),
    ops: ['GRU', 'LSTM', 'Reshape', 'Gemm', 'Tanh'],
  },
  {
    name: 'dense only on [N, T, F] features (relu -> linear)',
    make: () => sequential([layers.dense({ units: 5, activation: 'relu' }), layers.dense({ units: 2, useBias: false })], { seed: 6 }),
    x: () => features(16, [N, T, 3]),
    ops: ['MatMul', 'Add', 'Relu'],
  },
  {
    name: 'dense only on [N, F] features',
    make: () =>
      sequential([layers.dense({ units: 5, activation: 'tanh' }), layers.dense({ units: 3, activation: 'softmax' })], { seed: 7 }),
    x: () => features(17, [N, 6]),
    ops: ['Gemm', 'Tanh', 'Softmax'],
  },
  {
    name: 'maskZero: embedding -> bidirectional GRU (sequences) -> LSTM -> dense softmax',
    make: () =>
      sequential(
        [
          layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }),
          layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }) }),
          layers.lstm({ units: 4 }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ],
        { seed: 8 },
      ),
    x: () => tokens(18, 10, [7, 3, 5, 1]),
    ops: ['Equal', 'Where', 'ReduceSum', 'GRU', 'LSTM'],
  },
  {
    name: 'maskZero with every step returned: embedding -> GRU (sequences)',
    make: () =>
      sequential(
        [
          layers.embedding({ inputDim: 9, outputDim: 3, maskZero: true }),
          layers.gru({ units: 4, returnSequences: true, resetAfter: false }),
        ],
        { seed: 9 },
      ),
    x: () => tokens(19, 9, [2, 7, 4, 6]),
    ops: ['ReduceSum', 'GRU', 'Squeeze', 'Transpose'],
  },
  // SimpleRNN layers as RNN nodes, with random biases: the default zeros would hide a misplaced B.
  {
    name: 'simpleRnn on [N, T, F] features -> dense',
    make: () => randomWeights(sequential([layers.simpleRnn({ units: 5 }), layers.dense({ units: 2 })], { seed: 11 }), [T, 3]),
    x: () => features(21, [N, T, 3]),
    ops: ['Transpose', 'RNN', 'Gemm'],
  },
  {
    name: 'maskZero: embedding -> simpleRnn (sequences, no bias, goBackwards) -> dense softmax per step',
    make: () =>
      randomWeights(
        sequential(
          [
            layers.embedding({ inputDim: 9, outputDim: 4, maskZero: true }),
            layers.simpleRnn({ units: 6, returnSequences: true, useBias: false, goBackwards: true }),
            layers.dense({ units: 3, activation: 'softmax' }),
          ],
          { seed: 12 },
        ),
        [T],
      ),
    x: () => tokens(22, 9, [7, 3, 5, 1]),
    ops: ['ReduceSum', 'RNN', 'MatMul', 'Softmax'],
  },
  {
    name: 'bidirectional simpleRnn (sequences) -> simpleRnn -> dense tanh',
    make: () =>
      randomWeights(
        sequential(
          [
            layers.bidirectional({ layer: layers.simpleRnn({ units: 4, returnSequences: true }) }),
            layers.simpleRnn({ units: 3 }),
            layers.dense({ units: 2, activation: 'tanh' }),
          ],
          { seed: 13 },
        ),
        [T, 3],
      ),
    x: () => features(23, [N, T, 3]),
    ops: ['RNN', 'Reshape', 'Gemm', 'Tanh'],
  },
];

describe('model.toOnnx() -> onnxruntime-node and loadOnnx give model.predict', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const model = c.make();
    const x = c.x();
    const want = await model.predict(x);
    const bytes = model.toOnnx();
    const g = decodeModel(bytes).graph!;
    const opTypes = new Set(g.node.map((n) => n.op_type));
    for (const op of c.ops) expect(opTypes).toContain(op);
    for (const loop of ['Loop', 'Scan', 'Dropout']) expect(opTypes).not.toContain(loop);
    const inputName = g.input[0].name!;
    const outputName = g.output[0].name!;
    const ortOut = await runOrt(bytes, { [inputName]: x });
    expectClose(ortOut[outputName], want, { atol: 1e-4, rtol: 0, label: `${c.name} (onnxruntime)` });
    const session = await loadOnnx(bytes, { threads: 1 });
    try {
      expectClose(session.runSync({ [inputName]: x })[outputName], want, { atol: 1e-4, rtol: 0, label: `${c.name} (loadOnnx)` });
    } finally {
      session.dispose();
    }
    model.dispose();
  });

  test('the time dim is dynamic: a longer sequence runs the same in both engines', async () => {
    const model = sequential(
      [
        layers.embedding({ inputDim: 20, outputDim: 4 }),
        layers.bidirectional({ layer: layers.gru({ units: 3, returnSequences: true }) }),
        layers.dense({ units: 2 }),
      ],
      { seed: 10 },
    );
    model.build([T]);
    const bytes = model.toOnnx({ opset: 18 });
    const rng = mulberry32(20);
    const x = new Tensor(
      'int32',
      Int32Array.from({ length: 2 * 13 }, () => Math.floor(rng() * 20)),
      [2, 13],
    );
    const ortOut = await runOrt(bytes, { tokens: x });
    expect(ortOut.outputs.dims).toEqual([2, 13, 2]);
    const session = await loadOnnx(bytes);
    expectClose(session.runSync({ tokens: x }).outputs, ortOut.outputs, { atol: 1e-5, rtol: 0, label: 'T = 13' });
    session.dispose();
    model.dispose();
  });

  test.each([9, 11, 13, 22])('opset %i', async (opset) => {
    const model = CASES[7].make();
    const x = CASES[7].x();
    const want = await model.predict(x);
    const bytes = model.toOnnx({ opset });
    expect(decodeModel(bytes).opset_import).toEqual([{ domain: '', version: opset }]);
    expectClose((await runOrt(bytes, { tokens: x })).probabilities, want, { atol: 1e-4, rtol: 0, label: `opset ${opset} (onnxruntime)` });
    const session = await loadOnnx(bytes);
    expectClose(session.runSync({ tokens: x }).probabilities, want, { atol: 1e-4, rtol: 0, label: `opset ${opset} (loadOnnx)` });
    session.dispose();
    model.dispose();
  });
});

describe('what a reader of the file sees', () => {
  test('names, dynamic dims, doc strings and weights in the graph', () => {
    const model = sequential(
      [
        layers.embedding({ inputDim: 30, outputDim: 8 }),
        layers.gru({ units: 6 }),
        layers.dense({ units: 4, activation: 'softmax', name: 'classifier' }),
      ],
      { name: 'topics' },
    );
    model.build([12]);
    const m = decodeModel(model.toOnnx({ batchDim: 'N' }));
    expect(m.opset_import).toEqual([{ domain: '', version: 14 }]);
    expect(m.producer_name).toBe('gatedrnn');
    expect(m.doc_string).toBe(
      "topics: embedding (Embedding) -> gru (GRU) -> classifier (Dense); exported by gatedrnn (dropout omitted: inference); dims 'N' and 'seq' dynamic",
    );
    const g = m.graph!;
    expect(g.name).toBe('topics');
    expect(g.input.map((v) => v.name)).toEqual(['tokens']);
    expect(g.input[0].type!.tensor_type!.shape!.dim).toEqual([{ dim_param: 'N' }, { dim_param: 'seq' }]);
    expect(g.input[0].doc_string).toBe('token ids [N, seq] (int32)');
    expect(g.output.map((v) => v.name)).toEqual(['probabilities']);
    expect(g.output[0].type!.tensor_type!.shape!.dim).toEqual([{ dim_param: 'N' }, { dim_value: 4 }]);
    expect(g.output[0].doc_string).toBe('softmax probabilities [N, 4]');
    expect(g.initializer.map((t) => t.name)).toEqual(
      expect.arrayContaining(['embedding/embeddings', 'gru/W', 'gru/R', 'gru/B', 'classifier/kernel', 'classifier/bias']),
    );
    const gru = g.node.find((n) => n.op_type === 'GRU')!;
    expect(gru.name).toBe('gru');
    expect(gru.doc_string).toMatch(/^GRU, hidden_size 6, forward/);
    const softmax = g.node.find((n) => n.op_type === 'Softmax')!;
    expect(softmax.attribute).toEqual([expect.objectContaining({ name: 'axis', i: -1n })]);
    model.dispose();
  });

  test('option names for the input and output', async () => {
    const model = sequential([layers.dense({ units: 2 })]);
    model.build([3]);
    const bytes = model.toOnnx({ inputName: 'x', outputName: 'y' });
    const g = decodeModel(bytes).graph!;
    expect([g.input[0].name, g.output[0].name]).toEqual(['x', 'y']);
    expect(g.input[0].doc_string).toBe('input features [batch, features]');
  });
});

describe('errors', () => {
  test('a model without weights', () => {
    expect(() => sequential([layers.dense({ units: 2 })]).toOnnx()).toThrow(
      'Sequential.toOnnx: the model has no weights yet; call model.build(inputShape) or fit first',
    );
  });

  test('bad options', () => {
    const model = sequential([layers.dense({ units: 2 })]);
    model.build([3]);
    expect(() => model.toOnnx({ opset: 8 })).toThrow(
      'Sequential.toOnnx: expected options.opset to be an integer from 9 to 22, but received 8',
    );
    expect(() => model.toOnnx({ batchDim: '' })).toThrow('Sequential.toOnnx: expected options.batchDim to be a non-empty string');
    expect(() => model.toOnnx({ seqDim: 'batch' })).toThrow(
      "Sequential.toOnnx: expected options.seqDim to be a name other than batchDim ('batch'), but received 'batch'",
    );
    expect(() => model.toOnnx({ outputName: 'features' })).toThrow(
      "Sequential.toOnnx: expected options.outputName to be a name other than the input's ('features'), but received 'features'",
    );
    expect(() => model.toOnnx(null as never)).toThrow('Sequential.toOnnx: expected options to be an object');
  });
});
