/** @jest-environment ./test/helpers/node-realm-environment.ts */

// loadOnnx on real models: the ONNX project's conformance cases (every weight fed as a graph
// input, so packed per run), files written by torch.onnx.export and a keras2onnx-style LSTM
// (compared with torch's own outputs and with onnxruntime-node), streaming with carried state,
// and the session's contract: run/runSync, fetches, feeds checks, dispose.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor, loadOnnx } from '../../lib';
import { OnnxSession } from '../../lib/onnx/session';
import { expectClose, graphFeeds, graphOutputs, loadConformanceCase, mulberry32, randomTensor, runOrt, toNumbers } from '../helpers/onnx';

const CONFORMANCE_DIR = path.resolve(__dirname, '../fixtures/conformance/onnx-node');
const FIXTURES = path.join(__dirname, '../fixtures', 'onnx');

interface JsonTensor {
  type: 'float32' | 'int32' | 'int64';
  dims: number[];
  data: number[];
}

function fromJson(t: JsonTensor): Tensor {
  if (t.type === 'int64')
    return new Tensor(
      'int64',
      BigInt64Array.from(t.data, (v) => BigInt(v)),
      t.dims,
    );
  if (t.type === 'int32') return new Tensor('int32', Int32Array.from(t.data), t.dims);
  return new Tensor('float32', Float32Array.from(t.data), t.dims);
}

function fixture(name: string): { bytes: Uint8Array; inputs: Record<string, Tensor>; outputs: Record<string, Tensor> } {
  const json = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as {
    inputs: Record<string, JsonTensor>;
    outputs: Record<string, JsonTensor>;
  };
  const map = (o: Record<string, JsonTensor>) => Object.fromEntries(Object.entries(o).map(([k, t]) => [k, fromJson(t)]));
  return { bytes: fs.readFileSync(path.join(FIXTURES, `${name}.onnx`)), inputs: map(json.inputs), outputs: map(json.outputs) };
}

describe('conformance cases through loadOnnx', () => {
  const cases = fs.readdirSync(CONFORMANCE_DIR).sort();
  test('all 12 are present', () => expect(cases).toHaveLength(12));
  test.each(cases)('%s matches within 1e-5', async (name) => {
    const dir = path.join(CONFORMANCE_DIR, name);
    const c = loadConformanceCase(dir);
    const session = await loadOnnx(path.join(dir, 'model.onnx'));
    const got = await session.run(graphFeeds(c));
    for (const [out, want] of Object.entries(graphOutputs(c)))
      expectClose(got[out], want, { atol: 1e-5, rtol: 0, label: `${name} ${out}` });
    session.dispose();
  });
});

const TORCH_FIXTURES = ['torch_gru_classifier', 'torch_bilstm', 'torch_gru_state', 'keras_lstm_state'];

