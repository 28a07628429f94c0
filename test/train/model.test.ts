// The Sequential model with non-recurrent layers: learning, fit options, reproducibility,
// evaluate/predict, summary, config round trips, save/load, checkpoints and argument errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { layers, loadModel, losses, optimizers, sequential, type Sequential, Tensor, layerFromConfig } from '../../lib';
import { Rng } from '../../lib/train/rng';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-train-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Windows of a sine wave: x [N, W] past values, y [N, 1] the next one. */
function sineWindows(n: number, w: number): { x: Tensor<'float32'>; y: Tensor<'float32'> } {
  const x = new Float32Array(n * w);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const phase = i * 0.37;
    for (let j = 0; j < w; j++) x[i * w + j] = Math.sin(phase + j * 0.2);
    y[i] = Math.sin(phase + w * 0.2);
  }
  return { x: new Tensor('float32', x, [n, w]), y: new Tensor('float32', y, [n, 1]) };
}

/** Two-class points: label = x0 * x1 > 0 (XOR of signs), as nested arrays. */
function xorData(n: number, seed: number): { x: number[][]; y: number[] } {
  const rng = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2 - 1;
    x.push([a, b]);
    y.push(a * b > 0 ? 1 : 0);
  }
  return { x, y };
}

function mlp(seed = 1): Sequential {
  const m = sequential(
    [layers.dense({ units: 16, activation: 'tanh' }), layers.dropout({ rate: 0.1 }), layers.dense({ units: 2, activation: 'softmax' })],
    { seed },
  );
  m.compile({ optimizer: optimizers.adam({ learningRate: 0.03 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('learning', () => {
  test('a linear forecaster learns a sine wave to MSE < 1e-3', async () => {
    const { x, y } = sineWindows(200, 8);
    const m = sequential([layers.dense({ units: 1 })], { seed: 3 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'mse', metrics: ['mae', 'rmse'] });
    const h = await m.fit(x, y, { epochs: 60, batchSize: 16, verbose: 0, seed: 1 });
    const r = await m.evaluate(x, y);
    expect(r.loss).toBeLessThan(1e-3);
    expect(r.rmse).toBeCloseTo(Math.sqrt(r.loss), 5);
    expect(h.loss[h.loss.length - 1]).toBeLessThan(h.loss[0]);
  });

  test('an MLP separates XOR of signs, with validation and metrics in the history', async () => {
    const { x, y } = xorData(400, 5);
    const m = mlp();
    const h = await m.fit(x, y, { epochs: 40, batchSize: 32, validationSplit: 0.2, verbose: 0, seed: 2 });
    expect(Object.keys(h.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(h.epoch).toEqual([...Array(40).keys()]);
    expect(h.val_loss!.length).toBe(40);
    expect(h.history.val_accuracy[39]).toBeGreaterThan(0.9);
    const p = await m.predict(x.slice(0, 3));
    expect(p.dims).toEqual([3, 2]);
    expect(p.type).toBe('float32');
  });

  test('the same seed gives the same run; fit yields to the event loop', async () => {
    const { x, y } = xorData(64, 9);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const a = await mlp(4).fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, seed: 7 });
    clearInterval(timer);
    const b = await mlp(4).fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, seed: 7 });
    const c = await mlp(4).fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, seed: 8 });
    expect(b.loss).toEqual(a.loss);
    expect(c.loss).not.toEqual(a.loss);
    expect(ticks).toBeGreaterThan(0);
    // The model's seed alone also repeats a run.
    const d = await mlp(4).fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    const e = await mlp(4).fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(e.loss).toEqual(d.loss);
  });

  test('callbacks see every batch and epoch; earlyStopping ends training', async () => {
    const { x, y } = xorData(40, 1);
    const seen: string[] = [];
    const m = mlp();
    const h = await m.fit(x, y, {
      epochs: 50,
      batchSize: 20,
      verbose: 0,
      seed: 1,
      callbacks: { onEpochEnd: (e) => void seen.push(`e${e}`), onBatchEnd: (b, logs) => void seen.push(`b${b}:${logs.size}`) },
      earlyStopping: { monitor: 'loss', patience: 0, minDelta: 10 },
    });
    expect(seen).toEqual(['b0:20', 'b1:20', 'e0', 'b0:20', 'b1:20', 'e1']);
    expect(h.loss.length).toBe(2);
  });
});

describe('masked sequences', () => {
  test('padded steps of a masking embedding weigh nothing in the loss or the metrics', async () => {
    const m = sequential(
      [layers.embedding({ inputDim: 5, outputDim: 3, maskZero: true }), layers.dense({ units: 4, activation: 'softmax' })],
      { seed: 1 },
    );
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = [
      [1, 2, 0, 0],
      [3, 4, 1, 0],
    ];
    const a = await m.evaluate(x, [
      [1, 2, 0, 0],
      [3, 0, 1, 0],
    ]);
    const b = await m.evaluate(x, [
      [1, 2, 3, 3],
      [3, 0, 1, 2],
    ]);
    expect(b).toEqual(a);
  });

  test('ignoreClass drops those targets from a sequence loss', async () => {
    const m = sequential([layers.embedding({ inputDim: 5, outputDim: 3 }), layers.dense({ units: 4, activation: 'softmax' })], { seed: 1 });
    m.compile({ optimizer: 'sgd', loss: losses.sparseCategoricalCrossentropy({ ignoreClass: 0 }) });
    const x = [[1, 2, 3]];
    const full = await m.evaluate(x, [[1, 2, 3]]);
    const partial = await m.evaluate(x, [[1, 0, 3]]);
    const p = await m.predict(x);
    const expected = -(Math.log(p.data[0 * 4 + 1]) + Math.log(p.data[2 * 4 + 3])) / 2;
    expect(partial.loss).toBeCloseTo(expected, 5);
    expect(partial.loss).not.toBeCloseTo(full.loss, 5);
  });
});

describe('summary and configs', () => {
  test('summary lists layers, output shapes and parameter counts', () => {
    const m = sequential([
      layers.embedding({ inputDim: 100, outputDim: 8 }),
      layers.dense({ units: 4, activation: 'relu' }),
      layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
    ]);
    m.build([10]);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const text = m.summary();
    expect(log).toHaveBeenCalledWith(text);
    log.mockRestore();
    const lines = text.split('\n');
    expect(lines[0]).toBe('Model: "sequential"');
    expect(lines.some((l) => /^embedding \(Embedding\)\s+\(None, 10, 8\)\s+800$/.test(l))).toBe(true);
    expect(lines.some((l) => /^dense \(Dense\)\s+\(None, 10, 4\)\s+36$/.test(l))).toBe(true);
    expect(lines.some((l) => /^probs \(Dense\)\s+\(None, 10, 3\)\s+15$/.test(l))).toBe(true);
    expect(text).toContain('Total params: 851');
  });

  test('getConfig / fromConfig round trips, defaults filled in', () => {
    const all = [
      layers.dense({ units: 3 }),
      layers.dense({ units: 2, activation: 'sigmoid', useBias: false, kernelInitializer: 'zeros' }),
      layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true }),
      layers.dropout({ rate: 0.25 }),
      layers.gru({ units: 5, returnSequences: true, resetAfter: false }),
      layers.lstm({ units: 6, unitForgetBias: false }),
      layers.bidirectional({ layer: layers.gru({ units: 4 }) }),
    ];
    for (const l of all) {
      const s = { className: l.className, config: l.getConfig() };
      const again = layerFromConfig(JSON.parse(JSON.stringify(s)));
      expect(again.className).toBe(l.className);
      expect(again.getConfig()).toEqual(JSON.parse(JSON.stringify(l.getConfig())));
    }
    expect(layers.gru({ units: 5 }).getConfig()).toEqual({
      name: undefined,
      units: 5,
      returnSequences: false,
      kernelInitializer: 'glorotUniform',
      recurrentInitializer: 'orthogonal',
      biasInitializer: 'zeros',
      stateful: false,
      resetAfter: true,
    });
    expect(layers.lstm({ units: 2 }).getConfig().unitForgetBias).toBe(true);
  });

  test('describeLayers walks layers, weights and configs (what an exporter needs)', () => {
    const m = sequential([layers.dense({ units: 2 })]);
    m.build([3]);
    const [d] = m.describeLayers();
    expect(d).toMatchObject({ name: 'dense', className: 'Dense', inputShape: [3], outputShape: [2] });
    expect(d.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 2]],
      ['bias', [2]],
    ]);
  });
});

