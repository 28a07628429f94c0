/** @jest-environment ./test/helpers/node-realm-environment.ts */

// Every non-recurrent op of the loader against onnxruntime-node on small random cases:
// broadcasting, negative axes, the opset variants where attributes became inputs, float32,
// int32 and int64. Each case is a one- or two-node model made with OnnxGraphBuilder; int
// parameters (axes, starts, shapes) are initializers, as exporters write them, so they are also
// folded at load, and every case runs a second time with them fed as graph inputs.

import { OnnxGraphBuilder, Tensor, loadOnnx } from '../../lib';
import type { AttrValue } from '../../lib';
import { expectClose, mulberry32, runOrt } from '../helpers/onnx';

type T = Tensor;
const rng = mulberry32(20240611);
const f32 = (dims: number[], lo = -1, hi = 1): T =>
  new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng()),
    dims,
  );
const i64 = (values: number[], dims = [values.length]): T =>
  new Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
const i32 = (values: number[], dims = [values.length]): T => new Tensor('int32', Int32Array.from(values), dims);
const ints = (dims: number[], lo: number, hi: number, type: 'int32' | 'int64' = 'int64'): T => {
  const values = Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => lo + Math.floor(rng() * (hi - lo)));
  return type === 'int64' ? i64(values, dims) : i32(values, dims);
};

interface Case {
  name: string;
  opset: number;
  op: string;
  /** Data inputs (fed), by position; null for an absent optional input. */
  data: (T | null)[];
  /** Parameter inputs after the data inputs (initializers, or fed in the second run). */
  params?: (T | null)[];
  attrs?: Record<string, AttrValue>;
  outputs?: ('float32' | 'int32' | 'int64')[];
}

function build(c: Case, paramsAsInputs: boolean): { bytes: Uint8Array; feeds: Record<string, T> } {
  const b = new OnnxGraphBuilder(c.name);
  const feeds: Record<string, T> = {};
  const names = [...c.data, ...(c.params ?? [])].map((t, k) => {
    if (t === null) return '';
    const name = `in${k}`;
    if (k >= c.data.length && !paramsAsInputs) return b.initializer(name, t);
    feeds[name] = t;
    return b.input(name, t.type, t.dims);
  });
  const types = c.outputs ?? ['float32'];
  const outs = b.node(
    c.op,
    names,
    types.map((_, k) => `out${k}`),
    c.attrs ?? {},
  );
  outs.forEach((o, k) => b.output(o, types[k]));
  return { bytes: b.build({ opset: c.opset }), feeds };
}

