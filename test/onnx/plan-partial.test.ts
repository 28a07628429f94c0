// A graph the native plan covers only in part: the covered steps run as native segments, the
// nodes outside the plan through the interpreter between them, and the outputs equal the
// interpreter's alone (run and runSync), whatever types cross between the two (float32, int64
// from the interpreter into the plan, bool from the plan into the interpreter).

import { loadOnnx, Tensor } from '../../lib';
import { OnnxGraphBuilder } from '../../lib/onnx/export';
import type { OnnxSession } from '../../lib/onnx/session';
import { expectClose, mulberry32 } from '../helpers/onnx';

type Feeds = Record<string, Tensor>;

function floats(rng: () => number, dims: number[]): Tensor<'float32'> {
  return new Tensor(
    'float32',
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1),
    dims,
  );
}

/** Runs both sessions on the feeds; returns the planned session's step counts of each call. */
async function expectSame(bytes: Uint8Array, feeds: Feeds): Promise<OnnxSession['lastRunSteps'][]> {
  const plan = await loadOnnx(bytes);
  const interp = await loadOnnx(bytes, { plan: false });
  const counts: OnnxSession['lastRunSteps'][] = [];
  try {
    const want = interp.runSync(feeds);
    for (const run of [() => Promise.resolve(plan.runSync(feeds)), () => plan.run(feeds)]) {
      const got = await run();
      counts.push({ ...plan.lastRunSteps });
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const name of Object.keys(want)) {
        expect(got[name].type).toBe(want[name].type);
        if (got[name].type === 'float32') expectClose(got[name], want[name], { atol: 1e-6, rtol: 0, label: name });
        else expect(Array.from(got[name].data as ArrayLike<unknown>)).toEqual(Array.from(want[name].data as ArrayLike<unknown>));
      }
    }
    expect(plan.usesPlan(feeds)).toBe(false);
  } finally {
    plan.dispose();
    interp.dispose();
  }
  return counts;
}

describe('a node outside the plan between covered ones', () => {
  const rng = mulberry32(11);

  test('float32: MatMul, Relu | Mul of two computed values | MatMul, Softmax; an output from each side', async () => {
    const b = new OnnxGraphBuilder('partial_float');
    const x = b.input('x', 'float32', ['n', 4]);
    const w1 = b.initializer('w1', floats(rng, [4, 6]));
    const w2 = b.initializer('w2', floats(rng, [6, 3]));
    const [h] = b.node('MatMul', [x, w1], ['h']);
    const [r] = b.node('Relu', [h], ['r']);
    const [sq] = b.node('Mul', [r, h], ['sq']);
    const [z] = b.node('MatMul', [sq, w2], ['z']);
    b.node('Softmax', [z], ['p'], { axis: -1 });
    b.output('r', 'float32', ['n', 6]);
    b.output('p', 'float32', ['n', 3]);
    const bytes = b.build({ opset: 14 });
    for (const n of [1, 5]) {
      const counts = await expectSame(bytes, { x: floats(rng, [n, 4]) });
      for (const c of counts) expect(c).toEqual({ planned: 4, interpreted: 1 });
    }
  });

  test('int64 ids from the interpreter (ArgMax) into an embedding Gather; a bool mask from the plan into Cast', async () => {
    const b = new OnnxGraphBuilder('partial_ints');
    const x = b.input('x', 'float32', ['n', 't', 4]);
    const w = b.initializer('w', floats(rng, [4, 5]));
    const table = b.initializer('table', floats(rng, [5, 3]));
    const zero = b.initializer('zero', { type: 'int64', data: BigInt64Array.of(0n), dims: [] });
    const [scores] = b.node('MatMul', [x, w], ['scores']);
    const [ids] = b.node('ArgMax', [scores], ['ids'], { axis: -1, keepdims: 0 });
    const [e] = b.node('Gather', [table, ids], ['e']);
    b.node('Tanh', [e], ['y']);
    const [isZero] = b.node('Equal', [ids, zero], ['is_zero']);
    b.node('Cast', [isZero], ['mask'], { to: 1 });
    b.output('y', 'float32', ['n', 't', 3]);
    b.output('mask', 'float32', ['n', 't']);
    b.output('ids', 'int64', ['n', 't']);
    const bytes = b.build({ opset: 14 });
    for (const [n, t] of [
      [1, 1],
      [3, 7],
    ]) {
      const counts = await expectSame(bytes, { x: floats(rng, [n, t, 4]) });
      for (const c of counts) expect(c).toEqual({ planned: 4, interpreted: 2 });
    }
  });

  test('the first node outside the plan: the steps after it are still planned', async () => {
    const b = new OnnxGraphBuilder('partial_first');
    const x = b.input('x', 'float32', ['n', 4]);
    const w = b.initializer('w', floats(rng, [4, 2]));
    const [a] = b.node('Abs', [x], ['a']);
    const [m] = b.node('MatMul', [a, w], ['m']);
    b.node('Sigmoid', [m], ['y']);
    b.output('y', 'float32', ['n', 2]);
    const counts = await expectSame(b.build({ opset: 14 }), { x: floats(rng, [2, 4]) });
    for (const c of counts) expect(c).toEqual({ planned: 2, interpreted: 1 });
  });

  test("an input first read after another input's place was freed (Equal, then Where with a fed tensor) keeps its own place", async () => {
    const b = new OnnxGraphBuilder('late_input');
    b.input('ids', 'int64', ['n', 4]);
    b.input('x', 'float32', ['n', 4]);
    b.initializer('pad', { type: 'int64', data: BigInt64Array.of(0n), dims: [] });
    b.initializer('fill', { type: 'float32', data: Float32Array.of(-1e9), dims: [1] });
    const [mask] = b.node('Equal', ['ids', 'pad'], ['mask']);
    b.node('Where', [mask, 'fill', 'x'], ['masked']);
    b.output('masked', 'float32', ['n', 4]);
    const feeds = {
      ids: new Tensor('int64', BigInt64Array.of(0n, 1n, 2n, 0n), [1, 4]),
      x: new Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]),
    };
    const counts = await expectSame(b.build({ opset: 13 }), feeds);
    for (const c of counts) expect(c).toEqual({ planned: 1, interpreted: 1 });
  });
});
