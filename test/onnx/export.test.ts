/** @jest-environment ./test/helpers/node-realm-environment.ts */

// exportOnnx: GruOp / LstmOp / RnnOp written as native ONNX nodes run in onnxruntime-node and
// in loadOnnx with the operator's own outputs (within 1e-4); the file names its values and dims
// for a reader; bad requests are clear errors. Also OnnxGraphBuilder's own checks.

import {
  GruOp,
  LstmOp,
  OnnxGraphBuilder,
  RnnOp,
  Tensor,
  addDenseNode,
  addEmbeddingNode,
  addRecurrentNode,
  exportOnnx,
  loadOnnx,
} from '../../lib';
import { decodeModel } from '../../lib/onnx/schema';
import { expectClose, mulberry32, randomTensor, runOrt } from '../helpers/onnx';

const rng = mulberry32(77);
const t = (dims: number[], scale = 0.5) => {
  const r = randomTensor(dims, rng, scale);
  return new Tensor('float32', r.data, r.dims);
};

type Op = GruOp | LstmOp | RnnOp;

function weights(gates: number, D: number, H: number, I: number, peepholes = false) {
  return { W: t([D, gates * H, I]), R: t([D, gates * H, H]), B: t([D, 2 * gates * H]), ...(peepholes ? { P: t([D, 3 * H]) } : {}) };
}

interface ExportCase {
  name: string;
  make: () => Op;
  opset?: number;
}

const CASES: ExportCase[] = [
  { name: 'GRU linear_before_reset=1 (PyTorch form)', make: () => new GruOp(weights(3, 1, 5, 3), { linearBeforeReset: 1 }) },
  { name: 'GRU linear_before_reset=0, reverse', make: () => new GruOp(weights(3, 1, 4, 3), { direction: 'reverse' }) },
  {
    name: 'GRU bidirectional, layout 1',
    make: () => new GruOp(weights(3, 2, 4, 3), { direction: 'bidirectional', layout: 1, linearBeforeReset: 1 }),
  },
  { name: 'LSTM with peepholes', make: () => new LstmOp(weights(4, 1, 6, 2, true), {}) },
  { name: 'LSTM bidirectional with clip', make: () => new LstmOp(weights(4, 2, 3, 4), { direction: 'bidirectional', clip: 0.8 }) },
  { name: 'LSTM layout 1 at opset 22', make: () => new LstmOp(weights(4, 1, 5, 3), { layout: 1 }), opset: 22 },
  {
    name: 'LSTM layout 1 at opset 9 (Transposes around the node)',
    make: () => new LstmOp(weights(4, 2, 3, 3), { layout: 1, direction: 'bidirectional' }),
    opset: 9,
  },
  { name: 'RNN with Relu activation at opset 7', make: () => new RnnOp(weights(1, 1, 4, 3), { activations: ['Relu'] }), opset: 7 },
  {
    name: 'GRU with LeakyRelu / HardSigmoid and their alphas',
    make: () =>
      new GruOp(weights(3, 1, 4, 3), { activations: ['HardSigmoid', 'LeakyRelu'], activationAlpha: [0.3, 0.05], activationBeta: [0.4] }),
  },
];

function xFor(op: Op, batch: number, seq: number): Tensor {
  const { spec } = op.definition;
  return t(spec.layout === 0 ? [seq, batch, spec.inputSize] : [batch, seq, spec.inputSize], 1);
}