const CASES: Case[] = [
  // Elementwise, with broadcasting
  { name: 'Add same shape', opset: 14, op: 'Add', data: [f32([2, 3]), f32([2, 3])] },
  { name: 'Add bias broadcast', opset: 14, op: 'Add', data: [f32([2, 3, 4]), f32([4])] },
  { name: 'Sub both broadcast', opset: 14, op: 'Sub', data: [f32([3, 1]), f32([1, 4])] },
  { name: 'Mul rank mismatch', opset: 13, op: 'Mul', data: [f32([2, 1, 4]), f32([3, 1])] },
  { name: 'Div scalar', opset: 7, op: 'Div', data: [f32([2, 5]), f32([], 0.5, 2)] },
  { name: 'Add int64', opset: 14, op: 'Add', data: [ints([2, 3], -50, 50), ints([3], -5, 5)], outputs: ['int64'] },
  { name: 'Mul int32', opset: 14, op: 'Mul', data: [ints([4], -50, 50, 'int32'), ints([1], -5, 5, 'int32')], outputs: ['int32'] },
  { name: 'Div int64 truncates', opset: 14, op: 'Div', data: [i64([7, -7, 9, -9]), i64([2, 2, -4, -4])], outputs: ['int64'] },
  { name: 'Pow', opset: 15, op: 'Pow', data: [f32([3, 2], 0.1, 2), f32([2], -2, 2)] },
  { name: 'Neg float', opset: 13, op: 'Neg', data: [f32([5])] },
  { name: 'Neg int64', opset: 13, op: 'Neg', data: [ints([5], -9, 9)], outputs: ['int64'] },
  { name: 'Abs', opset: 13, op: 'Abs', data: [f32([2, 3])] },
  { name: 'Exp', opset: 13, op: 'Exp', data: [f32([7], -3, 3)] },
  { name: 'Log', opset: 13, op: 'Log', data: [f32([7], 0.01, 5)] },
  { name: 'Sqrt', opset: 13, op: 'Sqrt', data: [f32([7], 0, 5)] },
  { name: 'Sigmoid', opset: 13, op: 'Sigmoid', data: [f32([9], -20, 20)] },
  { name: 'Tanh', opset: 13, op: 'Tanh', data: [f32([9], -5, 5)] },
  { name: 'Relu', opset: 14, op: 'Relu', data: [f32([9])] },
  { name: 'LeakyRelu', opset: 16, op: 'LeakyRelu', data: [f32([9])], attrs: { alpha: { float: 0.2 } } },
  { name: 'LeakyRelu default alpha', opset: 7, op: 'LeakyRelu', data: [f32([9])] },
  {
    name: 'Clip attrs (opset 6 semantics at 7)',
    opset: 7,
    op: 'Clip',
    data: [f32([8], -2, 2)],
    attrs: { min: { float: -0.5 }, max: { float: 0.75 } },
  },
  { name: 'Clip inputs (opset 13)', opset: 13, op: 'Clip', data: [f32([8], -2, 2)], params: [f32([], -0.5, -0.4), f32([], 0.5, 0.6)] },
  { name: 'Clip max only (opset 13)', opset: 13, op: 'Clip', data: [f32([8], -2, 2)], params: [null, f32([], 0.5, 0.6)] },
  {
    name: 'Clip int64 (opset 12)',
    opset: 12,
    op: 'Clip',
    data: [ints([8], -9, 9)],
    params: [i64([-3], []), i64([4], [])],
    outputs: ['int64'],
  },
  { name: 'Cast float to int64', opset: 13, op: 'Cast', data: [f32([6], -9, 9)], attrs: { to: 7 }, outputs: ['int64'] },
  { name: 'Cast float to int32', opset: 13, op: 'Cast', data: [f32([6], -9, 9)], attrs: { to: 6 }, outputs: ['int32'] },
  { name: 'Cast int64 to float', opset: 13, op: 'Cast', data: [ints([6], -9, 9)], attrs: { to: 1 }, outputs: ['float32'] },
  { name: 'Cast int32 to int64', opset: 9, op: 'Cast', data: [ints([6], -9, 9, 'int32')], attrs: { to: 7 }, outputs: ['int64'] },
  { name: 'Identity', opset: 14, op: 'Identity', data: [f32([2, 2])] },
  // Shape and data movement
  { name: 'Shape', opset: 13, op: 'Shape', data: [f32([2, 3, 4])], outputs: ['int64'] },
  { name: 'Shape start end', opset: 15, op: 'Shape', data: [f32([2, 3, 4, 5])], attrs: { start: 1, end: -1 }, outputs: ['int64'] },
  { name: 'Gather axis 0 (embedding)', opset: 13, op: 'Gather', data: [f32([10, 4])], params: [i64([1, 9, -1, 0, 3, 3], [2, 3])] },
  { name: 'Gather axis 1 int32 indices', opset: 11, op: 'Gather', data: [f32([2, 5, 3])], params: [i32([4, 0])], attrs: { axis: 1 } },
  {
    name: 'Gather scalar index',
    opset: 13,
    op: 'Gather',
    data: [ints([4, 3], 0, 9)],
    params: [i64([2], [])],
    attrs: { axis: -1 },
    outputs: ['int64'],
  },
  { name: 'Unsqueeze attr (opset 11)', opset: 11, op: 'Unsqueeze', data: [f32([2, 3])], attrs: { axes: [0, -1] } },
  { name: 'Unsqueeze input (opset 13)', opset: 13, op: 'Unsqueeze', data: [f32([2, 3])], params: [i64([1, 3])] },
  { name: 'Squeeze attr (opset 11)', opset: 11, op: 'Squeeze', data: [f32([1, 3, 1])], attrs: { axes: [-1] } },
  { name: 'Squeeze input (opset 13)', opset: 13, op: 'Squeeze', data: [f32([1, 3, 1])], params: [i64([0])] },
  { name: 'Squeeze all ones', opset: 13, op: 'Squeeze', data: [f32([1, 3, 1])] },
  { name: 'Concat axis 1', opset: 13, op: 'Concat', data: [f32([2, 1, 3]), f32([2, 4, 3]), f32([2, 2, 3])], attrs: { axis: 1 } },
  { name: 'Concat int64 axis -1', opset: 11, op: 'Concat', data: [i64([1]), i64([5, 6])], attrs: { axis: -1 }, outputs: ['int64'] },
  { name: 'Transpose default', opset: 13, op: 'Transpose', data: [f32([2, 3, 4])] },
  { name: 'Transpose perm', opset: 13, op: 'Transpose', data: [f32([2, 3, 4, 5])], attrs: { perm: [0, 2, 1, 3] } },
  { name: 'Reshape 0 and -1', opset: 13, op: 'Reshape', data: [f32([2, 3, 4])], params: [i64([0, -1])] },
  {
    name: 'Reshape allowzero=0 (opset 14)',
    opset: 14,
    op: 'Reshape',
    data: [f32([2, 3, 4])],
    params: [i64([4, 0, 2])],
    attrs: { allowzero: 0 },
  },
  { name: 'Slice attrs (opset 9)', opset: 9, op: 'Slice', data: [f32([4, 5])], attrs: { starts: [1, -3], ends: [1000, -1], axes: [0, 1] } },
  { name: 'Slice inputs (opset 10)', opset: 10, op: 'Slice', data: [f32([4, 5])], params: [i64([0, 1]), i64([3, 4])] },
  {
    name: 'Slice negative step (opset 13)',
    opset: 13,
    op: 'Slice',
    data: [f32([4, 6])],
    params: [i64([-1, 5]), i64([-1000, 0]), i64([0, 1]), i64([-1, -2])],
  },
  {
    name: 'Slice INT64_MAX end',
    opset: 13,
    op: 'Slice',
    data: [f32([3, 4])],
    params: [i64([1]), new Tensor('int64', BigInt64Array.from([2n ** 63n - 1n]), [1]), i64([1])],
  },
  {
    name: 'Split attr (opset 11)',
    opset: 11,
    op: 'Split',
    data: [f32([2, 6])],
    attrs: { axis: 1, split: [1, 2, 3] },
    outputs: ['float32', 'float32', 'float32'],
  },
  { name: 'Split input (opset 13)', opset: 13, op: 'Split', data: [f32([5, 2])], params: [i64([2, 3])], outputs: ['float32', 'float32'] },
  {
    name: 'Split equal (opset 13)',
    opset: 13,
    op: 'Split',
    data: [f32([2, 6])],
    attrs: { axis: -1 },
    outputs: ['float32', 'float32', 'float32'],
  },
  {
    name: 'Split num_outputs (opset 18)',
    opset: 18,
    op: 'Split',
    data: [f32([7, 2])],
    attrs: { num_outputs: 3 },
    outputs: ['float32', 'float32', 'float32'],
  },
  { name: 'Flatten axis 0', opset: 13, op: 'Flatten', data: [f32([2, 3, 4])], attrs: { axis: 0 } },
  { name: 'Flatten axis -1', opset: 13, op: 'Flatten', data: [f32([2, 3, 4])], attrs: { axis: -1 } },
  { name: 'Expand', opset: 13, op: 'Expand', data: [f32([3, 1])], params: [i64([2, 1, 4])] },
  { name: 'Range float', opset: 11, op: 'Range', data: [f32([], 0, 1), f32([], 4, 6), f32([], 0.5, 1)] },
  { name: 'Range int64 negative delta', opset: 11, op: 'Range', data: [i64([10], []), i64([1], []), i64([-3], [])], outputs: ['int64'] },
  { name: 'ConstantOfShape default', opset: 9, op: 'ConstantOfShape', data: [], params: [i64([2, 3])] },
  {
    name: 'ConstantOfShape int64 value',
    opset: 13,
    op: 'ConstantOfShape',
    data: [],
    params: [i64([3])],
    attrs: { value: i64([7], [1]) },
    outputs: ['int64'],
  },
  // Softmax and reductions
  { name: 'Softmax opset 11 (2-D coercion)', opset: 11, op: 'Softmax', data: [f32([2, 3, 4], -3, 3)], attrs: { axis: 1 } },
  { name: 'Softmax opset 13 axis 1', opset: 13, op: 'Softmax', data: [f32([2, 3, 4], -3, 3)], attrs: { axis: 1 } },
  { name: 'Softmax default axis', opset: 13, op: 'Softmax', data: [f32([2, 5], -30, 30)] },
  { name: 'LogSoftmax opset 13', opset: 13, op: 'LogSoftmax', data: [f32([3, 4], -3, 3)], attrs: { axis: 0 } },
  { name: 'LogSoftmax opset 11 default', opset: 11, op: 'LogSoftmax', data: [f32([3, 4], -3, 3)] },
  { name: 'ReduceSum attr (opset 11)', opset: 11, op: 'ReduceSum', data: [f32([2, 3, 4])], attrs: { axes: [0, 2], keepdims: 0 } },
  { name: 'ReduceSum input (opset 13)', opset: 13, op: 'ReduceSum', data: [f32([2, 3, 4])], params: [i64([-1])] },
  { name: 'ReduceSum all', opset: 13, op: 'ReduceSum', data: [f32([2, 3])] },
  {
    name: 'ReduceSum int64',
    opset: 13,
    op: 'ReduceSum',
    data: [ints([2, 3], -9, 9)],
    params: [i64([1])],
    attrs: { keepdims: 0 },
    outputs: ['int64'],
  },
  { name: 'ReduceMean attr (opset 13)', opset: 13, op: 'ReduceMean', data: [f32([2, 3, 4])], attrs: { axes: [1] } },
  {
    name: 'ReduceMean input (opset 18)',
    opset: 18,
    op: 'ReduceMean',
    data: [f32([2, 3, 4])],
    params: [i64([0, 1])],
    attrs: { keepdims: 0 },
  },
  { name: 'ArgMax', opset: 13, op: 'ArgMax', data: [f32([3, 5])], attrs: { axis: 1, keepdims: 0 }, outputs: ['int64'] },
  {
    name: 'ArgMax select_last_index',
    opset: 13,
    op: 'ArgMax',
    data: [i64([1, 3, 3, 0, 3, 2], [2, 3])],
    attrs: { axis: -1, select_last_index: 1 },
    outputs: ['int64'],
  },
  // Dense layers
  {
    name: 'Gemm transB with bias (torch Linear)',
    opset: 13,
    op: 'Gemm',
    data: [f32([3, 5])],
    params: [f32([4, 5]), f32([4])],
    attrs: { transB: 1 },
  },
  {
    name: 'Gemm transA alpha beta, C [M, 1]',
    opset: 11,
    op: 'Gemm',
    data: [f32([5, 3])],
    params: [f32([5, 4]), f32([3, 1])],
    attrs: { transA: 1, alpha: 0.5, beta: { float: 2 } },
  },
  { name: 'Gemm without C', opset: 13, op: 'Gemm', data: [f32([2, 3])], params: [f32([3, 4])] },
  { name: 'Gemm scalar C', opset: 9, op: 'Gemm', data: [f32([2, 3])], params: [f32([4, 3]), f32([1])], attrs: { transB: 1, transA: 0 } },
  { name: 'MatMul 2-D', opset: 13, op: 'MatMul', data: [f32([3, 5])], params: [f32([5, 2])] },
  { name: 'MatMul 3-D x 2-D (time distributed)', opset: 13, op: 'MatMul', data: [f32([2, 7, 5])], params: [f32([5, 3])] },
  { name: 'MatMul batched broadcast', opset: 13, op: 'MatMul', data: [f32([2, 1, 3, 4]), f32([3, 4, 5])] },
  { name: 'MatMul vector x matrix', opset: 13, op: 'MatMul', data: [f32([4])], params: [f32([4, 3])] },
  { name: 'MatMul matrix x vector', opset: 13, op: 'MatMul', data: [f32([2, 3, 4]), f32([4])] },
];