describe('save and load', () => {
  test('save -> load -> predict gives identical outputs; compile settings come back', async () => {
    const { x, y } = xorData(50, 3);
    const m = mlp();
    await m.fit(x, y, { epochs: 2, verbose: 0, seed: 1 });
    const file = path.join(tmp, 'm.gatedrnn');
    await m.save(file);
    const again = await loadModel(file);
    expect(Array.from((await again.predict(x)).data)).toEqual(Array.from((await m.predict(x)).data));
    expect(await again.evaluate(x, y)).toEqual(await m.evaluate(x, y));
    expect(again.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('corrupt, truncated and foreign files are clear errors', async () => {
    const m = mlp();
    m.build([2]);
    const file = path.join(tmp, 'c.gatedrnn');
    await m.save(file);
    const good = fs.readFileSync(file);
    const write = (name: string, bytes: Uint8Array): string => {
      const p = path.join(tmp, name);
      fs.writeFileSync(p, bytes);
      return p;
    };
    await expect(loadModel(write('t1', good.subarray(0, good.length - 7)))).rejects.toThrow(
      /the file is truncated: \d+ bytes, but its preamble announces \d+/,
    );
    await expect(loadModel(write('t2', good.subarray(0, 10)))).rejects.toThrow(
      'the file is truncated: 10 bytes, shorter than the 24-byte preamble',
    );
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3] ^= 0x40;
    await expect(loadModel(write('t3', flipped))).rejects.toThrow(/the file is corrupt \(CRC-32 mismatch/);
    await expect(loadModel(write('t4', Buffer.from('{"not": "a model", "but": "some JSON text"}')))).rejects.toThrow(
      'not a gatedrnn model file (expected the magic "GATEDRNN" at its start)',
    );
    const future = Buffer.from(good);
    future.writeUInt32LE(99, 8);
    await expect(loadModel(write('t5', future))).rejects.toThrow('unsupported format version 99; this gatedrnn reads version 1');
    await expect(loadModel(path.join(tmp, 'missing'))).rejects.toThrow(/ENOENT/);
  });

  test('a failed save leaves the previous file intact and no temporary file', async () => {
    const m = mlp();
    m.build([2]);
    const file = path.join(tmp, 'atomic.gatedrnn');
    await m.save(file);
    const before = fs.readFileSync(file);
    m.layers[0].params[0].value[0] += 1;
    const spy = jest.spyOn(fs.promises, 'rename').mockRejectedValueOnce(new Error('disk on fire'));
    await expect(m.save(file)).rejects.toThrow('disk on fire');
    spy.mockRestore();
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('atomic') && f !== 'atomic.gatedrnn')).toEqual([]);
  });

  test('a resumed checkpoint continues the same loss curve exactly', async () => {
    const { x, y } = xorData(60, 11);
    const opts = { batchSize: 8, verbose: 0 as const, seed: 5, validationSplit: 0.25 };
    const straight = await mlp(2).fit(x, y, { ...opts, epochs: 6 });
    const ckpt = path.join(tmp, 'ckpt.gatedrnn');
    const first = await mlp(2).fit(x, y, { ...opts, epochs: 3, checkpoint: { path: ckpt, every: 1 } });
    expect(first.loss).toEqual(straight.loss.slice(0, 3));
    // A new process would build a fresh model: a different seed proves nothing leaks across.
    const resumed = await mlp(99).fit(x, y, { ...opts, seed: 1234, epochs: 6, resumeFrom: ckpt });
    expect(resumed.epoch).toEqual([0, 1, 2, 3, 4, 5]);
    expect(resumed.loss).toEqual(straight.loss);
    expect(resumed.history.val_accuracy).toEqual(straight.history.val_accuracy);
    // The checkpoint is also a model file.
    expect((await loadModel(ckpt)).layers.length).toBe(3);
  });
});

describe('argument errors', () => {
  test('input shape mismatch names the layer and expected vs received dims', async () => {
    const m = mlp();
    m.build([2]);
    await expect(m.predict([[1, 2, 3]])).rejects.toThrow("layer 'dense': expected input dims to be [batch, 2], but received [1, 3]");
  });

  test('targets that do not match the output', async () => {
    const m = mlp();
    await expect(m.fit([[1, 2]], [[0, 1, 0]], { verbose: 0 })).rejects.toThrow(
      "Sequential.fit: expected y.dims to be [1] (class ids for the output of layer 'dense_1', [N, 2]), but received [1, 3]",
    );
    await expect(m.fit([[1, 2]], [2], { verbose: 0 })).rejects.toThrow(
      "Sequential.fit: expected y values to be class ids in [0, 1] (the output of layer 'dense_1' has 2 units), but received 2 at flat index 0",
    );
    await expect(
      m.fit(
        [
          [1, 2],
          [3, 4],
        ],
        [1],
        { verbose: 0 },
      ),
    ).rejects.toThrow(/expected y.dims to be \[2\]/);
  });

  test('bad options and names', async () => {
    expect(() => layers.dense({ units: 0 })).toThrow('layers.dense: expected units to be a positive integer, but received 0');
    expect(() => layers.dense({ units: 2, activation: 'gelu' as never })).toThrow(
      'layers.dense: expected activation to be one of linear, relu, tanh, sigmoid, softmax, but received "gelu"',
    );
    expect(() => layers.dropout({ rate: 1 })).toThrow('layers.dropout: expected rate to be a number in [0, 1), but received 1');
    expect(() => layers.bidirectional({ layer: layers.dense({ units: 2 }) as never })).toThrow(
      'layers.bidirectional: expected layer to be a layers.gru, layers.lstm or layers.simpleRnn layer',
    );
    const m = sequential([layers.dense({ units: 2 })]);
    await expect(m.fit([[1]], [[1, 2]])).rejects.toThrow(
      'Sequential.fit: the model is not compiled; call model.compile({ optimizer, loss, metrics }) first',
    );
    expect(() => m.compile({ optimizer: 'adagrad', loss: 'mse' })).toThrow(
      'Sequential.compile: expected optimizer to be one of sgd, adam, adamw, rmsprop (or an optimizers.* object), but received "adagrad"',
    );
    expect(() => m.compile({ optimizer: 'adam', loss: 'hinge' })).toThrow(
      'Sequential.compile: expected loss to be one of sparseCategoricalCrossentropy',
    );
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['auc'] })).toThrow(
      'Sequential.compile: expected each metric to be one of accuracy, topK, precision, recall, f1, mse, rmse, mae, but received "auc"',
    );
    m.compile({ optimizer: 'adam', loss: 'mse' });
    await expect(
      m.fit(
        [[1], [2, 3]],
        [
          [1, 2],
          [3, 4],
        ],
      ),
    ).rejects.toThrow(
      'Sequential.fit: expected x[1] to be an array of length 1 (nested arrays must be rectangular), but received an array of length 2',
    );
    await expect(m.fit([[1]], [[1, 2]], { batchSize: 0 })).rejects.toThrow(
      'Sequential.fit: expected batchSize to be a positive integer, but received 0',
    );
    expect(() => sequential([layers.dense({ units: 2 }), layers.embedding({ inputDim: 3, outputDim: 2 })])).toThrow(
      'sequential: expected layers[1] to be an embedding only as the first layer, but received Embedding at position 1',
    );
  });
});

