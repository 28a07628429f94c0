/**
 * Bad input throws an Error naming the argument, what was expected and what was received; a
 * disposed operator throws when used. Messages are part of the contract: tests assert the text.
 */
import { GruOp, LstmOp, RnnOp, Tensor } from '../lib';
import { makeCase } from './helpers/cases';

const { weights, inputs } = makeCase({ cell: 'GRU', T: 4, B: 3, I: 5, H: 7, seed: 1 });
const lstm = makeCase({ cell: 'LSTM', T: 4, B: 3, I: 5, H: 7, seed: 2 });
const f32 = (dims: number[]) => ({ type: 'float32' as const, data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims });

describe('construction', () => {
  test('W with the wrong gate count', () => {
    expect(() => new GruOp({ ...weights, W: f32([1, 20, 5]) })).toThrow(
      'new GruOp: expected W.dims to be [1, 21, *] (num_directions=1, 3*hidden_size, input_size), but received [1, 20, 5]',
    );
  });
  test('R of the wrong rank', () => {
    expect(() => new GruOp({ ...weights, R: f32([21, 7]) })).toThrow(
      'new GruOp: expected R to be rank 3 [num_directions, gates*hidden_size, hidden_size], but received rank 2',
    );
  });
  test('hidden size mismatch', () => {
    expect(() => new GruOp(weights, { hiddenSize: 8 })).toThrow(
      'new GruOp: expected hiddenSize to be the hidden size of R (R.dims[2] = 7), but received 8',
    );
  });
  test('num_directions does not match direction', () => {
    expect(() => new GruOp(weights, { direction: 'bidirectional' })).toThrow(
      'new GruOp: expected R.dims to be [2, 21, 7] (num_directions=2, 3*hidden_size, hidden_size), but received [1, 21, 7]',
    );
  });
  test('wrong dtype', () => {
    const W = { type: 'float64', data: new Float64Array(105), dims: [1, 21, 5] };
    expect(() => new GruOp({ ...weights, W })).toThrow(
      'new GruOp: expected W.type to be \'float32\', but received "float64" of type string',
    );
    const W2 = { type: 'float32', data: new Float64Array(105), dims: [1, 21, 5] };
    expect(() => new GruOp({ ...weights, W: W2 })).toThrow(
      'new GruOp: expected W.data to be a Float32Array, but received Float64Array(105)',
    );
  });
  test('data length that does not match dims', () => {
    const W = { type: 'float32', data: new Float32Array(100), dims: [1, 21, 5] };
    expect(() => new GruOp({ ...weights, W })).toThrow(
      'new GruOp: expected W.data.length to be 105 (the product of dims [1, 21, 5]), but received 100',
    );
  });
  test('B and P shapes', () => {
    expect(() => new GruOp({ ...weights, B: f32([1, 21]) })).toThrow('expected B.dims to be [1, 42] (num_directions=1, 2*3*hidden_size)');
    expect(() => new LstmOp({ ...lstm.weights, P: f32([1, 7]) })).toThrow('new LstmOp: expected P.dims to be [1, 21]');
    expect(() => new GruOp({ ...weights, P: f32([1, 21]) } as never)).toThrow(
      'new GruOp: expected P to be absent (peepholes exist only in LSTM)',
    );
  });
  test('attribute values', () => {
    expect(() => new GruOp(weights, { direction: 'sideways' as never })).toThrow(
      "new GruOp: expected direction to be 'forward', 'reverse' or 'bidirectional', but received \"sideways\" of type string",
    );
    expect(() => new GruOp(weights, { layout: 2 as never })).toThrow(
      'new GruOp: expected layout to be 0 or 1, but received 2 of type number',
    );
    expect(() => new GruOp(weights, { clip: -1 })).toThrow(
      'new GruOp: expected clip to be a positive number, but received -1 of type number',
    );
    expect(() => new GruOp(weights, { threads: 1.5 })).toThrow(
      'new GruOp: expected threads to be a positive integer, but received 1.5 of type number',
    );
    expect(() => new GruOp(weights, { linearBeforeReset: 2 as never })).toThrow(
      'expected linearBeforeReset to be 0, 1, true or false, but received 2 of type number',
    );
    expect(() => new GruOp(weights, { activations: ['Sigmoid'] })).toThrow(
      'new GruOp: expected activations.length to be 2 (Sigmoid, Tanh), but received 1',
    );
    expect(() => new GruOp(weights, { activations: ['Sigmoid', 'Swish'] })).toThrow(
      'new GruOp: expected each activation to be one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus, but received "Swish"',
    );
    expect(() => new RnnOp({ W: f32([1, 7, 5]), R: f32([1, 7, 7]) }, { activationAlpha: [NaN] })).toThrow(
      'new RnnOp: expected activationAlpha to be an array of finite numbers',
    );
  });
  test('missing weights', () => {
    expect(() => new GruOp(undefined as never)).toThrow('new GruOp: expected weights to be an object { W, R, B }, but received undefined');
    expect(() => new GruOp({ W: weights.W } as never)).toThrow(
      'new GruOp: expected R to be a float32 tensor ({ type, data, dims }), but received undefined',
    );
  });
});