describe('export -> onnxruntime-node round trips', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const op = c.make();
    const { spec } = op.definition;
    const D = spec.numDirections;
    const H = spec.hiddenSize;
    const batch = 3;
    const seq = 5;
    const stateDims = spec.layout === 0 ? [D, batch, H] : [batch, D, H];
    const X = xFor(op, batch, seq);
    const initialH = t(stateDims);
    const initialC = spec.cell === 2 ? t(stateDims) : undefined;
    const sequenceLens = new Tensor('int32', Int32Array.from([5, 2, 4]), [batch]);
    const bytes = exportOnnx(op, { opset: c.opset, sequenceLens: true });
    const feeds: Record<string, Tensor> = {
      X,
      initial_h: initialH,
      sequence_lens: sequenceLens,
      ...(initialC ? { initial_c: initialC } : {}),
    };
    const want = op.run({ X, initialH, sequenceLens, ...(initialC ? { initialC } : {}) }) as Record<string, Tensor>;
    const ortOut = await runOrt(bytes, feeds);
    const session = await loadOnnx(bytes);
    const ours = session.runSync(feeds);
    for (const name of Object.keys(want)) {
      expectClose(ortOut[name], want[name], { atol: 1e-4, rtol: 0, label: `${c.name} ${name} (onnxruntime)` });
      expectClose(ours[name], want[name], { atol: 1e-6, rtol: 0, label: `${c.name} ${name} (loadOnnx)` });
    }
    session.dispose();
    if (spec.layout === 1) {
      // As a layout = 1 node: onnxruntime cannot run it, loadOnnx can.
      const native = await loadOnnx(exportOnnx(op, { sequenceLens: true, layoutAttribute: true }));
      const got = native.runSync(feeds);
      for (const name of Object.keys(want))
        expectClose(got[name], want[name], { atol: 1e-6, rtol: 0, label: `${c.name} ${name} (layout attribute)` });
      native.dispose();
    }
    op.dispose();
  });

  test('a stack (bidirectional GRU -> LSTM) without state inputs', async () => {
    const gru = new GruOp(weights(3, 2, 4, 3), { direction: 'bidirectional', linearBeforeReset: 1 });
    const lstm = new LstmOp(weights(4, 1, 5, 8), {});
    const bytes = exportOnnx([gru, lstm], { stateInputs: false });
    const X = xFor(gru, 2, 6);
    // The reference: layer 0's Y [T, 2, B, H] as [T, B, 2H], then layer 1.
    const y0 = gru.run({ X }).Y!;
    const [T, , B, H] = y0.dims;
    const x1 = new Float32Array(T * B * 2 * H);
    for (let s = 0; s < T; s++)
      for (let d = 0; d < 2; d++)
        for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) x1[((s * B + b) * 2 + d) * H + h] = y0.data[((s * 2 + d) * B + b) * H + h];
    const want = lstm.run({ X: new Tensor('float32', x1, [T, B, 2 * H]) });
    const ortOut = await runOrt(bytes, { X });
    expect(Object.keys(ortOut).sort()).toEqual(['Y', 'layer1_Y_c', 'layer1_Y_h']);
    expectClose(ortOut.Y, want.Y!, { atol: 1e-4, rtol: 0, label: 'stack Y' });
    expectClose(ortOut.layer1_Y_c, want.Y_c!, { atol: 1e-4, rtol: 0, label: 'stack Y_c' });
    const session = await loadOnnx(bytes);
    expectClose(session.runSync({ X }).Y, want.Y!, { atol: 1e-6, rtol: 0, label: 'stack Y (loadOnnx)' });
  });
});

