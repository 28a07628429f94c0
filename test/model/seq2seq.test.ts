// The encoder–decoder model: gradients of its masked loss against float64 central differences
// (GRU, LSTM and plain RNN, with and without attention, stacked), a tiny task it learns (reverse a digit
// string), beam search of width 1 against greedy decoding, save/load, and argument errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, optimizers, Seq2Seq, seq2seq, Tensor } from '../../lib';
import type { Seq2SeqArgs } from '../../lib';
import { Rng } from '../../lib/train/rng';
import { decode, encode } from '../../lib/model/io';
import { expectGradClose, f64, numericGradient } from '../helpers/fd';

// --- a float64 reference of the teacher-forced loss ------------------------------------------------

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function lengths(ids: Int32Array, n: number, t: number): number[] {
  return Array.from({ length: n }, (_, b) => {
    let len = 0;
    for (let s = 0; s < t; s++) if (ids[b * t + s] !== 0) len = s + 1;
    return len;
  });
}

/**
 * ONNX GRU (linear_before_reset = 1, gates z r h), LSTM (gates i o f c) or RNN (tanh) over x [n, t, I] from
 * initial states; steps past a row's length give zeros and leave its state alone.
 */
function rnn64(
  cell: 'gru' | 'lstm' | 'rnn',
  W: Float64Array,
  R: Float64Array,
  B: Float64Array,
  x: Float64Array,
  n: number,
  t: number,
  I: number,
  H: number,
  lens: number[],
  h0: Float64Array | null,
  c0: Float64Array | null,
) {
  const G = cell === 'gru' ? 3 : cell === 'lstm' ? 4 : 1;
  const Y = new Float64Array(n * t * H);
  const hT = new Float64Array(n * H);
  const cT = new Float64Array(n * H);
  const pre = (g: number, j: number, xo: number, h: Float64Array): [number, number] => {
    const row = g * H + j;
    let wx = B[row];
    for (let k = 0; k < I; k++) wx += W[row * I + k] * x[xo + k];
    let rh = B[G * H + row];
    for (let k = 0; k < H; k++) rh += R[row * H + k] * h[k];
    return [wx, rh];
  };
  for (let b = 0; b < n; b++) {
    let h = h0 ? h0.slice(b * H, b * H + H) : new Float64Array(H);
    let c = c0 ? c0.slice(b * H, b * H + H) : new Float64Array(H);
    for (let s = 0; s < lens[b]; s++) {
      const xo = (b * t + s) * I;
      const hn = new Float64Array(H);
      const cn = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if (cell === 'gru') {
          const [zx, zh] = pre(0, j, xo, h);
          const [rx, rh] = pre(1, j, xo, h);
          const [nx, nh] = pre(2, j, xo, h);
          const z = sigmoid(zx + zh);
          const cand = Math.tanh(nx + sigmoid(rx + rh) * nh);
          hn[j] = (1 - z) * cand + z * h[j];
        } else if (cell === 'rnn') {
          hn[j] = Math.tanh(pre(0, j, xo, h).reduce((p, q) => p + q));
        } else {
          const a = [0, 1, 2, 3].map((g) => pre(g, j, xo, h).reduce((p, q) => p + q));
          cn[j] = sigmoid(a[2]) * c[j] + sigmoid(a[0]) * Math.tanh(a[3]);
          hn[j] = sigmoid(a[1]) * Math.tanh(cn[j]);
        }
      }
      h = hn;
      if (cell === 'lstm') c = cn;
      Y.set(h, (b * t + s) * H);
    }
    hT.set(h, b * H);
    cT.set(c, b * H);
  }
  return { Y, h: hT, c: cT };
}

function embed64(table: Float64Array, ids: Int32Array, d: number): Float64Array {
  const out = new Float64Array(ids.length * d);
  ids.forEach((id, i) => out.set(table.subarray(id * d, id * d + d), i * d));
  return out;
}

/** rows [rows, fin] · kernel [fin, units] + bias. */
function dense64(x: Float64Array, kernel: Float64Array, bias: Float64Array, fin: number, units: number): Float64Array {
  const rows = x.length / fin;
  const z = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let v = bias[u];
      for (let k = 0; k < fin; k++) v += x[r * fin + k] * kernel[k * units + u];
      z[r * units + u] = v;
    }
  }
  return z;
}

