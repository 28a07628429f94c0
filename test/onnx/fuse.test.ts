/** @jest-environment ./test/helpers/node-realm-environment.ts */

// The load-time rewrite of the Transposes around batch-first recurrent nodes (lib/onnx/fuse.ts):
// the patterns torch.onnx.export, tf2onnx/keras2onnx and exportOnnx write run batch-major and
// give onnxruntime-node's outputs; graphs where a rewritten value has another reader are left
// as they are.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LstmOp, OnnxGraphBuilder, Tensor, exportOnnx, loadOnnx } from '../../lib';
import { fuseBatchMajorRecurrent } from '../../lib/onnx/fuse';
import { parseModel } from '../../lib/onnx/graph';
import { expectClose, mulberry32, randomTensor, runOrt } from '../helpers/onnx';

const rng = mulberry32(5);
const t = (dims: number[], scale = 0.5) => {
  const r = randomTensor(dims, rng, scale);
  return new Tensor('float32', r.data, r.dims);
};
const ints = (values: number[]) => ({ type: 'int64' as const, data: BigInt64Array.from(values.map(BigInt)), dims: [values.length] });

const B = 3;
const T = 5;
const I = 4;
const H = 6;

/** The op types left after the rewrite, and the node types it marked batch-major. */
function fused(bytes: Uint8Array): { ops: string[]; batchMajor: string[] } {
  const g = parseModel('test', bytes);
  fuseBatchMajorRecurrent(g);
  return { ops: g.nodes.map((n) => n.opType), batchMajor: g.nodes.filter((n) => n.batchMajor).map((n) => n.opType) };
}

