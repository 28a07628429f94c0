/** @jest-environment ./test/helpers/node-realm-environment.ts */

// Proves the test helpers right on their own, without gatedrnn: they decode the ONNX backend
// conformance files, rebuild equivalent models that onnxruntime-node runs to the same numbers,
// and compare tensors the way the other suites rely on.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  type AttrValue,
  type Tensor,
  asRnnAttrs,
  buildRnnModel,
  expectClose,
  graphFeeds,
  graphOutputs,
  loadConformanceCase,
  maxAbsDiff,
  mulberry32,
  parseRnnModel,
  randomTensor,
  readTensorPb,
  rnnModelFeeds,
  runOrt,
  toNumbers,
} from '../helpers/onnx';

const CONFORMANCE_DIR = path.resolve(__dirname, '../fixtures/conformance/onnx-node');
const caseDir = (name: string): string => path.join(CONFORMANCE_DIR, name);

// What each conformance case holds (onnx v1.16.0 backend node tests). float32 unless marked.
// Note: the *_seq_length cases have no sequence_lens input; only test_lstm_with_peepholes does.
const EXPECTED_CASES: Record<string, { op: string; attrs: Record<string, AttrValue>; inputs: string; outputs: string }> = {
  test_gru_batchwise: {
    op: 'GRU',
    attrs: { hidden_size: 6, layout: 1 },
    inputs: 'X[3,1,2] W[1,18,2] R[1,18,6]',
    outputs: 'Y[3,1,1,6] Y_h[3,1,6]',
  },
  test_gru_defaults: { op: 'GRU', attrs: { hidden_size: 5 }, inputs: 'X[1,3,2] W[1,15,2] R[1,15,5]', outputs: 'Y_h[1,3,5]' },
  test_gru_seq_length: { op: 'GRU', attrs: { hidden_size: 5 }, inputs: 'X[2,3,3] W[1,15,3] R[1,15,5] B[1,30]', outputs: 'Y_h[1,3,5]' },
  test_gru_with_initial_bias: { op: 'GRU', attrs: { hidden_size: 3 }, inputs: 'X[1,3,3] W[1,9,3] R[1,9,3] B[1,18]', outputs: 'Y_h[1,3,3]' },
  test_lstm_batchwise: {
    op: 'LSTM',
    attrs: { hidden_size: 7, layout: 1 },
    inputs: 'X[3,1,2] W[1,28,2] R[1,28,7]',
    outputs: 'Y[3,1,1,7] Y_h[3,1,7]',
  },
  test_lstm_defaults: { op: 'LSTM', attrs: { hidden_size: 3 }, inputs: 'X[1,3,2] W[1,12,2] R[1,12,3]', outputs: 'Y_h[1,3,3]' },
  test_lstm_with_initial_bias: {
    op: 'LSTM',
    attrs: { hidden_size: 4 },
    inputs: 'X[1,3,3] W[1,16,3] R[1,16,4] B[1,32]',
    outputs: 'Y_h[1,3,4]',
  },
  test_lstm_with_peepholes: {
    op: 'LSTM',
    attrs: { hidden_size: 3 },
    inputs: 'X[1,2,4] W[1,12,4] R[1,12,3] B[1,24] sequence_lens:int32[2] initial_h[1,2,3] initial_c[1,2,3] P[1,9]',
    outputs: 'Y_h[1,2,3]',
  },
  test_rnn_seq_length: { op: 'RNN', attrs: { hidden_size: 5 }, inputs: 'X[2,3,3] W[1,5,3] R[1,5,5] B[1,10]', outputs: 'Y_h[1,3,5]' },
  test_simple_rnn_batchwise: {
    op: 'RNN',
    attrs: { hidden_size: 4, layout: 1 },
    inputs: 'X[3,1,2] W[1,4,2] R[1,4,4]',
    outputs: 'Y[3,1,1,4] Y_h[3,1,4]',
  },
  test_simple_rnn_defaults: { op: 'RNN', attrs: { hidden_size: 4 }, inputs: 'X[1,3,2] W[1,4,2] R[1,4,4]', outputs: 'Y_h[1,3,4]' },
  test_simple_rnn_with_initial_bias: {
    op: 'RNN',
    attrs: { hidden_size: 5 },
    inputs: 'X[1,3,3] W[1,5,3] R[1,5,5] B[1,10]',
    outputs: 'Y_h[1,3,5]',
  },
};
const ALL_CASES = Object.keys(EXPECTED_CASES);
// onnxruntime rejects layout = 1, so only the time-major cases can run there.
const ORT_CASES = ALL_CASES.filter((name) => !name.endsWith('_batchwise'));