/** The model's loss from float64 parameters given in `model.params` order. */
function refLoss(
  cfg: Required<
    Pick<Seq2SeqArgs, 'cell' | 'srcVocab' | 'tgtVocab' | 'embedDim' | 'units' | 'layers' | 'attention' | 'attentionScore' | 'startToken'>
  >,
  P: Float64Array[],
  src: Int32Array,
  tgt: Int32Array,
  n: number,
  ts: number,
  tt: number,
): number {
  const { cell, embedDim: E, units: H, layers: L, tgtVocab: V } = cfg;
  let i = 0;
  const next = (): Float64Array => P[i++];
  const srcTable = next();
  const enc = Array.from({ length: L }, () => [next(), next(), next()]);
  const tgtTable = next();
  const dec = Array.from({ length: L }, () => [next(), next(), next()]);
  const Wa = cfg.attention && cfg.attentionScore === 'general' ? next() : null;
  const att = cfg.attention ? [next(), next()] : null;
  const [Ko, bo] = [next(), next()];
  const srcLens = lengths(src, n, ts);
  const tgtLens = lengths(tgt, n, tt);
  let x = embed64(srcTable, src, E);
  const states: { h: Float64Array; c: Float64Array }[] = [];
  for (let l = 0; l < L; l++) {
    const out = rnn64(cell, enc[l][0], enc[l][1], enc[l][2], x, n, ts, l ? H : E, H, srcLens, null, null);
    states.push(out);
    x = out.Y;
  }
  const he = x;
  const decIn = new Int32Array(n * tt);
  for (let b = 0; b < n; b++) {
    decIn[b * tt] = cfg.startToken;
    for (let s = 1; s < tt; s++) decIn[b * tt + s] = tgt[b * tt + s - 1];
  }
  let y = embed64(tgtTable, decIn, E);
  for (let l = 0; l < L; l++)
    y = rnn64(cell, dec[l][0], dec[l][1], dec[l][2], y, n, tt, l ? H : E, H, tgtLens, states[l].h, cell === 'lstm' ? states[l].c : null).Y;
  let top = y;
  if (att) {
    const concat = new Float64Array(n * tt * 2 * H);
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < tt; t++) {
        const hd = y.subarray((b * tt + t) * H, (b * tt + t + 1) * H);
        const scores = Array.from({ length: srcLens[b] }, (_, s) => {
          const hs = he.subarray((b * ts + s) * H, (b * ts + s + 1) * H);
          let v = 0;
          for (let j = 0; j < H; j++) {
            let key = hs[j];
            if (Wa) {
              key = 0;
              for (let k = 0; k < H; k++) key += Wa[j * H + k] * hs[k];
            }
            v += hd[j] * key;
          }
          return v;
        });
        const m = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - m));
        const sum = e.reduce((p, q) => p + q, 0);
        const o = (b * tt + t) * 2 * H;
        for (let s = 0; s < srcLens[b]; s++) for (let j = 0; j < H; j++) concat[o + j] += (e[s] / sum) * he[(b * ts + s) * H + j];
        concat.set(hd, o + H);
      }
    }
    top = dense64(concat, att[0], att[1], 2 * H, H).map(Math.tanh);
  }
  const z = dense64(top, Ko, bo, H, V);
  let loss = 0;
  let count = 0;
  for (let r = 0; r < n * tt; r++) {
    if (tgt[r] === 0) continue;
    let m = -Infinity;
    for (let j = 0; j < V; j++) m = Math.max(m, z[r * V + j]);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(z[r * V + j] - m);
    loss += m + Math.log(s) - z[r * V + tgt[r]];
    count++;
  }
  return loss / count;
}