describe('each op matches onnxruntime-node', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    for (const paramsAsInputs of c.params ? [false, true] : [false]) {
      const { bytes, feeds } = build(c, paramsAsInputs);
      const want = await runOrt(bytes, feeds);
      const session = await loadOnnx(bytes);
      const got = session.runSync(feeds);
      for (const name of session.outputNames) {
        expect(got[name].type).toBe(want[name].type);
        expectClose(got[name], want[name], { atol: 1e-6, rtol: 1e-5, label: `${c.name} ${name}${paramsAsInputs ? ' (params fed)' : ''}` });
      }
      session.dispose();
    }
  });
});

describe('graphs of several ops', () => {
  test('Equal feeding Where, with broadcasting (a bool value between nodes)', async () => {
    const b = new OnnxGraphBuilder('mask');
    b.input('ids', 'int64', ['n', 4]);
    b.input('x', 'float32', ['n', 4]);
    b.initializer('pad', i64([0], []));
    b.initializer('fill', new Tensor('float32', Float32Array.from([-1e9]), [1]));
    const [mask] = b.node('Equal', ['ids', 'pad'], ['mask']);
    b.node('Where', [mask, 'fill', 'x'], ['masked']);
    b.output('masked', 'float32', ['n', 4]);
    const bytes = b.build({ opset: 13 });
    const feeds = { ids: ints([3, 4], 0, 3), x: f32([3, 4]) };
    const session = await loadOnnx(bytes);
    expectClose(session.runSync(feeds).masked, (await runOrt(bytes, feeds)).masked, { atol: 0, rtol: 0 });
  });

  test('Constant forms fold at load (value, value_floats, value_int)', async () => {
    const b = new OnnxGraphBuilder('consts');
    b.input('x', 'float32', [3]);
    const [c1] = b.node('Constant', [], ['c1'], { value_floats: { floats: [1.5, 2, 3] } });
    const [c2] = b.node('Constant', [], ['c2'], { value: new Tensor('float32', Float32Array.from([0.5]), []) });
    const [n] = b.node('Constant', [], ['n'], { value_int: 2 });
    const [s] = b.node('Add', [c1, c2], ['s']);
    const [p] = b.node('Mul', ['x', s], ['p']);
    const [nf] = b.node('Cast', [n], ['nf'], { to: 1 });
    b.node('Pow', [p, nf], ['y']);
    b.output('y', 'float32', [3]);
    const bytes = b.build({ opset: 13 });
    const feeds = { x: f32([3]) };
    const session = await loadOnnx(bytes);
    expectClose(session.runSync(feeds).y, (await runOrt(bytes, feeds)).y, { atol: 1e-6, rtol: 1e-6 });
  });

  test('shape arithmetic on a dynamic batch (the torch initial-state pattern)', async () => {
    // Shape -> Gather(0) -> Unsqueeze -> Concat([1], b, [H]) -> ConstantOfShape -> Add
    const b = new OnnxGraphBuilder('state');
    b.input('x', 'float32', ['batch', 3]);
    const [shape] = b.node('Shape', ['x'], ['shape']);
    b.initializer('zero', i64([0], []));
    b.initializer('axes', i64([0]));
    b.initializer('one', i64([1]));
    b.initializer('three', i64([3]));
    const [batch] = b.node('Gather', [shape, 'zero'], ['batch'], { axis: 0 });
    const [batch1] = b.node('Unsqueeze', [batch, 'axes'], ['batch1']);
    const [dims] = b.node('Concat', ['one', batch1, 'three'], ['dims'], { axis: 0 });
    const [zeros] = b.node('ConstantOfShape', [dims], ['zeros'], { value: new Tensor('float32', Float32Array.from([0.25]), [1]) });
    b.node('Add', [zeros, 'x'], ['y']);
    b.output('y', 'float32', [1, 'batch', 3]);
    const bytes = b.build({ opset: 14 });
    const session = await loadOnnx(bytes);
    for (const n of [1, 4]) {
      const feeds = { x: f32([n, 3]) };
      expectClose(session.runSync(feeds).y, (await runOrt(bytes, feeds)).y, { atol: 0, rtol: 0 });
    }
  });
});