describe('metrics', () => {
  test('precision, recall, f1 and topK over an epoch', async () => {
    const m = sequential([layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'ones' })]);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy', metrics: ['accuracy', 'precision', 'recall', 'f1'] });
    // Predictions sigmoid(x): positive for x > 0.
    const r = await m.evaluate([[2], [1], [-1], [3], [-2]], [[1], [0], [1], [1], [0]]);
    // tp 2 (x=2,3), fp 1 (x=1), fn 1 (x=-1), tn 1.
    expect(r.accuracy).toBeCloseTo(3 / 5, 6);
    expect(r.precision).toBeCloseTo(2 / 3, 6);
    expect(r.recall).toBeCloseTo(2 / 3, 6);
    expect(r.f1).toBeCloseTo(2 / 3, 6);
    const k = sequential([layers.dense({ units: 4, activation: 'softmax', useBias: false, kernelInitializer: 'zeros' })]);
    k.build([1]);
    k.layers[0].params[0].value.set([1, 2, 3, 4]);
    k.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: [{ name: 'topK', k: 2 }, 'accuracy'] });
    const t = await k.evaluate([[1], [1], [1], [1]], [3, 2, 1, 0]);
    expect(t.top2).toBeCloseTo(0.5, 6);
    expect(t.accuracy).toBeCloseTo(0.25, 6);
  });
});
