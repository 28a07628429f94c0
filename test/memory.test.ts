/**
 * Per-run memory budgets: an ONNX session's run counts the bytes of every tensor it holds at
 * once against `maxRunBytes` and fails with a RangeError naming the node before the allocation
 * that would cross it; model.predict and the operators check theirs before they allocate. The
 * default comes from the memory the process may really use.
 */
import * as os from 'node:os';
import { GruOp, OnnxGraphBuilder, Tensor, exportOnnx, layers, loadOnnx, sequential } from '../lib';
import { availableMemory, defaultRunBytes, DEFAULT_RUN_CAP } from '../lib/memory';

const MiB = 2 ** 20;

/** x [1] doubled `times` times by Concat: 2^times floats at the end, each step holding two tensors. */
function doublingModel(times: number): Uint8Array {
  const b = new OnnxGraphBuilder('doubling');
  let v = b.input('x', 'float32', [1]);
  for (let k = 0; k < times; k++) [v] = b.node('Concat', [v, v], [`d${k}`], { axis: 0 });
  b.output(v, 'float32');
  return b.build();
}

test('a graph that doubles a tensor 30 times fails at the node that crosses maxRunBytes, before allocating it', async () => {
  const session = await loadOnnx(doublingModel(30), { maxRunBytes: 64 * MiB });
  const x = new Tensor('float32', new Float32Array([1]), [1]);
  const before = process.memoryUsage().rss;
  // 2^24 floats (64 MiB) is the first output over the budget, with its 32 MiB input held: node d23.
  await expect(session.run({ x })).rejects.toThrow(
    /OnnxSession\.run: node 'Concat_24' \(Concat, opset \d+\): this run would hold 96\.0 MiB at once \(64\.0 MiB for this output\), over its budget of 64\.0 MiB; raise it with the maxRunBytes option/,
  );
  expect(() => session.runSync({ x })).toThrow(RangeError);
  expect(process.memoryUsage().rss - before).toBeLessThan(400 * MiB);
  // Under the budget the same graph runs: intermediates are freed after their last use, so a run
  // holds two tensors at a time, not the whole chain.
  const small = await loadOnnx(doublingModel(20), { maxRunBytes: 12 * MiB + 1 });
  const { [small.outputNames[0]]: y } = await small.run({ x });
  expect(y.dims).toEqual([2 ** 20]);
});

test('an 8-byte input cannot drive elementwise ops over 3e8 floats past the budget', async () => {
  const b = new OnnxGraphBuilder('expand');
  const x = b.input('x', 'float32', [2]);
  const shape = b.initializer('shape', new Tensor('int64', BigInt64Array.from([150_000_000n, 2n]), [2]));
  let [v] = b.node('Expand', [x, shape], ['big']);
  for (let k = 0; k < 3; k++) [v] = b.node('Add', [v, v], [`add${k}`]);
  b.output(v, 'float32');
  const session = await loadOnnx(b.build(), { maxRunBytes: 256 * MiB });
  await expect(session.run({ x: new Tensor('float32', new Float32Array([1, 2]), [2]) })).rejects.toThrow(
    /node 'Expand_1' \(Expand, opset \d+\): this run would hold 1\.1 GiB at once/,
  );
});

test("a recurrent node's outputs count against the run's budget, named by the node", async () => {
  const H = 64,
    I = 4,
    T = 1000,
    B = 64;
  const op = new GruOp({
    W: new Tensor('float32', new Float32Array(3 * H * I), [1, 3 * H, I]),
    R: new Tensor('float32', new Float32Array(3 * H * H), [1, 3 * H, H]),
  });
  const session = await loadOnnx(exportOnnx(op), { maxRunBytes: 8 * MiB });
  op.dispose();
  const X = new Tensor('float32', new Float32Array(T * B * I), [T, B, I]);
  // Y is T*B*H floats = 15.6 MiB.
  const feeds = { [session.inputNames[0]]: X, initial_h: new Tensor('float32', new Float32Array(B * H), [1, B, H]) };
  await expect(session.run(feeds)).rejects.toThrow(/\(GRU, opset \d+\).*GruOp\.runAsync: this run would hold 15\.6 MiB at once/);
  expect(() => session.runSync(feeds)).toThrow(/GruOp\.run: this run would hold 15\.6 MiB at once/);
  expect(() => session.runSync(feeds)).toThrow(RangeError);
  session.dispose();
});

test('maxRunBytes is checked: a positive number of bytes', async () => {
  const bytes = doublingModel(2);
  await expect(loadOnnx(bytes, { maxRunBytes: -1 })).rejects.toThrow(
    'loadOnnx: expected options.maxRunBytes to be a positive number of bytes, but received -1',
  );
  await expect(loadOnnx(bytes, { maxRunBytes: '1e9' as unknown as number })).rejects.toThrow(TypeError);
});

test('model.predict checks what a batch will hold before it allocates, naming the layer', async () => {
  const model = sequential([layers.gru({ units: 256, returnSequences: true }), layers.dense({ units: 4 })]);
  model.build([500, 3]);
  const x = new Tensor('float32', new Float32Array(64 * 500 * 3), [64, 500, 3]);
  // The GRU's output for a batch of 32: 32 * 500 * 256 floats = 15.6 MiB.
  await expect(model.predict(x, { batchSize: 32, maxRunBytes: 8 * MiB })).rejects.toThrow(
    /Sequential\.predict: layer '.*gru.*' would hold \d+\.\d MiB at once, over the budget of 8\.0 MiB/,
  );
  const y = await model.predict(new Tensor('float32', new Float32Array(2 * 500 * 3), [2, 500, 3]), { maxRunBytes: 8 * MiB });
  expect(y.dims).toEqual([2, 500, 4]);
  model.dispose();
});

test('the default budget comes from the memory the process may use, capped', () => {
  const a = availableMemory();
  expect(a.bytes).toBeGreaterThan(0);
  expect(a.bytes).toBeLessThanOrEqual(os.totalmem());
  expect(a.source).toMatch(/os\.totalmem\(\)|constrainedMemory|cgroup/);
  expect(defaultRunBytes()).toBe(Math.min(a.bytes / 2, DEFAULT_RUN_CAP));
});
