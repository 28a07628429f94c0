// The native plan (a whole graph as one native call) against the interpreter (node by node) on
// every ONNX fixture, every conformance case (its weights made initializers, as exported models
// hold them) and models written by toOnnx: the same outputs, through run and runSync, at several
// shapes. Shapes or nodes the plan does not cover, and data it refuses, go through the
// interpreter with its own results and messages.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { layers, loadOnnx, sequential, Tensor } from '../../lib';
import type { OnnxSession } from '../../lib/onnx/session';
import { OnnxGraphBuilder } from '../../lib/onnx/export';
import { asRnnAttrs, buildRnnModel, expectClose, loadConformanceCase, mulberry32, rnnModelFeeds } from '../helpers/onnx';

type Feeds = Record<string, Tensor>;

async function sessions(bytes: Uint8Array): Promise<[OnnxSession, OnnxSession]> {
  return [await loadOnnx(bytes), await loadOnnx(bytes, { plan: false })];
}

/** The plan's outputs equal the interpreter's (run and runSync), and the plan did run them. */
async function expectPlanMatches(bytes: Uint8Array, feeds: Feeds, label: string, atol = 1e-6): Promise<void> {
  const [plan, interp] = await sessions(bytes);
  try {
    expect(plan.usesPlan(feeds)).toBe(true);
    expect(interp.usesPlan(feeds)).toBe(false);
    const want = interp.runSync(feeds);
    for (const got of [plan.runSync(feeds), await plan.run(feeds)]) {
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const name of Object.keys(want)) expectClose(got[name], want[name], { atol, rtol: 0, label: `${label} ${name}` });
    }
  } finally {
    plan.dispose();
    interp.dispose();
  }
}

function feedsFor(session: OnnxSession, B: number, T: number, seed: number): Feeds {
  const rng = mulberry32(seed);
  const feeds: Feeds = {};
  for (const m of session.inputMetadata) {
    const dims = m.shape!.map((d) => (typeof d === 'number' ? d : /batch|^n$/i.test(String(d)) ? B : T));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[m.name] =
      m.type === 'int64'
        ? new Tensor(
            'int64',
            BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rng() * 50))),
            dims,
          )
        : new Tensor(
            'float32',
            Float32Array.from({ length: n }, () => rng() * 2 - 1),
            dims,
          );
  }
  return feeds;
}

const FIXTURES = path.resolve(__dirname, '../fixtures/onnx');
const CONFORMANCE = path.resolve(__dirname, '../fixtures/conformance/onnx-node');

describe('every fixture of test/fixtures/onnx', () => {
  const files = fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.onnx'))
    .sort();
  test('there are fixtures', () => expect(files.length).toBeGreaterThanOrEqual(4));
  test.each(files)("%s: the plan gives the interpreter's outputs at (B, T) = (1, 1), (1, 100), (16, 100), (3, 7)", async (file) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, file));
    const probe = await loadOnnx(bytes, { plan: false });
    for (const [B, T] of [
      [1, 1],
      [1, 100],
      [16, 100],
      [3, 7],
    ])
      await expectPlanMatches(bytes, feedsFor(probe, B, T, B * 1000 + T), `${file} B=${B} T=${T}`);
    probe.dispose();
  });
});

describe('every conformance case, its weights as initializers', () => {
  const cases = fs
    .readdirSync(CONFORMANCE)
    .filter((d) => fs.statSync(path.join(CONFORMANCE, d)).isDirectory())
    .sort();
  test('all 12 are here', () => expect(cases).toHaveLength(12));
  test.each(cases)("%s: the plan gives the interpreter's outputs and the expected ones", async (name) => {
    const c = loadConformanceCase(path.join(CONFORMANCE, name));
    const bytes = buildRnnModel({
      opType: c.opType,
      attrs: asRnnAttrs(c.attrs),
      inputs: c.inputs,
      outputs: Object.keys(c.outputs) as never,
      opset: Math.max(c.opset, 14),
    });
    const feeds = rnnModelFeeds(c.inputs) as Feeds;
    await expectPlanMatches(bytes, feeds, name);
    const [plan] = await sessions(bytes);
    const got = await plan.run(feeds);
    for (const [slot, want] of Object.entries(c.outputs)) expectClose(got[slot], want!, { atol: 1e-5, rtol: 0, label: `${name} ${slot}` });
    plan.dispose();
  });
});