describe('what a reader of the file sees', () => {
  test('opset 14, symbolic batch and time dims, named weights, doc strings', () => {
    const op = new LstmOp(weights(4, 1, 5, 3), {});
    const model = decodeModel(exportOnnx(op, { batchDim: 'N', seqDim: 'T' }));
    expect(model.opset_import).toEqual([{ domain: '', version: 14 }]);
    expect(model.producer_name).toBe('gatedrnn');
    expect(model.doc_string).toMatch(/LSTM exported by gatedrnn; time-major inputs/);
    const g = model.graph!;
    expect(g.input.map((v) => v.name)).toEqual(['X', 'initial_h', 'initial_c']);
    expect(g.input[0].type!.tensor_type!.shape!.dim).toEqual([{ dim_param: 'T' }, { dim_param: 'N' }, { dim_value: 3 }]);
    expect(g.output.map((v) => v.name)).toEqual(['Y', 'Y_h', 'Y_c']);
    expect(g.initializer.map((i) => i.name)).toEqual(['lstm/W', 'lstm/R', 'lstm/B']);
    expect(g.initializer[0].doc_string).toMatch(/gates i, o, f, c \(ONNX order\)/);
    expect(g.node).toHaveLength(1);
    expect(g.node[0].op_type).toBe('LSTM');
    expect(g.node[0].doc_string).toMatch(/hidden_size 5, forward, time-major/);
    expect(g.node[0].attribute.map((a) => a.name).sort()).toEqual(['direction', 'hidden_size']);
  });

  test('errors: layout 1 before opset 14, bf16 operators, bad arguments', () => {
    const op = new GruOp(weights(3, 1, 4, 3), { layout: 1 });
    expect(() => exportOnnx(op, { opset: 13, layoutAttribute: true })).toThrow(
      'exportOnnx: expected opset to be 14 or more for the layout attribute (batch-major nodes), but received 13',
    );
    const bf16 = new GruOp(weights(3, 1, 4, 3), { precision: 'bf16' });
    expect(() => exportOnnx(bf16)).toThrow(
      'exportOnnx: expected gru precision to be \'fp32\' (exporting writes fp32 weights; make an fp32 operator from the same weights), but received "bf16" of type string',
    );
    expect(() => exportOnnx([] as never)).toThrow(
      'exportOnnx: expected ops to be a GruOp, LstmOp or RnnOp, or a non-empty array of them, but received an array of length 0',
    );
    expect(() => exportOnnx(op, { opset: 23 })).toThrow(
      'exportOnnx: expected options.opset to be an integer from 7 to 22, but received 23 of type number',
    );
    const wide = new LstmOp(weights(4, 1, 5, 7), {});
    expect(() => exportOnnx([new GruOp(weights(3, 1, 4, 3)), wide])).toThrow(
      "exportOnnx: expected ops[1] input size to be 4 (ops[0]'s num_directions * hidden_size), but received 7",
    );
  });
});