describe('seq2seq gradients vs float64 differences', () => {
  const n = 3;
  const ts = 4;
  const tt = 4;
  // Padding at the ends: source lengths 4, 2, 3; target lengths 4, 3, 1 (each ends with 2).
  const src = Int32Array.from([3, 4, 5, 3, 5, 4, 0, 0, 4, 4, 3, 0]);
  const tgt = Int32Array.from([5, 3, 4, 2, 4, 5, 2, 0, 2, 0, 0, 0]);
  const cases: { label: string; args: Partial<Seq2SeqArgs> }[] = [
    { label: 'GRU, no attention', args: { cell: 'gru' } },
    { label: 'LSTM, no attention, 2 layers', args: { cell: 'lstm', layers: 2 } },
    { label: 'GRU, Luong general attention, 2 layers', args: { cell: 'gru', layers: 2, attention: 'luong' } },
    { label: 'LSTM, Luong dot attention', args: { cell: 'lstm', attention: 'luong', attentionScore: 'dot' } },
    { label: 'RNN, Luong general attention, 2 layers', args: { cell: 'rnn', layers: 2, attention: 'luong' } },
  ];
  for (const c of cases) {
    test(c.label, async () => {
      const args = {
        cell: 'gru' as Seq2SeqArgs['cell'],
        srcVocab: 6,
        tgtVocab: 6,
        embedDim: 3,
        units: 3,
        layers: 1,
        attention: false as const,
        attentionScore: 'general' as const,
        startToken: 1,
        seed: 5,
        ...c.args,
      };
      const model = seq2seq(args);
      const rng = new Rng(9);
      // Larger than the initial weights, so that every path carries a visible gradient.
      model.setWeights(model.getWeights().map((w) => w.map(() => rng.normal() * 0.6)));
      const loss = await model.computeGradients(new Tensor('int32', src, [n, ts]), new Tensor('int32', tgt, [n, tt]));
      const P = model.getWeights().map(f64);
      const cfg = { ...args, attention: args.attention, layers: args.layers };
      expect(Math.abs(loss - refLoss(cfg, P, src, tgt, n, ts, tt))).toBeLessThan(1e-5);
      const grads = numericGradient((xs) => refLoss(cfg, xs, src, tgt, n, ts, tt), P, 1e-5);
      const params = (model as unknown as { params: { name: string; grad: Float32Array }[] }).params;
      params.forEach((p, i) => expectGradClose(`${c.label}: ${p.name} (#${i})`, p.grad, grads[i]));
      model.dispose();
    });
  }
});

// --- a task it learns ------------------------------------------------------------------------------

/** Digit strings of length 3 to 6 (tokens 3..12, padded with 0) and their reversals followed by the end token 2. */
function reversalData(count: number, seed: number): { src: Tensor<'int32'>; tgt: Tensor<'int32'>; want: number[][] } {
  const rng = new Rng(seed);
  const src = new Int32Array(count * 6);
  const tgt = new Int32Array(count * 7);
  const want: number[][] = [];
  for (let i = 0; i < count; i++) {
    const len = 3 + Math.floor(rng.next() * 4);
    const digits = Array.from({ length: len }, () => 3 + Math.floor(rng.next() * 10));
    src.set(digits, i * 6);
    const rev = [...digits].reverse();
    tgt.set([...rev, 2], i * 7);
    want.push(rev);
  }
  return { src: new Tensor('int32', src, [count, 6]), tgt: new Tensor('int32', tgt, [count, 7]), want };
}

const exactMatch = (got: number[][], want: number[][]): number =>
  got.filter((g, i) => g.length === want[i].length && g.every((v, j) => v === want[i][j])).length / want.length;