describe('models written by toOnnx', () => {
  const rng = mulberry32(5);
  const ids = (B: number, T: number, lengths?: number[]) =>
    new Tensor(
      'int32',
      Int32Array.from({ length: B * T }, (_, i) => (lengths && i % T >= lengths[Math.floor(i / T)] ? 0 : 1 + Math.floor(rng() * 29))),
      [B, T],
    );

  test('the README classifier (maskZero, GRU, bidirectional LSTM, dropout, softmax): padded batches', async () => {
    const model = sequential(
      [
        layers.embedding({ inputDim: 30, outputDim: 8, maskZero: true }),
        layers.gru({ units: 6, returnSequences: true }),
        layers.bidirectional({ layer: layers.lstm({ units: 5 }) }),
        layers.dropout({ rate: 0.2 }),
        layers.dense({ units: 4, activation: 'softmax' }),
      ],
      { seed: 42 },
    );
    model.build([null]);
    const bytes = model.toOnnx();
    await expectPlanMatches(bytes, { tokens: ids(8, 20, [20, 3, 11, 1, 7, 20, 15, 2]) }, 'readme');
    await expectPlanMatches(bytes, { tokens: ids(1, 1) }, 'readme 1x1');
    // model.toSession() is the same session.
    const session = model.toSession();
    const x = ids(2, 9);
    expectClose((await session.run({ tokens: x })).probabilities, await model.predict(x), { atol: 1e-5, rtol: 0 });
    session.dispose();
  });

  test('features through an LSTM with sequences, dense relu and linear per step (MatMul + Add)', async () => {
    const model = sequential(
      [
        layers.lstm({ units: 5, returnSequences: true, inputShape: [null, 3] }),
        layers.dense({ units: 4, activation: 'relu' }),
        layers.dense({ units: 2 }),
      ],
      { seed: 3 },
    );
    const bytes = model.toOnnx();
    for (const [B, T] of [
      [1, 1],
      [4, 13],
    ]) {
      const x = new Tensor(
        'float32',
        Float32Array.from({ length: B * T * 3 }, () => rng() * 2 - 1),
        [B, T, 3],
      );
      await expectPlanMatches(bytes, { features: x }, `lstm ${B}x${T}`);
    }
  });
});

describe('what the plan does not run goes through the interpreter', () => {
  test("a token id out of range: the interpreter's error", async () => {
    const model = sequential([layers.embedding({ inputDim: 10, outputDim: 3 }), layers.gru({ units: 2 })], { seed: 1 });
    model.build([null]);
    const [plan, interp] = await sessions(model.toOnnx());
    const bad = { tokens: new Tensor('int32', Int32Array.of(1, 2, 10), [1, 3]) };
    expect(plan.usesPlan(bad)).toBe(true);
    const message = (() => {
      try {
        interp.runSync(bad);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    })();
    expect(message).toContain('10');
    expect(() => plan.runSync(bad)).toThrow(message);
    await expect(plan.run(bad)).rejects.toThrow(message.replace('OnnxSession.runSync', 'OnnxSession.run'));
  });

  test('a node outside the plan (Mul of two inputs): no plan, the interpreter runs it', async () => {
    const b = new OnnxGraphBuilder('mul');
    const x = b.input('x', 'float32', ['n', 3]);
    const y = b.input('y', 'float32', ['n', 3]);
    b.node('Mul', [x, y], ['z']);
    b.output('z', 'float32', ['n', 3]);
    const session = await loadOnnx(b.build({ opset: 14 }));
    const feeds = {
      x: new Tensor('float32', Float32Array.of(1, 2, 3), [1, 3]),
      y: new Tensor('float32', Float32Array.of(4, 5, 6), [1, 3]),
    };
    expect(session.usesPlan(feeds)).toBe(false);
    expect(Array.from((await session.run(feeds)).z.data as Float32Array)).toEqual([4, 10, 18]);
  });

  test('a node outside the plan on shape-only values (Mul of a Shape) runs at compile time: the plan covers the graph', async () => {
    const b = new OnnxGraphBuilder('shape_chain');
    const x = b.input('x', 'float32', ['n', 4]);
    const one = b.initializer('one', { type: 'int64', data: BigInt64Array.of(1n, 1n), dims: [2] });
    const [shape] = b.node('Shape', [x], ['shape']);
    const [same] = b.node('Mul', [shape, one], ['same']);
    const [r] = b.node('Reshape', [x, same], ['r']);
    b.node('Relu', [r], ['y']);
    b.output('y', 'float32', ['n', 4]);
    const bytes = b.build({ opset: 14 });
    await expectPlanMatches(bytes, { x: new Tensor('float32', Float32Array.of(-1, 2, -3, 4, 5, -6, 7, -8), [2, 4]) }, 'shape chain');
  });

  test('options.plan must be a boolean', async () => {
    await expect(loadOnnx(fs.readFileSync(path.join(FIXTURES, 'torch_gru_state.onnx')), { plan: 'yes' as never })).rejects.toThrow(
      'loadOnnx: expected options.plan to be a boolean',
    );
  });

  test('a disposed session refuses to run', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'torch_gru_state.onnx'));
    const session = await loadOnnx(bytes);
    const feeds = feedsFor(session, 2, 3, 1);
    session.dispose();
    expect(() => session.runSync(feeds)).toThrow('disposed');
  });
});
