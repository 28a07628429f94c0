// The shared fit loop and what it gives both model kinds: a recurrent layer's initial states and
// their gradients (against float64 central differences), seq2seq's validationSplit, checkpoints
// and resuming, and the models' `threads` option reaching every native call.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { layers, loadModel, Seq2Seq, seq2seq, sequential } from '../../lib';
import type { Seq2SeqArgs } from '../../lib';
import type { Activation } from '../../lib/layers';
import { Gru, type Recurrent } from '../../lib/layers';
import { binding } from '../../lib/native';
import { Rng } from '../../lib/train/rng';
import { dot, expectGradClose, f32, f64, numericGradient, rnnRef } from '../helpers/fd';

describe('a recurrent layer from initial states', () => {
  const N = 3,
    T = 4,
    I = 3,
    H = 4;
  const cases: { label: string; make: () => Recurrent }[] = [
    { label: 'GRU', make: () => layers.gru({ units: H, returnSequences: true }) },
    { label: 'LSTM', make: () => layers.lstm({ units: H }) },
    { label: 'SimpleRNN', make: () => layers.simpleRnn({ units: H, returnSequences: true }) },
  ];
  for (const c of cases) {
    test(`${c.label}: Y and final states, and the gradients of W, R, B, X, h0 (and c0), match float64 differences`, async () => {
      const rng = new Rng(31);
      const layer = c.make();
      layer.build([T, I], rng);
      for (const p of layer.params) for (let i = 0; i < p.value.length; i++) p.value[i] = rng.normal() * 0.5;
      const lstm = layer.cell === 'LSTM';
      const lengths = Int32Array.from([4, 2, 0]);
      const rand = (k: number): Float64Array => f64(f32(Array.from({ length: k }, () => rng.normal())));
      const X = rand(N * T * I);
      const h0 = rand(N * H);
      const c0 = rand(N * H);
      const spec = { cell: layer.cell, hidden: H, input: I, directions: 1 as const, linearBeforeReset: layer instanceof Gru };
      const x: Activation = { data: f32(X), dims: [N, T, I], lengths };
      const out = await layer.forwardWithStates(x, { training: true, rng }, { h: f32(h0), c: lstm ? f32(c0) : null });
      const params = layer.params.map((p) => f64(p.value));
      const ref = rnnRef(spec, params[0], params[1], params[2], X, N, T, lengths, h0, lstm ? c0 : null);
      expectGradClose('Y', out.y.data, ref.Y, 1e-5);
      expectGradClose('h', out.h, ref.Yh, 1e-5);
      if (lstm) expectGradClose('c', out.c!, ref.Yc, 1e-5);
      else expect(out.c).toBeNull();
      // A loss reading every output: Y, the final h and (LSTM) the final c.
      const wY = rand(N * T * H);
      const wH = rand(N * H);
      const wC = rand(N * H);
      const g = await layer.backwardWithStates(f32(wY), f32(wH), lstm ? f32(wC) : null);
      const loss = ([W, R, B, xs, h, cc]: Float64Array[]): number => {
        const r = rnnRef(spec, W, R, B, xs, N, T, lengths, h, lstm ? cc : null);
        return dot(wY, r.Y) + dot(wH, r.Yh) + (lstm ? dot(wC, r.Yc) : 0);
      };
      const num = numericGradient(loss, [...params, X, h0, c0], 1e-5);
      expectGradClose('dW', layer.params[0].grad, num[0]);
      expectGradClose('dR', layer.params[1].grad, num[1]);
      expectGradClose('dB', layer.params[2].grad, num[2]);
      expectGradClose('dX', g.dX, num[3]);
      expectGradClose('dH0', g.dH0, num[4]);
      if (lstm) expectGradClose('dC0', g.dC0!, num[5]);
      else expect(g.dC0).toBeNull();
    });
  }

  test('from zero states it gives what forward gives', async () => {
    const rng = new Rng(5);
    const layer = layers.gru({ units: H, returnSequences: true });
    layer.build([T, I], rng);
    const x: Activation = { data: f32(Array.from({ length: N * T * I }, () => rng.normal())), dims: [N, T, I] };
    const ctx = { training: false, rng };
    expect((await layer.forwardWithStates(x, ctx)).y.data).toEqual((await layer.forward(x, ctx)).data);
  });

  test('a stateful layer refuses initial states', async () => {
    const rng = new Rng(5);
    const layer = layers.gru({ units: H, stateful: true });
    layer.build([T, I], rng);
    const x: Activation = { data: new Float32Array(N * T * I), dims: [N, T, I] };
    await expect(layer.forwardWithStates(x, { training: false, rng })).rejects.toThrow(RangeError);
  });
});