describe('OnnxGraphBuilder', () => {
  test('names must be unique and inputs must exist', () => {
    const b = new OnnxGraphBuilder();
    b.input('x', 'float32', ['n', 2]);
    expect(() => b.input('x', 'float32', [1])).toThrow(
      "OnnxGraphBuilder.input: expected name to be unused in this graph, but received 'x', which is already used",
    );
    expect(() => b.node('Relu', ['y'], ['z'])).toThrow(
      "OnnxGraphBuilder.node(Relu): expected inputs to be names of values already in the graph, but received 'y'",
    );
    expect(() => b.output('nope', 'float32')).toThrow(
      "OnnxGraphBuilder.output: expected name to be a value of this graph, but received 'nope'",
    );
    expect(b.unique('x')).toBe('x_1');
    expect(() => b.node('Relu', ['x'], ['r'], { alpha: [1, 'a'] as never })).toThrow(
      "OnnxGraphBuilder.node(Relu): expected attribute 'alpha' to be a number, string, array of numbers or strings, { float }, { floats } or a tensor, but received an array of length 2",
    );
  });

  test('the pieces of a Keras-like model: Embedding -> bidirectional GRU (batch-major, from raw weights) -> Dense', async () => {
    const b = new OnnxGraphBuilder('classifier');
    b.input('tokens', 'int64', ['batch', 'seq']);
    const embedded = addEmbeddingNode(b, { name: 'embedding', ids: 'tokens', table: t([20, 3]) });
    const gruWeights = weights(3, 2, 4, 3);
    const attributes = { direction: 'bidirectional' as const, layout: 1 as const, linearBeforeReset: 1 as const };
    const { Y, Y_h } = addRecurrentNode(b, { cell: 'GRU', weights: gruWeights, attributes }, { name: 'gru', X: embedded, opset: 14 });
    // Y_h [batch, 2, 4] -> [batch, 8] -> Dense(2, softmax); Y [batch, seq, 2, 4] -> [batch, seq, 8] -> Dense(3) per step.
    b.initializer('flat', new Tensor('int64', BigInt64Array.from([0n, -1n]), [2]));
    const [h] = b.node('Reshape', [Y_h, 'flat'], ['h']);
    addDenseNode(b, { name: 'head', X: h, rank: 2, kernel: t([8, 2]), bias: t([2]), activation: 'softmax', output: 'probs' });
    b.initializer('steps', new Tensor('int64', BigInt64Array.from([0n, 0n, -1n]), [3]));
    const [seq] = b.node('Reshape', [Y, 'steps'], ['per_step']);
    addDenseNode(b, { name: 'tagger', X: seq, rank: 3, kernel: t([8, 3]), bias: t([3]), activation: 'tanh', output: 'tags' });
    b.output('probs', 'float32', ['batch', 2]);
    b.output('tags', 'float32', ['batch', 'seq', 3]);
    b.output(Y_h, 'float32', ['batch', 2, 4]);
    const bytes = b.build({ opset: 14 });
    const tokens = new Tensor(
      'int64',
      BigInt64Array.from({ length: 12 }, () => BigInt(Math.floor(rng() * 20))),
      [3, 4],
    );
    const ortOut = await runOrt(bytes, { tokens });
    const session = await loadOnnx(bytes);
    const ours = session.runSync({ tokens });
    for (const name of ['probs', 'tags', Y_h]) expectClose(ours[name], ortOut[name], { atol: 1e-5, rtol: 0, label: name });
    // The node written from raw weights computes what a GruOp over the same weights does.
    const table = decodeModel(bytes).graph!.initializer.find((i) => i.name === 'embedding/embeddings')!;
    const rows = new Float32Array(table.raw_data!.slice().buffer);
    const X = new Tensor('float32', new Float32Array(12 * 3), [3, 4, 3]);
    (tokens.data as BigInt64Array).forEach((id, k) => X.data.set(rows.subarray(Number(id) * 3, Number(id) * 3 + 3), k * 3));
    expectClose(ours[Y_h], new GruOp(gruWeights, attributes).run({ X }).Y_h!, { atol: 1e-6, rtol: 0, label: 'Y_h vs GruOp' });
  });

  test('dense and embedding arguments are checked', () => {
    const b = new OnnxGraphBuilder();
    b.input('x', 'float32', ['n', 4]);
    expect(() => addDenseNode(b, { name: 'd', X: 'x', rank: 2, kernel: t([4]) })).toThrow(
      'addDenseNode: expected kernel to be a rank-2 tensor [inputs, units], but received an object of class Tensor',
    );
    expect(() => addDenseNode(b, { name: 'd', X: 'x', rank: 2, kernel: t([4, 2]), bias: t([3]) })).toThrow(
      "addDenseNode: expected bias.dims to be [2] (the kernel's units), but received [3]",
    );
    expect(() => addDenseNode(b, { name: 'd', X: 'x', rank: 2, kernel: t([4, 2]), activation: 'gelu' as never })).toThrow(
      "addDenseNode: expected activation to be 'linear', 'relu', 'sigmoid', 'tanh' or 'softmax', but received \"gelu\" of type string",
    );
    expect(() => addRecurrentNode(b, { cell: 'GRU', weights: weights(3, 1, 4, 5) }, { name: 'g', X: 'x', opset: 14 })).not.toThrow();
    expect(() =>
      addRecurrentNode(b, { cell: 'GRU', weights: { W: t([1, 12, 4]), R: t([1, 9, 4]) } }, { name: 'g2', X: 'x', opset: 14 }),
    ).toThrow('new GruOp: expected R.dims to be [1, 12, 4]');
  });
});