function describeTensors(tensors: Partial<Record<string, Tensor>>): string {
  return Object.entries(tensors)
    .map(([slot, t]) => `${slot}${t!.type === 'float32' ? '' : `:${t!.type}`}[${t!.dims}]`)
    .join(' ');
}

const CONFORMANCE_ATOL = { atol: 1e-5, rtol: 0 };

describe('conformance files', () => {
  test('the folder holds exactly the expected cases', () => {
    expect(fs.readdirSync(CONFORMANCE_DIR).sort()).toEqual([...ALL_CASES].sort());
  });

  test.each(ALL_CASES)('%s decodes to the expected node, attributes and dims', (name) => {
    const c = loadConformanceCase(caseDir(name));
    const expected = EXPECTED_CASES[name];
    expect(c.opType).toBe(expected.op);
    expect(c.attrs).toEqual(expected.attrs);
    expect(describeTensors(c.inputs)).toBe(expected.inputs);
    expect(describeTensors(c.outputs)).toBe(expected.outputs);
    // The .pb files name their tensors after the graph values, which we matched by position.
    for (const [slot, t] of Object.entries({ ...c.inputs, ...c.outputs })) expect(t!.name).toBe(slot);
  });

  test('decoded values are the ones the ONNX test generator wrote', () => {
    // onnx/backend/test/case/node/lstm.py, test_lstm_with_peepholes.
    const c = loadConformanceCase(caseDir('test_lstm_with_peepholes'));
    expect(toNumbers(c.inputs.X!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(toNumbers(c.inputs.W!).every((v) => v === Math.fround(0.1))).toBe(true);
    expect(toNumbers(c.inputs.sequence_lens!)).toEqual([1, 1]);
    expect(toNumbers(c.inputs.initial_c!)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('conformance cases in onnxruntime-node', () => {
  test.each(ORT_CASES)('%s rebuilt with buildRnnModel matches the expected outputs', async (name) => {
    const c = loadConformanceCase(caseDir(name));
    const wanted = Object.keys(c.outputs) as ('Y' | 'Y_h' | 'Y_c')[];
    const bytes = buildRnnModel({ opType: c.opType, attrs: asRnnAttrs(c.attrs), inputs: c.inputs, outputs: wanted });
    const got = await runOrt(bytes, rnnModelFeeds(c.inputs));
    for (const slot of wanted) expectClose(got[slot], c.outputs[slot]!, { ...CONFORMANCE_ATOL, label: `${name} ${slot}` });
  });

  test.each(ORT_CASES)('%s original model.onnx matches the expected outputs', async (name) => {
    const c = loadConformanceCase(caseDir(name));
    const got = await runOrt(fs.readFileSync(path.join(caseDir(name), 'model.onnx')), graphFeeds(c));
    for (const [out, expected] of Object.entries(graphOutputs(c))) {
      expectClose(got[out], expected, { ...CONFORMANCE_ATOL, label: `${name} ${out}` });
    }
  });
});

describe('readTensorPb', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-pb-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // Hand-encoded wire format (independent of the helpers' schema) using onnx.proto's field
  // numbers: dims 1 (unpacked, as proto2 writes it), data_type 2, float_data 4, int32_data 5,
  // int64_data 7, name 8, raw_data 9.
  function writePb(file: string, build: (w: protobuf.Writer) => void): string {
    const w = protobuf.Writer.create();
    build(w);
    const full = path.join(tmp, file);
    fs.writeFileSync(full, w.finish());
    return full;
  }
  const header = (w: protobuf.Writer, name: string, dataType: number, dims: number[]): void => {
    for (const d of dims) w.uint32((1 << 3) | 0).int64(d);
    w.uint32((2 << 3) | 0).int32(dataType);
    w.uint32((8 << 3) | 2).string(name);
  };

  test('reads float_data', () => {
    const file = writePb('f.pb', (w) => {
      header(w, 'x', 1, [2, 2]);
      w.uint32((4 << 3) | 2)
        .fork()
        .float(1.5)
        .float(-2)
        .float(0.25)
        .float(3)
        .ldelim();
    });
    const t = readTensorPb(file);
    expect(t).toMatchObject({ type: 'float32', dims: [2, 2], name: 'x' });
    expect(toNumbers(t)).toEqual([1.5, -2, 0.25, 3]);
  });

  test('reads int32_data', () => {
    const file = writePb('i32.pb', (w) => {
      header(w, 'lens', 6, [3]);
      w.uint32((5 << 3) | 2)
        .fork()
        .int32(4)
        .int32(1)
        .int32(-7)
        .ldelim();
    });
    const t = readTensorPb(file);
    expect(t.type).toBe('int32');
    expect(t.data).toEqual(Int32Array.from([4, 1, -7]));
  });

  test('reads int64_data without losing precision', () => {
    const file = writePb('i64.pb', (w) => {
      header(w, 'big', 7, [2]);
      w.uint32((7 << 3) | 2)
        .fork()
        .int64('9007199254740993')
        .int64(-3)
        .ldelim();
    });
    const t = readTensorPb(file);
    expect(t.type).toBe('int64');
    expect(t.data).toEqual(BigInt64Array.from([9007199254740993n, -3n]));
  });

  test('reads little-endian int64 raw_data into an aligned array', () => {
    const raw = Buffer.alloc(16);
    raw.writeBigInt64LE(5n, 0);
    raw.writeBigInt64LE(-1n, 8);
    const file = writePb('raw64.pb', (w) => {
      header(w, 'lens', 7, [2]);
      w.uint32((9 << 3) | 2).bytes(raw);
    });
    const t = readTensorPb(file);
    expect(t.data).toEqual(BigInt64Array.from([5n, -1n]));
    expect(t.data.byteOffset).toBe(0);
  });

  test('rejects an unsupported data type and a short raw_data', () => {
    const dbl = writePb('double.pb', (w) => header(w, 'd', 11, [1]));
    expect(() => readTensorPb(dbl)).toThrow(/data_type 11/);
    const short = writePb('short.pb', (w) => {
      header(w, 's', 1, [3]);
      w.uint32((9 << 3) | 2).bytes(new Uint8Array(8));
    });
    expect(() => readTensorPb(short)).toThrow(/8 bytes, expected 3 x 4/);
  });
});

describe('buildRnnModel', () => {
  const rng = mulberry32(7);
  const [T, B, I, H] = [4, 2, 3, 5];
  const X = randomTensor([T, B, I], rng);
  const W = randomTensor([1, 3 * H, I], rng, 0.5);
  const R = randomTensor([1, 3 * H, H], rng, 0.5);
  const initialH = randomTensor([1, B, H], rng);

  test('places absent optional inputs as empty names and weights as initializers', () => {
    const attrs = { hidden_size: H, clip: 1, activations: ['HardSigmoid', 'Tanh'], activation_alpha: [0.3], activation_beta: [0.6] };
    const bytes = buildRnnModel({ opType: 'GRU', attrs, inputs: { X, W, R, initial_h: initialH }, outputs: ['Y_h'] });
    const m = parseRnnModel(bytes);
    expect(m.opType).toBe('GRU');
    expect(m.opset).toBe(14);
    expect(m.nodeInputs).toEqual(['X', 'W', 'R', '', '', 'initial_h']);
    expect(m.nodeOutputs).toEqual(['', 'Y_h']);
    expect(m.graphInputs).toEqual(['X', 'initial_h']);
    expect(m.graphOutputs).toEqual(['Y_h']);
    expect(Object.keys(m.initializers)).toEqual(['W', 'R']);
    expect(m.initializers.W.data).toEqual(W.data);
    expect(m.initializers.R.dims).toEqual(R.dims);
    expect(m.attrs).toEqual({ ...attrs, activation_alpha: [Math.fround(0.3)], activation_beta: [Math.fround(0.6)] });
  });

  test('absent B and sequence_lens behave as zeros and full lengths in onnxruntime', async () => {
    const sparse = buildRnnModel({ opType: 'GRU', attrs: { hidden_size: H }, inputs: { X, W, R, initial_h: initialH } });
    const explicit = {
      X,
      W,
      R,
      initial_h: initialH,
      B: { type: 'float32' as const, data: new Float32Array(6 * H), dims: [1, 6 * H] },
      sequence_lens: { type: 'int32' as const, data: Int32Array.from([T, T]), dims: [B] },
    };
    const full = buildRnnModel({ opType: 'GRU', attrs: { hidden_size: H }, inputs: explicit });
    const a = await runOrt(sparse, { X, initial_h: initialH });
    const b = await runOrt(full, rnnModelFeeds(explicit));
    expectClose(a.Y, b.Y, { atol: 0, rtol: 0, label: 'Y' });
    expectClose(a.Y_h, b.Y_h, { atol: 0, rtol: 0, label: 'Y_h' });
  });

  test('writes clip as a FLOAT even when it is a whole number', async () => {
    // onnxruntime's checker rejects an INT clip ("Mismatched attribute type"); a FLOAT one must
    // also take effect, so clipping has to show in the outputs.
    const big = { X, W: randomTensor(W.dims, rng, 4), R };
    const run = async (attrs: { hidden_size: number; clip?: number }) =>
      (await runOrt(buildRnnModel({ opType: 'GRU', attrs, inputs: big }), { X })).Y;
    expect(maxAbsDiff(await run({ hidden_size: H, clip: 1 }), await run({ hidden_size: H }))).toBeGreaterThan(1e-3);
  });

  test('gives graph outputs the spec dims for every direction', async () => {
    const Wb = randomTensor([2, 4 * H, I], rng, 0.5);
    const Rb = randomTensor([2, 4 * H, H], rng, 0.5);
    const bytes = buildRnnModel({ opType: 'LSTM', attrs: { hidden_size: H, direction: 'bidirectional' }, inputs: { X, W: Wb, R: Rb } });
    const out = await runOrt(bytes, { X });
    expect(out.Y.dims).toEqual([T, 2, B, H]);
    expect(out.Y_h.dims).toEqual([2, B, H]);
    expect(out.Y_c.dims).toEqual([2, B, H]);
  });
});

describe('expectClose and maxAbsDiff', () => {
  const t = (data: number[], dims = [data.length]): Tensor => ({ type: 'float32', data: Float32Array.from(data), dims });

  test('passes within atol or within rtol', () => {
    expect(() => expectClose(t([1, 2]), t([1 + 5e-6, 2]))).not.toThrow();
    expect(() => expectClose(t([1000.05]), t([1000]))).not.toThrow(); // 5e-5 relative
    expect(() => expectClose(t([NaN]), t([NaN]))).not.toThrow();
  });

  test('fails beyond both, naming the first bad element', () => {
    expect(() => expectClose(t([0, 0, 0, 0], [2, 2]), t([0, 0, 0.5, 0], [2, 2]), { label: 'Y_h' })).toThrow(
      /^Y_h: 1 of 4 elements .* first at \[1, 0\] \(flat 2\): got 0, expected 0\.5; max \|diff\| 0\.5; dims \[2,2\]$/,
    );
    expect(() => expectClose(t([1.001]), t([1]))).toThrow(/1 of 1 elements/);
    expect(() => expectClose(t([1]), t([NaN]))).toThrow(/got 1, expected NaN/);
  });

  test('fails on different dims even when the data agree', () => {
    expect(() => expectClose(t([1, 2], [1, 2]), t([1, 2], [2, 1]))).toThrow(/dims \[1,2\] differ from expected \[2,1\]/);
  });

  test('maxAbsDiff is the largest difference, Infinity on length mismatch', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(maxAbsDiff(t([1]), t([1, 2]))).toBe(Infinity);
    expect(maxAbsDiff([NaN], [0])).toBe(Infinity);
  });
});

describe('seeded random data', () => {
  test('mulberry32 repeats for a seed and differs across seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(3).every((v) => v >= 0 && v < 1)).toBe(true);
  });

  test('randomTensor fills the dims within [-scale, scale)', () => {
    const r = randomTensor([3, 4, 5], mulberry32(9), 0.25);
    expect(r.dims).toEqual([3, 4, 5]);
    expect(r.data.length).toBe(60);
    expect(Array.from(r.data).every((v) => Math.abs(v) <= 0.25)).toBe(true);
    expect(new Set(r.data).size).toBe(60);
  });
});