describe('run', () => {
  const op = new GruOp(weights);
  const lop = new LstmOp(lstm.weights);
  afterAll(() => {
    op.dispose();
    lop.dispose();
  });

  test('X of the wrong rank', () => {
    expect(() => op.run({ X: f32([4, 15]) })).toThrow(
      'GruOp.run: expected X to be rank 3 [seq_length, batch_size, input_size], but received rank 2 [4, 15]',
    );
  });
  test('X with the wrong input size', () => {
    expect(() => op.run({ X: f32([4, 3, 6]) })).toThrow('GruOp.run: expected X.dims[2] to be input_size = 5 (from W), but received 6');
  });
  test('X of the wrong dtype', () => {
    expect(() => op.run({ X: { type: 'int32', data: new Int32Array(60), dims: [4, 3, 5] } })).toThrow(
      'GruOp.run: expected X.type to be \'float32\', but received "int32" of type string',
    );
  });
  test('sequenceLens out of range, wrong length, wrong dtype', () => {
    const lens = (v: number[]) => ({ type: 'int32' as const, data: Int32Array.from(v), dims: [v.length] });
    expect(() => op.run({ ...inputs, sequenceLens: lens([4, 5, 1]) })).toThrow(
      'GruOp.run: expected sequenceLens[1] to be in [0, 4] (seq_length), but received 5',
    );
    expect(() => op.run({ ...inputs, sequenceLens: lens([4, -1, 1]) })).toThrow(
      'expected sequenceLens[1] to be in [0, 4] (seq_length), but received -1',
    );
    expect(() => op.run({ ...inputs, sequenceLens: lens([4, 4]) })).toThrow(
      'GruOp.run: expected sequenceLens.dims to be [3] (batch_size), but received [2]',
    );
    expect(() => op.run({ ...inputs, sequenceLens: { type: 'float32', data: new Float32Array(3), dims: [3] } })).toThrow(
      "GruOp.run: expected sequenceLens.type to be 'int32'",
    );
    const big = { type: 'int64' as const, data: BigInt64Array.from([4n, 2n ** 40n, 1n]), dims: [3] };
    expect(() => op.run({ ...inputs, sequenceLens: big })).toThrow(
      'expected sequenceLens[1] to be in [0, 4] (seq_length), but received 1099511627776',
    );
  });
  test('int64 sequenceLens are accepted', () => {
    const l64 = { type: 'int64' as const, data: BigInt64Array.from([4n, 2n, 1n]), dims: [3] };
    const l32 = { type: 'int32' as const, data: Int32Array.from([4, 2, 1]), dims: [3] };
    expect(Array.from(op.run({ ...inputs, sequenceLens: l64 }).Y_h!.data)).toEqual(
      Array.from(op.run({ ...inputs, sequenceLens: l32 }).Y_h!.data),
    );
  });
  test('initial state of the wrong shape', () => {
    expect(() => op.run({ ...inputs, initialH: f32([1, 3, 6]) })).toThrow(
      'GruOp.run: expected initialH.dims to be [1, 3, 7] (num_directions, batch_size, hidden_size), but received [1, 3, 6]',
    );
    expect(() => op.run({ ...inputs, initialC: f32([1, 3, 7]) } as never)).toThrow(
      'GruOp.run: expected initialC to be absent (only LSTM has a cell state)',
    );
    expect(() => lop.run({ ...lstm.inputs, initialC: f32([3, 1, 7]) })).toThrow('LstmOp.run: expected initialC.dims to be [1, 3, 7]');
  });
  test('unknown outputs', () => {
    expect(() => op.run(inputs, { outputs: ['Y_c'] as never })).toThrow("GruOp.run: expected options.outputs to be an array of 'Y', 'Y_h'");
  });
  test('runAsync rejects with the same messages', async () => {
    await expect(op.runAsync({ X: f32([4, 3, 6]) })).rejects.toThrow(
      'GruOp.runAsync: expected X.dims[2] to be input_size = 5 (from W), but received 6',
    );
  });
  test('a Tensor with inconsistent dims cannot be made', () => {
    expect(() => new Tensor('float32', new Float32Array(5), [2, 3])).toThrow(
      'Tensor: expected data.length to be 6 (the product of dims [2, 3]), but received 5',
    );
    expect(() => new Tensor('float32', new Int32Array(6) as never, [2, 3])).toThrow(
      "Tensor: expected data to be a Float32Array for type 'float32', but received Int32Array(6)",
    );
  });
});