// Reverse a short digit string: enough to train a few epochs on.
function reversal(rows: number, seed: number): { src: number[][]; tgt: number[][] } {
  const rng = new Rng(seed);
  const src: number[][] = [];
  const tgt: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const len = 2 + Math.floor(rng.next() * 4);
    const digits = Array.from({ length: len }, () => 3 + Math.floor(rng.next() * 8));
    src.push([...digits, ...new Array(6 - len).fill(0)]);
    tgt.push([...[...digits].reverse(), 2, ...new Array(6 - len).fill(0)]);
  }
  return { src, tgt };
}

const s2sArgs: Seq2SeqArgs = {
  cell: 'lstm',
  srcVocab: 11,
  tgtVocab: 11,
  embedDim: 8,
  units: 12,
  attention: 'luong',
  dropout: 0.1,
  seed: 4,
};

function s2s(extra: Partial<Seq2SeqArgs> = {}): Seq2Seq {
  const m = seq2seq({ ...s2sArgs, ...extra });
  m.compile({ optimizer: 'adam', metrics: ['accuracy'] });
  return m;
}

describe('seq2seq through the shared fit loop', () => {
  const { src, tgt } = reversal(40, 9);
  const opts = { batchSize: 8, verbose: 0 as const, seed: 3 };
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-fit-loop-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('validationSplit holds out the last fraction, as validationData would', async () => {
    const split = await s2s().fit(src, tgt, { ...opts, epochs: 2, validationSplit: 0.25 });
    const explicit = await s2s().fit(src.slice(0, 30), tgt.slice(0, 30), {
      ...opts,
      epochs: 2,
      validationData: [src.slice(30), tgt.slice(30)],
    });
    expect(split.history).toEqual(explicit.history);
    expect(split.val_loss).toHaveLength(2);
    await expect(s2s().fit(src, tgt, { validationSplit: 1 })).rejects.toThrow(
      'Seq2Seq.fit: expected validationSplit to be a number in (0, 1), but received 1',
    );
  });

  test('a resumed checkpoint continues the same loss curve and ends on the same weights', async () => {
    const straightModel = s2s();
    const straight = await straightModel.fit(src, tgt, { ...opts, epochs: 4, validationSplit: 0.2 });
    const ckpt = path.join(dir, 's2s.ckpt');
    const first = await s2s().fit(src, tgt, { ...opts, epochs: 2, validationSplit: 0.2, checkpoint: { path: ckpt } });
    expect(first.loss).toEqual(straight.loss.slice(0, 2));
    // A fresh model of another seed: everything that matters comes from the checkpoint.
    const resumedModel = s2s({ seed: 77 });
    const resumed = await resumedModel.fit(src, tgt, { ...opts, seed: 1234, epochs: 4, validationSplit: 0.2, resumeFrom: ckpt });
    expect(resumed.epoch).toEqual([0, 1, 2, 3]);
    expect(resumed.loss).toEqual(straight.loss);
    expect(resumed.history.val_accuracy).toEqual(straight.history.val_accuracy);
    expect(resumedModel.getWeights()).toEqual(straightModel.getWeights());
    // The checkpoint is also a model file.
    const loaded = await loadModel<Seq2Seq>(ckpt);
    expect(loaded).toBeInstanceOf(Seq2Seq);
    expect(loaded.countParams()).toBe(straightModel.countParams());
  });

  test('checkpoint every n epochs, and resume errors', async () => {
    const ckpt = path.join(dir, 'every.ckpt');
    const m = s2s();
    let writes = 0;
    const watch = { onEpochEnd: () => void (writes = fs.existsSync(ckpt) ? writes + 1 : writes) };
    await m.fit(src, tgt, { ...opts, epochs: 3, checkpoint: { path: ckpt, every: 2 }, callbacks: watch });
    // Written after epoch 2 (seen at epoch 3's end) and after the last epoch.
    expect(writes).toBe(1);
    expect(fs.existsSync(ckpt)).toBe(true);
    await expect(s2s({ units: 10 }).fit(src, tgt, { resumeFrom: ckpt })).rejects.toThrow(
      `Seq2Seq.fit: the checkpoint ${ckpt} holds a different architecture than this model`,
    );
    const saved = path.join(dir, 'saved.gatedrnn');
    await m.save(saved);
    await expect(s2s().fit(src, tgt, { resumeFrom: saved })).rejects.toThrow(
      `Seq2Seq.fit: resumeFrom ${saved} is a saved model, not a checkpoint (it has no training state)`,
    );
    await expect(m.fit(src, tgt, { checkpoint: { path: ckpt, every: 0 } })).rejects.toThrow(TypeError);
  });
});

