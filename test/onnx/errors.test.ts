// loadOnnx on files it must refuse: unsupported ops and attributes name the node, op, opset and
// what is supported; structural problems (cycles, missing inputs, values produced twice, bad
// opsets or domains); hostile tensors (more data declared than present, external data, dims
// whose product is astronomically large); truncated and fuzzed files, which must each load or
// throw an Error, never crash, hang or allocate what the file does not justify.

import * as path from 'node:path';
import { OnnxSession, Tensor } from '../../lib';
import {
  AttributeType,
  DataType,
  type Init,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  decodeModel,
  encodeModel,
} from '../../lib/onnx/schema';
import { SUPPORTED_OPS } from '../../lib/onnx/ops';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { fuzz, mutate, rng } = require('../../scripts/fuzz-onnx.js');

const F = DataType.FLOAT;

function vi(name: string, dims: (number | string)[], elem: number = F) {
  return {
    name,
    type: {
      tensor_type: { elem_type: elem, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } },
    },
  };
}

function floats(name: string, dims: number[], data?: number[]): Init<TensorProto> {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dims, data_type: F, float_data: Float32Array.from(data ?? new Array(n).fill(0.5)) };
}

function int64s(name: string, values: number[], dims = [values.length]): Init<TensorProto> {
  return { name, dims, data_type: DataType.INT64, int64_data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

function bytesOf(opts: {
  nodes: Init<NodeProto>[];
  inputs?: ReturnType<typeof vi>[];
  outputs?: ReturnType<typeof vi>[];
  initializers?: Init<TensorProto>[];
  opset?: number;
  domain?: string;
}): Uint8Array {
  const model: Init<ModelProto> = {
    ir_version: 8,
    opset_import: [{ domain: opts.domain ?? '', version: opts.opset ?? 14 }],
    graph: {
      name: 'g',
      node: opts.nodes,
      input: opts.inputs ?? [vi('x', [2, 3])],
      output: opts.outputs ?? [vi('y', [2, 3])],
      initializer: opts.initializers ?? [],
    },
  };
  return encodeModel(model);
}

const load = (bytes: Uint8Array) => new OnnxSession(bytes);
const relu = (name: string, input: string, output: string): Init<NodeProto> => ({
  name,
  op_type: 'Relu',
  input: [input],
  output: [output],
});

function gruNode(attrs: Init<NodeProto>['attribute'] = [], inputs = ['x', 'W', 'R']): Init<NodeProto> {
  return {
    name: 'gru',
    op_type: 'GRU',
    input: inputs,
    output: ['y'],
    attribute: [{ name: 'hidden_size', type: AttributeType.INT, i: 2 }, ...(attrs ?? [])],
  };
}
const gruInits = [floats('W', [1, 6, 3]), floats('R', [1, 6, 2])];
const gruModel = (attrs: Init<NodeProto>['attribute'], opset = 14) =>
  bytesOf({ nodes: [gruNode(attrs)], inputs: [vi('x', [4, 2, 3])], outputs: [vi('y', [4, 1, 2, 2])], initializers: gruInits, opset });

describe('unsupported operators and attributes', () => {
  test('an unsupported op names the node, the op, the opset and the supported ops', () => {
    const bytes = bytesOf({ nodes: [{ name: 'attn', op_type: 'Attention', input: ['x'], output: ['y'] }] });
    expect(() => load(bytes)).toThrow(
      `loadOnnx: node 'attn' (Attention, opset 14): operator Attention is not supported; gatedrnn supports ${SUPPORTED_OPS.join(', ')}`,
    );
    expect(SUPPORTED_OPS).toEqual(expect.arrayContaining(['GRU', 'LSTM', 'RNN', 'Gemm', 'MatMul', 'Slice', 'Where', 'ArgMax']));
  });

  test('an unsupported attribute names it and lists the supported ones', () => {
    expect(() => load(gruModel([{ name: 'bogus', type: AttributeType.INT, i: 1 }]))).toThrow(
      "loadOnnx: node 'gru' (GRU, opset 14): attribute 'bogus' is not supported (supported: activation_alpha, activation_beta, activations, clip, direction, hidden_size, linear_before_reset, layout)",
    );
  });

  test('attributes follow the opset: layout only from 14, Squeeze axes only before 13', () => {
    expect(() => load(gruModel([{ name: 'layout', type: AttributeType.INT, i: 1 }], 13))).toThrow(
      "loadOnnx: node 'gru' (GRU, opset 13): attribute 'layout' is not supported (supported: activation_alpha, activation_beta, activations, clip, direction, hidden_size, linear_before_reset)",
    );
    const squeeze = bytesOf({
      nodes: [
        { name: 'sq', op_type: 'Squeeze', input: ['x'], output: ['y'], attribute: [{ name: 'axes', type: AttributeType.INTS, ints: [0] }] },
      ],
      opset: 13,
    });
    expect(() => load(squeeze)).toThrow("loadOnnx: node 'sq' (Squeeze, opset 13): attribute 'axes' is not supported (it takes none)");
  });

  test('attribute values are checked: type, direction, unsupported Cast targets and activations', () => {
    expect(() => load(gruModel([{ name: 'clip', type: AttributeType.INT, i: 1 }]))).toThrow(
      "loadOnnx: node 'gru' (GRU, opset 14): expected attribute 'clip' to be FLOAT, but it is INT",
    );
    expect(() => load(gruModel([{ name: 'direction', type: AttributeType.STRING, s: new TextEncoder().encode('sideways') }]))).toThrow(
      "loadOnnx: node 'gru' (GRU, opset 14): expected attribute 'direction' to be 'forward', 'reverse' or 'bidirectional', but received 'sideways'",
    );
    expect(() =>
      load(
        gruModel([
          { name: 'activations', type: AttributeType.STRINGS, strings: ['Sigmoid', 'Swish'].map((s) => new TextEncoder().encode(s)) },
        ]),
      ),
    ).toThrow(/^loadOnnx: node 'gru' \(GRU, opset 14\): new GruOp: expected each activation to be one of Relu, Tanh, Sigmoid/);
    const cast = bytesOf({
      nodes: [{ name: 'c', op_type: 'Cast', input: ['x'], output: ['y'], attribute: [{ name: 'to', type: AttributeType.INT, i: 11 }] }],
    });
    expect(() => load(cast)).toThrow(
      "loadOnnx: node 'c' (Cast, opset 14): attribute 'to' = 11 is not supported; gatedrnn casts to FLOAT (1), INT32 (6), INT64 (7) and BOOL (9)",
    );
  });

  test('recurrent weights that do not fit are reported at load, with the node', () => {
    const bytes = bytesOf({
      nodes: [gruNode()],
      inputs: [vi('x', [4, 2, 3])],
      initializers: [floats('W', [1, 6, 3]), floats('R', [1, 9, 2])],
    });
    expect(() => load(bytes)).toThrow(
      "loadOnnx: node 'gru' (GRU, opset 14): new GruOp: expected R.dims to be [1, 6, 2] (num_directions=1, 3*hidden_size, hidden_size), but received [1, 9, 2]",
    );
  });

  test('a recurrent node without its weights', () => {
    const bytes = bytesOf({ nodes: [gruNode([], ['x', '', 'R'])], inputs: [vi('x', [4, 2, 3])], initializers: gruInits });
    expect(() => load(bytes)).toThrow("loadOnnx: node 'gru' (GRU, opset 14): input 1 (W) is required but absent");
  });

  test('input counts are checked per opset', () => {
    const bytes = bytesOf({ nodes: [{ name: 'u', op_type: 'Unsqueeze', input: ['x'], output: ['y'] }], opset: 13 });
    expect(() => load(bytes)).toThrow("loadOnnx: node 'u' (Unsqueeze, opset 13): expected 2 inputs at opset 13, but the node has 1");
  });
});

describe('graph structure', () => {
  test('a cycle is named', () => {
    const bytes = bytesOf({
      nodes: [
        relu('a', 'x', 't'),
        { name: 'b', op_type: 'Add', input: ['t', 'u'], output: ['v'] },
        relu('c', 'v', 'u'),
        relu('d', 'v', 'y'),
      ],
    });
    expect(() => load(bytes)).toThrow(
      "loadOnnx: the graph has a cycle through node 'b' (Add, opset 14), node 'c' (Relu, opset 14), node 'd' (Relu, opset 14)",
    );
  });

  test('an input nothing produces, a value produced twice, an output nothing produces', () => {
    expect(() => load(bytesOf({ nodes: [relu('r', 'ghost', 'y')] }))).toThrow(
      "loadOnnx: node 'r' (Relu, opset 14): input 'ghost' is not a graph input, an initializer or any node's output",
    );
    expect(() => load(bytesOf({ nodes: [relu('r', 'x', 'y'), relu('s', 'x', 'y')] }))).toThrow(
      "loadOnnx: node 's' (Relu, opset 14): output 'y' is already produced by node 'r' (Relu, opset 14)",
    );
    expect(() => load(bytesOf({ nodes: [relu('r', 'x', 'z')] }))).toThrow("loadOnnx: graph output 'y' is not produced by any node");
  });

  test('opsets outside 7 to 22, other domains, no graph', () => {
    expect(() => load(bytesOf({ nodes: [relu('r', 'x', 'y')], opset: 6 }))).toThrow(
      'loadOnnx: the model uses opset 6; gatedrnn supports opsets 7 to 22',
    );
    expect(() => load(bytesOf({ nodes: [relu('r', 'x', 'y')], domain: 'ai.onnx.ml' }))).toThrow(
      "loadOnnx: the model imports no version of the default ONNX operator set (opset_import has no '' or 'ai.onnx' entry)",
    );
    expect(() =>
      load(bytesOf({ nodes: [{ name: 'q', op_type: 'QuickGelu', domain: 'com.microsoft', input: ['x'], output: ['y'] }] })),
    ).toThrow(
      "loadOnnx: node 'q' (QuickGelu, opset 14): operator domain 'com.microsoft' is not supported; gatedrnn runs the default ONNX domain only",
    );
    expect(() => load(encodeModel({ ir_version: 8, opset_import: [{ version: 14 }] }))).toThrow(
      'loadOnnx: the file holds no graph (ModelProto.graph is absent)',
    );
  });

  test('unsupported input types are named', () => {
    const bytes = bytesOf({ nodes: [relu('r', 'x', 'y')], inputs: [vi('x', [2], DataType.DOUBLE)] });
    expect(() => load(bytes)).toThrow(
      "loadOnnx: input 'x' has element type DOUBLE (11); gatedrnn supports FLOAT (float32), INT32 (int32) and INT64 (int64)",
    );
  });

  test('dead branches with unsupported ops are dropped, as onnxruntime does', () => {
    const bytes = bytesOf({ nodes: [relu('r', 'x', 'y'), { name: 'dead', op_type: 'Attention', input: ['x'], output: ['unused'] }] });
    const out = load(bytes).runSync({ x: new Tensor('float32', Float32Array.from([-1, 2, -3, 4, 5, -6]), [2, 3]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([0, 2, 0, 4, 5, 0]);
  });
});

describe('hostile tensors', () => {
  test('a tensor that declares more data than the file holds', () => {
    const big: Init<TensorProto> = { name: 'W', dims: [1000, 1000, 1000], data_type: F, raw_data: new Uint8Array(16) };
    const bytes = bytesOf({ nodes: [relu('r', 'W', 'y')], inputs: [], initializers: [big] });
    expect(() => load(bytes)).toThrow('ONNX: TensorProto.raw_data at byte');
    expect(() => load(bytes)).toThrow(
      "tensor 'W' has dims [1000, 1000, 1000]: 1000000000 FLOAT elements need 4000000000 bytes, but raw_data holds 16",
    );
  });

  test('external data is refused', () => {
    const ext: Init<TensorProto> = {
      name: 'W',
      dims: [4],
      data_type: F,
      data_location: 1,
      external_data: [{ key: 'location', value: 'weights.bin' }],
    };
    expect(() => load(bytesOf({ nodes: [relu('r', 'W', 'y')], inputs: [], initializers: [ext] }))).toThrow(
      "tensor 'W': external data is not supported (its data lives in another file); save the model with its weights inside the .onnx file",
    );
  });

  test('a tiny file asking for a huge ConstantOfShape loads (nothing folded) and fails at run with the node named', () => {
    const bytes = bytesOf({
      nodes: [
        { name: 'zeros', op_type: 'ConstantOfShape', input: ['shape'], output: ['z'] },
        { name: 'add', op_type: 'Add', input: ['z', 'x'], output: ['y'] },
      ],
      initializers: [int64s('shape', [100000, 100000, 100000])],
    });
    expect(bytes.length).toBeLessThan(200);
    const session = load(bytes);
    expect(() => session.runSync({ x: new Tensor('float32', new Float32Array(6), [2, 3]) })).toThrow(
      /^OnnxSession\.runSync: node 'zeros' \(ConstantOfShape, opset 14\): a float32 output of dims \[100000, 100000, 100000\] would need 3725290\.3 GiB, more than the [\d.]+ GiB one tensor may use$/,
    );
  });

  test('a broadcast too large to hold is refused before anything is allocated', () => {
    const bytes = bytesOf({
      nodes: [{ name: 'add', op_type: 'Add', input: ['a', 'b'], output: ['y'] }],
      inputs: [vi('a', ['n', 1]), vi('b', [1, 'n'])],
      outputs: [vi('y', ['n', 'n'])],
    });
    const session = load(bytes);
    const a = new Tensor('float32', new Float32Array(300000), [300000, 1]);
    const b = new Tensor('float32', new Float32Array(300000), [1, 300000]);
    expect(() => session.runSync({ a, b })).toThrow(
      /^OnnxSession\.runSync: node 'add' \(Add, opset 14\): a float32 output of dims \[300000, 300000\] would need 335\.3 GiB/,
    );
  });

  test('folding at load is bounded: a large Range is left for run time', () => {
    const bytes = bytesOf({
      nodes: [{ name: 'range', op_type: 'Range', input: ['a', 'b', 'c'], output: ['y'] }],
      inputs: [],
      outputs: [vi('y', ['n'], DataType.INT64)],
      initializers: [int64s('a', [0], []), int64s('b', [50_000_000], []), int64s('c', [1], [])],
    });
    const before = process.memoryUsage().arrayBuffers;
    load(bytes);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  test('shape errors found while folding name the node at load', () => {
    const bytes = bytesOf({
      nodes: [{ name: 'reshape', op_type: 'Reshape', input: ['w', 'shape'], output: ['y'] }],
      inputs: [],
      initializers: [floats('w', [2, 3]), int64s('shape', [4, 2])],
    });
    expect(() => load(bytes)).toThrow("loadOnnx: node 'reshape' (Reshape, opset 14): cannot reshape dims [2, 3] (6 elements) to [4, 2]");
  });

  test('run-time index errors name the node', () => {
    const bytes = bytesOf({
      nodes: [{ name: 'embed', op_type: 'Gather', input: ['table', 'ids'], output: ['y'] }],
      inputs: [vi('ids', ['n'], DataType.INT64)],
      initializers: [floats('table', [4, 3])],
    });
    const session = load(bytes);
    expect(() => session.runSync({ ids: new Tensor('int64', BigInt64Array.from([1n, 4n]), [2]) })).toThrow(
      "OnnxSession.runSync: node 'embed' (Gather, opset 14): index 4 (at 1) is out of range for axis 0 of size 4",
    );
  });
});

describe('truncated, mutated and random files', () => {
  const root = path.resolve(__dirname, '..', '..');

  test('every truncation of a real model throws an Error', () => {
    const bytes = require('node:fs').readFileSync(path.join(root, 'test/fixtures/onnx/torch_gru_state.onnx'));
    for (let n = 0; n < bytes.length; n += 7) {
      const cut = new Uint8Array(bytes.subarray(0, n));
      expect(() => load(cut)).toThrow(Error);
    }
  });

  test('5000 fixed-seed fuzz cases each load (and run or throw) or throw an Error', () => {
    const r = fuzz(
      { OnnxSession, Tensor },
      { cases: 5000, seed: 1234, root, codec: { decodeModel, encodeModel }, opTypes: [...SUPPORTED_OPS, 'Scan'] },
    );
    expect(r.failures).toEqual([]);
    expect(r.rejected + r.loaded).toBe(5000);
    // The mutations reach past the decoder: some files still load and run.
    expect(r.loaded).toBeGreaterThan(50);
    expect(r.ran).toBeGreaterThan(20);
  });

  test('mutate is deterministic for a seed', () => {
    const base = Uint8Array.from({ length: 100 }, (_, k) => k);
    const a = mutate(rng(9), base, [base]);
    const b = mutate(rng(9), base, [base]);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