describe('seq2seq learns to reverse digit strings', () => {
  let model: Seq2Seq;
  const test1 = reversalData(200, 2);
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-seq2seq-'));
    const train = reversalData(3000, 1);
    model = seq2seq({ cell: 'gru', srcVocab: 13, tgtVocab: 13, embedDim: 16, units: 64, attention: 'luong', seed: 3 });
    model.compile({ optimizer: optimizers.adam({ learningRate: 0.01 }), metrics: ['accuracy'] });
    const history = await model.fit(train.src, train.tgt, {
      epochs: 5,
      batchSize: 64,
      seed: 4,
      verbose: 0,
      validationData: [test1.src, test1.tgt],
    });
    expect(history.history.loss[history.history.loss.length - 1]).toBeLessThan(history.history.loss[0]);
  });

  afterAll(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('greedy decoding: at least 95% exact matches on held-out strings', async () => {
    const got = await model.predict(test1.src, { method: 'greedy' });
    expect(exactMatch(got, test1.want)).toBeGreaterThanOrEqual(0.95);
  });

  test('beam search of width 1 is greedy decoding; wider beams decode too', async () => {
    const greedy = await model.predict(test1.src, { method: 'greedy' });
    expect(await model.predict(test1.src, { method: 'beam', beamWidth: 1 })).toEqual(greedy);
    const beam3 = await model.predict(test1.src, { method: 'beam', beamWidth: 3, batchSize: 50 });
    expect(exactMatch(beam3, test1.want)).toBeGreaterThanOrEqual(0.95);
  });

  test('maxLength bounds the output', async () => {
    const got = await model.predict(test1.src, { maxLength: 2 });
    expect(got.every((g) => g.length <= 2)).toBe(true);
    expect(got.map((g) => g.slice(0, 2))).toEqual((await model.predict(test1.src)).map((g) => g.slice(0, 2)));
  });

  test('save -> loadModel -> predict and evaluate give identical results', async () => {
    const file = path.join(dir, 'rev.gatedrnn');
    await model.save(file);
    const again = await loadModel<Seq2Seq>(file);
    try {
      expect(again).toBeInstanceOf(Seq2Seq);
      expect(again.config).toEqual(model.config);
      expect(again.getWeights()).toEqual(model.getWeights());
      expect(await again.predict(test1.src, { method: 'beam', beamWidth: 2 })).toEqual(
        await model.predict(test1.src, { method: 'beam', beamWidth: 2 }),
      );
      expect(await again.evaluate(test1.src, test1.tgt)).toEqual(await model.evaluate(test1.src, test1.tgt));
      expect(fs.readdirSync(dir)).toEqual(['rev.gatedrnn']); // no temporary file left behind
    } finally {
      again.dispose();
    }
  });
});