describe('the threads option', () => {
  const { src, tgt } = reversal(24, 2);
  const x = Array.from({ length: 24 }, (_, i) => Array.from({ length: 5 }, (_, t) => [Math.sin(i + t), Math.cos(i * t)]));
  const y = x.map((r) => [r[4][0] > 0 ? 1 : 0]);
  const seqModel = (threads?: number) => {
    const m = sequential(
      [
        layers.bidirectional({ layer: layers.gru({ units: 6, returnSequences: true }) }),
        layers.lstm({ units: 5 }),
        layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
      { seed: 3, threads },
    );
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    return m;
  };

  /** Runs `body` while recording the threads of every gemm, trainer and inference-op call. */
  async function recording(body: () => Promise<void>): Promise<Set<number>> {
    const seen = new Set<number>();
    const b = binding();
    const gemm = b.gemm;
    jest.spyOn(b, 'gemm').mockImplementation((args) => {
      seen.add(args.threads);
      return gemm(args);
    });
    const Trainer = b.NativeRnnTrainer;
    jest.spyOn(b, 'NativeRnnTrainer').mockImplementation(((spec: never, threads: number) => {
      seen.add(threads);
      return new Trainer(spec, threads);
    }) as never);
    const Rnn = b.NativeRnn;
    jest.spyOn(b, 'NativeRnn').mockImplementation(((spec: never, weights: never, threads: number) => {
      seen.add(threads);
      return new Rnn(spec, weights, threads);
    }) as never);
    try {
      await body();
    } finally {
      jest.restoreAllMocks();
    }
    return seen;
  }

  test('sequential: every native call gets the model threads, and 1 and 2 threads train alike', async () => {
    const runs: unknown[] = [];
    for (const threads of [1, 2]) {
      const seen = await recording(async () => {
        const m = seqModel(threads);
        const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
        runs.push([h.history, Array.from((await m.predict(x)).data)]);
      });
      expect([...seen]).toEqual([threads]);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  test('seq2seq: every native call, decoding included, gets the model threads, and 1 and 2 threads train alike', async () => {
    const runs: unknown[] = [];
    for (const threads of [1, 2]) {
      const seen = await recording(async () => {
        const m = s2s({ threads, cell: 'gru' });
        const h = await m.fit(src, tgt, { epochs: 2, batchSize: 8, verbose: 0 });
        runs.push([h.history, await m.predict(src.slice(0, 5), { method: 'beam', beamWidth: 2 })]);
      });
      expect([...seen]).toEqual([threads]);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  test('a bad value is a RangeError naming threads', () => {
    expect(() => seqModel(0)).toThrow('sequential: expected threads to be a positive integer up to 1024, but received 0');
    expect(() => sequential([layers.dense({ units: 1 })], { threads: 1.5 })).toThrow(RangeError);
    expect(() => seq2seq({ ...s2sArgs, threads: 2000 })).toThrow(
      'seq2seq: expected threads to be a positive integer up to 1024, but received 2000',
    );
  });
});