describe('models from real exporters', () => {
  test.each(TORCH_FIXTURES)('%s matches torch within 1e-4 and onnxruntime-node within 1e-5', async (name) => {
    const f = fixture(name);
    const session = await loadOnnx(f.bytes, { threads: 1 });
    const got = await session.run(f.inputs);
    const ortOut = await runOrt(f.bytes, f.inputs);
    expect(Object.keys(got).sort()).toEqual(Object.keys(f.outputs).sort());
    for (const [out, want] of Object.entries(f.outputs)) {
      expectClose(got[out], want, { atol: 1e-4, rtol: 0, label: `${name} ${out} vs torch` });
      expectClose(got[out], ortOut[out], { atol: 1e-5, rtol: 0, label: `${name} ${out} vs onnxruntime` });
    }
    session.dispose();
  });

  test('the GRU classifier takes other batch and sequence sizes (dynamic dims)', async () => {
    const f = fixture('torch_gru_classifier');
    const session = await loadOnnx(f.bytes);
    const rng = mulberry32(5);
    const tokens = new Tensor(
      'int64',
      BigInt64Array.from({ length: 4 * 17 }, () => BigInt(Math.floor(rng() * 60))),
      [4, 17],
    );
    const got = session.runSync({ tokens });
    expect(got.probs.dims).toEqual([4, 5]);
    expectClose(got.probs, (await runOrt(f.bytes, { tokens })).probs, { atol: 1e-5, rtol: 0, label: 'probs' });
    for (let b = 0; b < 4; b++)
      expect((got.probs.data as Float32Array).slice(b * 5, b * 5 + 5).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
  });

  test('the session describes its inputs and outputs', async () => {
    const session = await loadOnnx(fixture('torch_gru_state').bytes);
    expect(session.inputNames).toEqual(['x', 'h0']);
    expect(session.outputNames).toEqual(['y', 'h_n']);
    expect(session.inputMetadata[0]).toEqual({ name: 'x', isTensor: true, type: 'float32', shape: ['time', 'batch', 6] });
    expect(session.opset).toBe(14);
    expect(session.producer).toBe('pytorch');
  });
});

describe('streaming with carried state', () => {
  async function chunked(name: string, x: string, stateIn: string[], stateOut: string[], timeAxis: number, chunks: number[]) {
    const f = fixture(name);
    const session = await loadOnnx(f.bytes);
    const whole = await session.run(f.inputs);
    const X = f.inputs[x];
    const T = X.dims[timeAxis];
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(T);
    const outer = X.dims.slice(0, timeAxis).reduce((a, b) => a * b, 1);
    const inner = X.dims.slice(timeAxis + 1).reduce((a, b) => a * b, 1);
    let state = stateIn.map((n) => f.inputs[n]);
    let start = 0;
    const pieces: Tensor[] = [];
    for (const len of chunks) {
      const data = new Float32Array(outer * len * inner);
      for (let o = 0; o < outer; o++)
        data.set((X.data as Float32Array).subarray((o * T + start) * inner, (o * T + start + len) * inner), o * len * inner);
      const dims = [...X.dims];
      dims[timeAxis] = len;
      const feeds: Record<string, Tensor> = { [x]: new Tensor('float32', data, dims) };
      stateIn.forEach((n, k) => (feeds[n] = state[k]));
      const out = await session.run(feeds);
      state = stateOut.map((n) => out[n]);
      pieces.push(out[session.outputNames[0]]);
      start += len;
    }
    stateOut.forEach((n, k) => expectClose(state[k], whole[n], { atol: 1e-6, rtol: 0, label: `${name} final ${n}` }));
    return { pieces, whole: whole[session.outputNames[0]] };
  }

  test('an LSTM in the keras2onnx pattern, fed chunk by chunk, ends in the state of one long run', async () => {
    const { pieces, whole } = await chunked(
      'keras_lstm_state',
      'input_1',
      ['state_h_in', 'state_c_in'],
      ['state_h_out', 'state_c_out'],
      1,
      [2, 4, 3],
    );
    // lstm_out [batch, time, hidden]: the chunks' outputs side by side along time are the whole output.
    const H = whole.dims[2];
    let t0 = 0;
    for (const p of pieces) {
      for (let b = 0; b < whole.dims[0]; b++) {
        for (let t = 0; t < p.dims[1]; t++) {
          for (let h = 0; h < H; h++) {
            expect(Number(p.data[(b * p.dims[1] + t) * H + h])).toBeCloseTo(Number(whole.data[(b * whole.dims[1] + t0 + t) * H + h]), 6);
          }
        }
      }
      t0 += p.dims[1];
    }
  });

  test('a torch GRU with h0 in and h_n out, step by step', async () => {
    await chunked('torch_gru_state', 'x', ['h0'], ['h_n'], 0, [1, 1, 1, 1, 1]);
  });
});

describe('session contract', () => {
  test('run and runSync agree; fetches pick outputs', async () => {
    const f = fixture('keras_lstm_state');
    const session = await loadOnnx(f.bytes);
    const a = await session.run(f.inputs);
    const b = session.runSync(f.inputs);
    for (const k of session.outputNames) expect(toNumbers(a[k])).toEqual(toNumbers(b[k]));
    const only = await session.run(f.inputs, ['state_c_out']);
    expect(Object.keys(only)).toEqual(['state_c_out']);
    expect(() => session.runSync(f.inputs, ['nope'])).toThrow(
      "OnnxSession.runSync: expected fetches to be an array of output names ('lstm_out', 'state_h_out', 'state_c_out'), but received an array of length 1",
    );
  });

  test('concurrent runs of one session give what serial runs give', async () => {
    const f = fixture('torch_bilstm');
    const session = await loadOnnx(f.bytes);
    const rng = mulberry32(3);
    const inputs = [0, 1, 2, 3].map(() => {
      const x = randomTensor([2, 7 + Math.floor(rng() * 20), 8], rng);
      return { x: new Tensor('float32', x.data, x.dims) };
    });
    const together = await Promise.all(inputs.map((feeds) => session.run(feeds)));
    for (const [k, feeds] of inputs.entries()) expect(toNumbers(together[k].y)).toEqual(toNumbers(session.runSync(feeds).y));
  });

  test('onnxruntime-common tensors are accepted as feeds', async () => {
    const f = fixture('torch_gru_state');
    const session = await loadOnnx(f.bytes);
    const feeds = Object.fromEntries(
      Object.entries(f.inputs).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.dims)]),
    );
    const got = await session.run(feeds);
    expectClose(got.h_n, f.outputs.h_n, { atol: 1e-4, rtol: 0 });
  });

  test('the event loop keeps turning while the recurrent node runs', async () => {
    const session = await loadOnnx(fixture('torch_bilstm').bytes);
    // About 70 ms of work: long enough that the result cannot come back before the loop turns,
    // even when this thread is held up for a while after the call starts (see onnx-session-speed).
    const x = new Tensor('float32', new Float32Array(8 * 60_000 * 8).fill(0.05), [8, 60_000, 8]);
    let turned = false;
    const pending = session.run({ x }).then(() => turned);
    setImmediate(() => (turned = true));
    expect(await pending).toBe(true);
  });

  test('feeds are checked: missing, unknown, wrong type, wrong dims', async () => {
    const f = fixture('keras_lstm_state');
    const session = await loadOnnx(f.bytes);
    const { input_1, state_h_in } = f.inputs;
    expect(() => session.runSync({ input_1, state_h_in })).toThrow(
      "OnnxSession.runSync: expected feeds['state_c_in'] to be a tensor for input 'state_c_in' (float32 [N, 7]), but received undefined",
    );
    expect(() => session.runSync({ ...f.inputs, extra: input_1 })).toThrow(
      "OnnxSession.runSync: expected feeds to be keyed by the model's inputs ('input_1', 'state_h_in', 'state_c_in'), but received an unknown input 'extra'",
    );
    const asInt = new Tensor('int32', new Int32Array(input_1.data.length), input_1.dims);
    expect(() => session.runSync({ ...f.inputs, input_1: asInt })).toThrow(
      "OnnxSession.runSync: expected feeds['input_1'].type to be 'float32', but received \"int32\" of type string",
    );
    const wrongDims = new Tensor('float32', new Float32Array(3 * 9 * 4), [3, 9, 4]);
    expect(() => session.runSync({ ...f.inputs, input_1: wrongDims })).toThrow(
      "OnnxSession.runSync: expected feeds['input_1'].dims to be [N, T, 5], but received [3, 9, 4]",
    );
    const badBatch = new Tensor('float32', new Float32Array(2 * 7), [2, 7]);
    expect(() => session.runSync({ ...f.inputs, state_h_in: badBatch })).toThrow(
      /node 'lstm\/LSTM' \(LSTM, opset 13\): LstmOp\.run: expected initialH\.dims to be \[1, 3, 7\]/,
    );
  });

  test('outputs are fresh buffers even when they are a feed passed through', async () => {
    const f = fixture('keras_lstm_state');
    const session = await loadOnnx(f.bytes);
    const out = session.runSync(f.inputs);
    expect(out.state_h_out.data.buffer).not.toBe(f.inputs.state_h_in.data.buffer);
  });

  test('dispose frees the packed weights; later runs throw', async () => {
    const f = fixture('torch_gru_state');
    const session = await loadOnnx(f.bytes);
    session.dispose();
    expect(() => session.runSync(f.inputs)).toThrow('OnnxSession.runSync: this session has been disposed');
    await expect(session.run(f.inputs)).rejects.toThrow('OnnxSession.run: this session has been disposed');
    session.dispose();
  });

  test('options are checked', async () => {
    const bytes = fixture('torch_gru_state').bytes;
    await expect(loadOnnx(bytes, { threads: 0 })).rejects.toThrow(
      'loadOnnx: expected options.threads to be a positive integer, but received 0 of type number',
    );
    await expect(loadOnnx(42 as unknown as Uint8Array)).rejects.toThrow(
      'loadOnnx: expected model to be a file path, or the ONNX bytes as a Uint8Array (or Buffer) or an ArrayBuffer, but received 42 of type number',
    );
    const copy = new Uint8Array(bytes).buffer;
    expect((await loadOnnx(copy)).inputNames).toEqual(['x', 'h0']);
    expect(new OnnxSession(bytes, { threads: 2 }).outputNames).toEqual(['y', 'h_n']);
  });
});