describe('disposed operators', () => {
  test('run, runAsync and dispose again', async () => {
    const op = new GruOp(weights);
    op.dispose();
    expect(() => op.run(inputs)).toThrow('GruOp.run: this operator has been disposed');
    await expect(op.runAsync(inputs)).rejects.toThrow('GruOp.runAsync: this operator has been disposed');
    expect(() => op.dispose()).not.toThrow();
    expect(op.packedBytes).toBe(0);
  });

  test('dispose while runAsync is in flight: the call completes', async () => {
    const big = makeCase({ cell: 'GRU', T: 200, B: 8, I: 64, H: 64, seed: 3 });
    const op = new GruOp(big.weights);
    const pending = op.runAsync(big.inputs);
    op.dispose();
    const { Y_h } = await pending;
    expect(Y_h!.dims).toEqual([1, 8, 64]);
  });
});

describe('outputs too large to hold', () => {
  test('Y is refused before any work when it cannot be allocated', () => {
    // X is small (I = 1) but Y is T x B x H floats: 2^20 x 64 x 1024 x 4 bytes = 256 GiB.
    const H = 1024;
    const op = new GruOp({ W: f32([1, 3 * H, 1]), R: f32([1, 3 * H, H]) });
    const X = { type: 'float32' as const, data: new Float32Array(2 ** 20 * 64), dims: [2 ** 20, 64, 1] };
    expect(() => op.run({ X })).toThrow(
      /^GruOp\.run: expected output Y to be at most .* GiB \(.*\); ask for outputs: \['Y_h'\] to skip Y, but received dims \[1048576, 1, 64, 1024\] = 256\.0 GiB$/,
    );
    op.dispose();
  });

  test("outputs: ['Y_h'] runs where Y is too large to hold, and gives the Y_h of the full run", async () => {
    // Running a case whose Y truly exceeds this machine's memory would take minutes of
    // arithmetic, so a copy of the library sees a machine of 4 MiB (os.totalmem) and Y is 8 MiB:
    // the same check, at a size a test can run.
    const c = makeCase({ cell: 'LSTM', T: 1024, B: 32, I: 1, H: 64, seed: 5 });
    const full = new LstmOp(c.weights);
    const { Y, Y_h, Y_c } = full.run(c.inputs);
    full.dispose();
    expect(Y!.data.length * 4).toBe(8 * 2 ** 20);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const os = require('node:os') as typeof import('os');
    const totalmem = jest.spyOn(os, 'totalmem').mockReturnValue(4 * 2 ** 20);
    let small: typeof import('../lib');
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        small = require('../lib');
      });
      const op = new small!.LstmOp(c.weights);
      try {
        expect(() => op.run(c.inputs)).toThrow(
          /^LstmOp\.run: expected output Y to be at most .* \(this machine's memory\); ask for outputs: \['Y_h'\] to skip Y, but received dims \[1024, 1, 32, 64\]/,
        );
        const sync = op.run(c.inputs, { outputs: ['Y_h'] });
        const deferred = await op.runAsync(c.inputs, { outputs: ['Y_h', 'Y_c'] });
        expect(Object.keys(sync)).toEqual(['Y_h']);
        expect(Object.keys(deferred).sort()).toEqual(['Y_c', 'Y_h']);
        expect(Array.from(sync.Y_h!.data)).toEqual(Array.from(Y_h!.data));
        expect(Array.from(deferred.Y_h!.data)).toEqual(Array.from(Y_h!.data));
        expect(Array.from(deferred.Y_c!.data)).toEqual(Array.from(Y_c!.data));
      } finally {
        op.dispose();
      }
    } finally {
      totalmem.mockRestore();
    }
  });
});

test('a long sequence (T = 100,000) runs', () => {
  const c = makeCase({ cell: 'LSTM', T: 100_000, B: 1, I: 2, H: 4, seed: 3 });
  const op = new LstmOp(c.weights, { threads: 1 });
  const { Y, Y_h } = op.run(c.inputs);
  op.dispose();
  expect(Y!.dims).toEqual([100_000, 1, 1, 4]);
  expect(Array.from(Y_h!.data)).toEqual(Array.from(Y!.data.subarray(99_999 * 4)));
});