async function expectSameAsOrt(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<void> {
  const want = await runOrt(bytes, feeds);
  const session = await loadOnnx(bytes, { threads: 1 });
  try {
    const sync = session.runSync(feeds);
    const async = await session.run(feeds);
    for (const name of session.outputNames) {
      expectClose(sync[name], want[name], { atol: 1e-5, rtol: 0, label: `${name} (runSync)` });
      expectClose(async[name], want[name], { atol: 1e-5, rtol: 0, label: `${name} (run)` });
    }
  } finally {
    session.dispose();
  }
}

/** recurrent weights as initializers: W, R, B for `gates` gates and D directions. */
function weights(b: OnnxGraphBuilder, gates: number, D: number): string[] {
  return [b.initializer('W', t([D, gates * H, I])), b.initializer('R', t([D, gates * H, H])), b.initializer('B', t([D, 2 * gates * H]))];
}

/** x [B, T, I] -> Transpose(1, 0, 2); `build` writes the rest from the time-major X. */
function batchFirst(opset: number, build: (b: OnnxGraphBuilder, xTimeMajor: string) => void): Uint8Array {
  const b = new OnnxGraphBuilder();
  const x = b.input('x', 'float32', ['batch', 'time', I]);
  const [xt] = b.node('Transpose', [x], ['x_time_major'], { perm: [1, 0, 2] });
  build(b, xt);
  return b.build({ opset });
}

describe("the exporters' patterns run batch-major and match onnxruntime-node", () => {
  test.each([11, 13])('keras2onnx LSTM with state in and out, Squeeze axes at opset %i', async (opset) => {
    const bytes = batchFirst(opset, (b, xt) => {
      const hIn = b.input('h_in', 'float32', ['batch', H]);
      const cIn = b.input('c_in', 'float32', ['batch', H]);
      const axes0 = opset >= 13 ? [b.initializer('axes_0', ints([0]))] : [];
      const axes1 = opset >= 13 ? [b.initializer('axes_1', ints([1]))] : [];
      const attr = (a: number) => (opset >= 13 ? {} : { axes: [a] });
      const [h0] = b.node('Unsqueeze', [hIn, ...axes0], ['h0'], attr(0));
      const [c0] = b.node('Unsqueeze', [cIn, ...axes0], ['c0'], attr(0));
      const [y, yh, yc] = b.node('LSTM', [xt, ...weights(b, 4, 1), '', h0, c0], ['Y', 'Y_h', 'Y_c'], { hidden_size: H });
      const [ys] = b.node('Squeeze', [y, ...axes1], ['y_squeezed'], attr(1));
      b.output(b.node('Transpose', [ys], ['out'], { perm: [1, 0, 2] })[0], 'float32');
      b.output(b.node('Squeeze', [yh, ...axes0], ['h_out'], attr(0))[0], 'float32');
      b.output(b.node('Squeeze', [yc, ...axes0], ['c_out'], attr(0))[0], 'float32');
    });
    expect(fused(bytes)).toEqual({ ops: ['Unsqueeze', 'Unsqueeze', 'LSTM', 'Squeeze', 'Squeeze'], batchMajor: ['LSTM'] });
    await expectSameAsOrt(bytes, { x: t([B, T, I], 1), h_in: t([B, H]), c_in: t([B, H]) });
  });

  test('torch bidirectional GRU: Transpose(0, 2, 1, 3) -> Reshape(0, 0, -1) -> Transpose, h0 fed and h_n returned', async () => {
    const bytes = batchFirst(14, (b, xt) => {
      const h0 = b.input('h0', 'float32', [2, 'batch', H]);
      const [y, yh] = b.node('GRU', [xt, ...weights(b, 3, 2), '', h0], ['Y', 'h_n'], {
        hidden_size: H,
        direction: 'bidirectional',
        linear_before_reset: 1,
      });
      const [shape] = b.node('Constant', [], ['shape'], { value: ints([0, 0, -1]) });
      const [y1] = b.node('Transpose', [y], ['y_tbdh'], { perm: [0, 2, 1, 3] });
      const [y2] = b.node('Reshape', [y1, shape], ['y_tbf']);
      b.output(b.node('Transpose', [y2], ['out'], { perm: [1, 0, 2] })[0], 'float32');
      b.output(yh, 'float32');
    });
    expect(fused(bytes)).toEqual({ ops: ['Constant', 'GRU'], batchMajor: ['GRU'] });
    await expectSameAsOrt(bytes, { x: t([B, T, I], 1), h0: t([2, B, H]) });
  });

  test('only the last state read (Y unused): X is read batch-major', async () => {
    const bytes = batchFirst(14, (b, xt) => {
      const [, yh] = b.node('LSTM', [xt, ...weights(b, 4, 2)], ['', 'Y_h'], { hidden_size: H, direction: 'bidirectional' });
      b.output(yh, 'float32');
    });
    expect(fused(bytes)).toEqual({ ops: ['LSTM'], batchMajor: ['LSTM'] });
    await expectSameAsOrt(bytes, { x: t([B, T, I], 1) });
  });

  test('exportOnnx of a batch-major operator: Transpose(2, 0, 1, 3) back, states through their own Transposes', async () => {
    const op = new LstmOp({ W: t([2, 4 * H, I]), R: t([2, 4 * H, H]), B: t([2, 8 * H]) }, { direction: 'bidirectional', layout: 1 });
    const bytes = exportOnnx(op, { sequenceLens: true });
    expect(fused(bytes).batchMajor).toEqual(['LSTM']);
    const feeds = {
      X: t([B, T, I], 1),
      initial_h: t([B, 2, H]),
      initial_c: t([B, 2, H]),
      sequence_lens: new Tensor('int32', Int32Array.from([5, 2, 4]), [B]),
    };
    await expectSameAsOrt(bytes, feeds);
    const want = op.run({ X: feeds.X, initialH: feeds.initial_h, initialC: feeds.initial_c, sequenceLens: feeds.sequence_lens });
    const session = await loadOnnx(bytes);
    const got = session.runSync(feeds);
    expectClose(got.Y, want.Y!, { atol: 1e-6, rtol: 0, label: 'Y' });
    expectClose(got.Y_c, want.Y_c!, { atol: 1e-6, rtol: 0, label: 'Y_c' });
    session.dispose();
    op.dispose();
  });
});

describe('stacks run batch-major layer to layer', () => {
  test('torch Embedding -> 2-layer GRU -> last state (the classifier fixture; onnx-load checks its outputs)', () => {
    const g = parseModel('test', fs.readFileSync(path.join(__dirname, '../fixtures/onnx/torch_gru_classifier.onnx')));
    fuseBatchMajorRecurrent(g);
    expect(g.nodes.filter((n) => n.batchMajor).map((n) => n.name)).toEqual(['/gru/GRU', '/gru/GRU_1']);
    expect(g.nodes.map((n) => n.opType)).not.toContain('Transpose');
    expect(g.nodes.map((n) => n.opType)).not.toContain('Squeeze');
  });

  test('torch 2-layer bidirectional LSTM: Transpose(0, 2, 1, 3) -> Reshape between the layers', async () => {
    const bytes = batchFirst(14, (b, xt) => {
      const layer = (x: string, k: number, inputSize: number): string => {
        const w = [
          b.initializer(`W${k}`, t([2, 4 * H, inputSize])),
          b.initializer(`R${k}`, t([2, 4 * H, H])),
          b.initializer(`B${k}`, t([2, 8 * H])),
        ];
        const [y] = b.node('LSTM', [x, ...w], [`Y${k}`], { hidden_size: H, direction: 'bidirectional' });
        const [y1] = b.node('Transpose', [y], [`y${k}_tbdh`], { perm: [0, 2, 1, 3] });
        return b.node('Reshape', [y1, b.initializer(`shape${k}`, ints([0, 0, -1]))], [`y${k}_tbf`])[0];
      };
      const y = layer(layer(xt, 0, I), 1, 2 * H);
      b.output(b.node('Transpose', [y], ['out'], { perm: [1, 0, 2] })[0], 'float32');
    });
    expect(fused(bytes)).toEqual({ ops: ['LSTM', 'LSTM'], batchMajor: ['LSTM', 'LSTM'] });
    await expectSameAsOrt(bytes, { x: t([B, T, I], 1) });
  });

  test('a stack whose last sequence is read time-major is left as it is', async () => {
    const bytes = batchFirst(14, (b, xt) => {
      const [y] = b.node('GRU', [xt, ...weights(b, 3, 1)], ['Y'], { hidden_size: H });
      const [ys] = b.node('Squeeze', [y, b.initializer('axes', ints([1]))], ['y_squeezed']);
      const [y2] = b.node('GRU', [ys, b.initializer('W2', t([1, 3 * H, H])), b.initializer('R2', t([1, 3 * H, H]))], ['Y2'], {
        hidden_size: H,
      });
      b.output(y2, 'float32');
    });
    expect(fused(bytes).batchMajor).toEqual([]);
    await expectSameAsOrt(bytes, { x: t([B, T, I], 1) });
  });
});

describe('left as they are', () => {
  test('the transposed X has another reader', async () => {
    const bytes = batchFirst(14, (b, xt) => {
      const [y] = b.node('GRU', [xt, ...weights(b, 3, 1)], ['Y'], { hidden_size: H });
      b.output(y, 'float32');
      b.output(xt, 'float32');
    });
    expect(fused(bytes)).toEqual({ ops: ['Transpose', 'GRU'], batchMajor: [] });
    await expectSameAsOrt(bytes, { x: t([B, T, I], 1) });
  });

  test('Y is read time-major (a graph output, or another recurrent node)', async () => {
    const asOutput = batchFirst(14, (b, xt) => {
      const [y] = b.node('GRU', [xt, ...weights(b, 3, 1)], ['Y'], { hidden_size: H });
      const [ys] = b.node('Squeeze', [y, b.initializer('axes', ints([1]))], ['y_squeezed']);
      b.output(b.node('Transpose', [ys], ['out'], { perm: [1, 0, 2] })[0], 'float32');
      b.output(y, 'float32');
    });
    expect(fused(asOutput).batchMajor).toEqual([]);
    await expectSameAsOrt(asOutput, { x: t([B, T, I], 1) });
    const stacked = batchFirst(14, (b, xt) => {
      const [y] = b.node('GRU', [xt, ...weights(b, 3, 1)], ['Y'], { hidden_size: H });
      const [ys] = b.node('Squeeze', [y, b.initializer('axes', ints([1]))], ['y_squeezed']);
      const R2 = b.initializer('R2', t([1, 3 * H, H]));
      const W2 = b.initializer('W2', t([1, 3 * H, H]));
      b.output(b.node('GRU', [ys, W2, R2], ['Y2'], { hidden_size: H })[0], 'float32');
    });
    expect(fused(stacked).batchMajor).toEqual([]);
    await expectSameAsOrt(stacked, { x: t([B, T, I], 1) });
  });

  test('a Reshape that is not (0, 0, -1), and a Squeeze of another axis', () => {
    const reshape = batchFirst(14, (b, xt) => {
      const [y] = b.node('GRU', [xt, ...weights(b, 3, 2)], ['Y'], { hidden_size: H, direction: 'bidirectional' });
      const [y1] = b.node('Transpose', [y], ['y_tbdh'], { perm: [0, 2, 1, 3] });
      const [y2] = b.node('Reshape', [y1, b.initializer('shape', ints([T, -1, 2 * H]))], ['y_tbf']);
      b.output(b.node('Transpose', [y2], ['out'], { perm: [1, 0, 2] })[0], 'float32');
    });
    expect(fused(reshape).batchMajor).toEqual([]);
    const squeeze = batchFirst(14, (b, xt) => {
      const [y] = b.node('GRU', [xt, ...weights(b, 3, 1)], ['Y'], { hidden_size: H });
      const [ys] = b.node('Squeeze', [y, b.initializer('axes', ints([0]))], ['y_squeezed']);
      b.output(b.node('Transpose', [ys], ['out'], { perm: [1, 0, 2] })[0], 'float32');
    });
    expect(fused(squeeze).batchMajor).toEqual([]);
  });
});

test('a malformed Transpose is not rewritten away: loading reports it', async () => {
  const b = new OnnxGraphBuilder();
  const x = b.input('x', 'float32', ['batch', 'time', I]);
  const [xt] = b.node('Transpose', [x], ['x_time_major'], { perm: [1, 0, 2], axis: 1 }, { name: 'odd' });
  const [, yh] = b.node('GRU', [xt, ...weights(b, 3, 1)], ['', 'Y_h'], { hidden_size: H });
  b.output(yh, 'float32');
  const bytes = b.build();
  expect(fused(bytes).batchMajor).toEqual([]);
  await expect(loadOnnx(bytes)).rejects.toThrow(
    "loadOnnx: node 'odd' (Transpose, opset 14): attribute 'axis' is not supported (supported: perm)",
  );
});

test('a state of the wrong dims is reported as the graph declares it (time-major)', async () => {
  const bytes = batchFirst(14, (b, xt) => {
    const h0 = b.input('h0', 'float32', [1, 'batch', H]);
    const [y] = b.node('GRU', [xt, ...weights(b, 3, 1), '', h0], ['Y'], { hidden_size: H });
    b.output(b.node('Transpose', [y], ['out'], { perm: [2, 0, 1, 3] })[0], 'float32');
  });
  const session = await loadOnnx(bytes);
  const feeds = { x: t([B, T, I], 1), h0: t([1, B + 1, H]) };
  expect(() => session.runSync(feeds)).toThrow(
    `OnnxSession.runSync: node 'GRU_1' (GRU, opset 14): GruOp.run: expected initialH.dims to be [1, ${B}, ${H}] (num_directions, batch_size, hidden_size), but received [1, ${B + 1}, ${H}]`,
  );
  await expect(session.run(feeds)).rejects.toThrow(`GruOp.runAsync: expected initialH.dims to be [1, ${B}, ${H}]`);
  session.dispose();
});