describe('seq2seq LSTM without attention', () => {
  test('trains (loss falls), decodes, and round-trips through a file', async () => {
    const data = reversalData(256, 7);
    const model = seq2seq({ cell: 'lstm', srcVocab: 13, tgtVocab: 13, embedDim: 8, units: 16, layers: 2, dropout: 0.1, seed: 1 });
    model.compile({ optimizer: 'adam' });
    const h = await model.fit(data.src, data.tgt, { epochs: 3, batchSize: 32, seed: 2, verbose: 0 });
    expect(h.loss[2]).toBeLessThan(h.loss[0]);
    expect(h.loss).toEqual(h.history.loss);
    const got = await model.predict(data.src, { method: 'beam', beamWidth: 1, maxLength: 8 });
    expect(got).toEqual(await model.predict(data.src, { maxLength: 8 }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-seq2seq-'));
    try {
      await model.save(path.join(dir, 'm.gatedrnn'));
      const again = await loadModel<Seq2Seq>(path.join(dir, 'm.gatedrnn'));
      expect(await again.predict(data.src, { maxLength: 8 })).toEqual(got);
      again.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });

  test('the same seed gives the same training run', async () => {
    const data = reversalData(64, 3);
    const run = async (): Promise<number[]> => {
      const m = seq2seq({ cell: 'lstm', srcVocab: 13, tgtVocab: 13, embedDim: 4, units: 8, dropout: 0.2, attention: 'luong', seed: 11 });
      m.compile({ optimizer: 'adam' });
      const h = await m.fit(data.src, data.tgt, { epochs: 2, batchSize: 16, seed: 12, verbose: 0 });
      m.dispose();
      return h.history.loss;
    };
    expect(await run()).toEqual(await run());
  });
});

describe('seq2seq plain RNN', () => {
  test('trains (loss falls) and decodes the same after a file round trip', async () => {
    const data = reversalData(128, 5);
    const model = seq2seq({ cell: 'rnn', srcVocab: 13, tgtVocab: 13, embedDim: 8, units: 16, attention: 'luong', seed: 4 });
    model.compile({ optimizer: 'adam' });
    const h = await model.fit(data.src, data.tgt, { epochs: 3, batchSize: 32, seed: 2, verbose: 0 });
    expect(h.loss[2]).toBeLessThan(h.loss[0]);
    const got = await model.predict(data.src, { maxLength: 8 });
    expect(await model.predict(data.src, { method: 'beam', beamWidth: 1, maxLength: 8 })).toEqual(got);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-seq2seq-rnn-'));
    try {
      await model.save(path.join(dir, 'm.gatedrnn'));
      const again = await loadModel<Seq2Seq>(path.join(dir, 'm.gatedrnn'));
      expect(again.config.cell).toBe('rnn');
      expect(await again.predict(data.src, { maxLength: 8 })).toEqual(got);
      again.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });
});

describe('seq2seq edge cases', () => {
  test('an all-padding source decodes from zero states and gets no attention weight', async () => {
    const m = seq2seq({ cell: 'lstm', srcVocab: 10, tgtVocab: 10, embedDim: 4, units: 4, attention: 'luong', seed: 1 });
    m.compile({ optimizer: 'adam' });
    const src = [
      [0, 0, 0],
      [3, 4, 0],
    ];
    const got = await m.predict(src, { method: 'beam', beamWidth: 2, maxLength: 3 });
    expect(got).toHaveLength(2);
    for (const g of got) expect(g.length).toBeLessThanOrEqual(3);
    const loss = await m.computeGradients(src, [
      [3, 2],
      [5, 2],
    ]);
    expect(Number.isFinite(loss)).toBe(true);
    m.dispose();
  });
});

describe('seq2seq argument errors', () => {
  const base: Seq2SeqArgs = { cell: 'gru', srcVocab: 10, tgtVocab: 10, embedDim: 4, units: 4 };

  test('config', () => {
    expect(() => seq2seq({ ...base, cell: 'simpleRnn' as never })).toThrow(
      "seq2seq: expected cell to be 'gru', 'lstm' or 'rnn', but received \"simpleRnn\" of type string",
    );
    expect(() => seq2seq({ ...base, units: 0 })).toThrow('seq2seq: expected units to be a positive integer, but received 0');
    expect(() => seq2seq({ ...base, attention: 'bahdanau' as never })).toThrow(
      'seq2seq: expected attention to be false or \'luong\', but received "bahdanau" of type string',
    );
    expect(() => seq2seq({ ...base, endToken: 10 })).toThrow(
      'seq2seq: expected endToken to be a token id in [1, 9] (0 is padding; tgtVocab 10), but received 10',
    );
    expect(() => seq2seq({ ...base, startToken: 2 })).toThrow(
      'seq2seq: expected endToken to be a token other than startToken (2), but received 2',
    );
    expect(() => seq2seq({ ...base, dropout: 1 })).toThrow('seq2seq: expected dropout to be a number in [0, 1), but received 1');
  });

  test('data and calls', async () => {
    const m = seq2seq(base);
    const src = new Tensor('int32', Int32Array.from([3, 4, 0]), [1, 3]);
    await expect(m.fit(src, [[3, 2]])).rejects.toThrow(
      'Seq2Seq.fit: the model is not compiled; call model.compile({ optimizer, metrics }) first',
    );
    m.compile({ optimizer: 'sgd' });
    await expect(m.fit(src, [[3, 12]])).rejects.toThrow(
      'Seq2Seq.fit: expected tgt values to be token ids in [0, 9] (tgtVocab 10), but received 12 at flat index 1',
    );
    await expect(
      m.fit(src, [
        [3, 2],
        [4, 2],
      ]),
    ).rejects.toThrow('Seq2Seq.fit: expected tgt.dims[0] to be 1 (one target per source in src), but received 2');
    await expect(m.fit([3, 4], [[3, 2]])).rejects.toThrow('Seq2Seq.fit: expected src.dims to be [N, T] token ids, but received [2]');
    await expect(m.predict(src, { method: 'sample' as never })).rejects.toThrow(
      "Seq2Seq.predict: expected method to be 'greedy' or 'beam', but received \"sample\" of type string",
    );
    await expect(m.predict(src, { method: 'beam', beamWidth: 0 })).rejects.toThrow(
      'Seq2Seq.predict: expected beamWidth to be a positive integer, but received 0',
    );
    m.dispose();
  });

  test('loadModel names what is wrong with a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-seq2seq-'));
    try {
      const m = seq2seq(base);
      const file = path.join(dir, 'm.gatedrnn');
      await m.save(file);
      const { header, arrays } = decode(fs.readFileSync(file), file);
      expect((header.model as { className: string }).className).toBe('Seq2Seq');
      // A whole, valid file whose output kernel is stored under another name.
      const renamed = [...arrays.entries()].map(([k, v]) => [k === 'output/kernel' ? 'output/weights' : k, v] as [string, Float32Array]);
      fs.writeFileSync(file, encode({ ...header, arrays: undefined }, renamed));
      await expect(loadModel(file)).rejects.toThrow(`loadModel(${file}): the file has no weights for output/kernel`);
      m.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
