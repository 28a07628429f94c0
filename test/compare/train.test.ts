// The real trainer of `gatedrnn compare`: the model builders (same architecture for both cells,
// parameter counts, --match params), the time budget, seeding, and one tiny end-to-end CLI run
// that trains real models on small user CSV files (no data package needed).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../lib/cli';
import { recurrentParamCount } from '../../lib/compare/params';
import type { ComparisonResults, RunSettings } from '../../lib/compare/results';
import { cellSpecs, type CellSpec } from '../../lib/compare/runner';
import { trainAndMeasure } from '../../lib/compare/train-and-measure';
import { g2pFromDictionary } from '../../lib/data/cmudict';
import { forecastFromTable, textFromTable } from '../../lib/data/user';
import { classificationModel, classificationTask, forecastModel, g2pTask, seq2seqModel, unitForecastTask } from '../../lib/tasks';
import type { Sequential } from '../../lib/model/sequential';

const settings = (over: Partial<RunSettings> = {}): RunSettings => ({
  seeds: [1],
  epochs: null,
  units: null,
  layers: null,
  match: 'units',
  priority: 'accuracy',
  budgetSeconds: null,
  full: false,
  ...over,
});

const words = ['cat', 'dog', 'bird', 'fish', 'cow', 'hen', 'pig', 'fox', 'owl', 'bee', 'ant', 'elk', 'yak', 'emu', 'ram', 'eel'];

function textTask() {
  const rows = Array.from({ length: 60 }, (_, i) => [
    `${words[i % 16]} ${words[(i * 7) % 16]} ${i % 3 ? 'good fun' : 'bad dull'}`,
    i % 3 ? 'pos' : 'neg',
  ]);
  const data = textFromTable('reviews.csv', { columns: ['review', 'label'], rows }, 'label', { sequenceLength: 8 });
  return classificationTask('text', 'reviews.csv', 'label from text', data, {
    units: 8,
    layers: 1,
    epochs: 2,
    batchSize: 16,
    embeddingSize: 6,
  });
}

function forecastTask() {
  const rows = Array.from({ length: 120 }, (_, i) => [String(i), (10 + 5 * Math.sin(i / 4)).toFixed(3), (Math.cos(i / 7) * 2).toFixed(3)]);
  const data = forecastFromTable('series.csv', { columns: ['step', 'load', 'temp'], rows }, 'load', 6);
  return unitForecastTask('csv', 'series.csv', 'next load', '', data, { units: 8, layers: 1, epochs: 2, batchSize: 16 }, false);
}

function g2p() {
  const dict: Record<string, string> = {};
  const ph: Record<string, string> = {
    a: 'AE1',
    b: 'B',
    c: 'K',
    d: 'D',
    e: 'EH1',
    g: 'G',
    i: 'IH1',
    n: 'N',
    o: 'AA1',
    t: 'T',
    s: 'S',
    r: 'R',
  };
  const letters = Object.keys(ph);
  for (let i = 0; i < 80; i++) {
    const w = [letters[i % 12], letters[(i * 5 + 1) % 12], letters[(i * 7 + 3) % 12], ...(i % 2 ? [letters[(i * 3) % 12]] : [])];
    dict[w.join('').toUpperCase()] = w.map((l) => ph[l]).join(' ');
  }
  return g2pTask(g2pFromDictionary(dict), { units: 8, layers: 1, epochs: 2, batchSize: 16, embeddingSize: 6, attention: true });
}

const classNames = (m: unknown) => (m as Sequential).layers.map((l) => l.className);

describe('model builders', () => {
  test('classification: embedding, the same recurrent stack for both cells, dense softmax; params counted from the model', () => {
    const task = textTask();
    const specs = cellSpecs(task, settings({ units: 12, layers: 2 }));
    const v = task.data.vocabulary.tokens.length;
    for (const cell of ['gru', 'lstm'] as const) {
      const m = classificationModel(task, specs[cell], 1);
      const rnn = cell === 'gru' ? 'GRU' : 'LSTM';
      expect(classNames(m.model)).toEqual(['Embedding', rnn, rnn, 'Dense']);
      expect(m.params).toBe(v * 6 + recurrentParamCount(cell, 12, { inputSize: 6, layers: 2, headOutputs: 2 }));
      m.dispose();
    }
  });

  test('forecasting: recurrent stack over the features, dense 1', () => {
    const task = forecastTask();
    const specs = cellSpecs(task, settings({ units: 10 }));
    for (const cell of ['gru', 'lstm'] as const) {
      const m = forecastModel(task, specs[cell], 1);
      expect(classNames(m.model)).toEqual([cell === 'gru' ? 'GRU' : 'LSTM', 'Dense']);
      expect(m.params).toBe(recurrentParamCount(cell, 10, { inputSize: 3, layers: 1, headOutputs: 1 }));
      m.dispose();
    }
  });

  test('--match params: the GRU is widened until both models have about the same size', () => {
    for (const task of [textTask(), forecastTask()]) {
      const specs = cellSpecs(task, settings({ units: 24, layers: 2, match: 'params' }));
      expect(specs.lstm.units).toBe(24);
      expect(specs.gru.units).toBeGreaterThan(24);
      const build = (cell: 'gru' | 'lstm') =>
        task.kind === 'classification'
          ? classificationModel(task, specs[cell], 1)
          : forecastModel(task as ReturnType<typeof forecastTask>, specs[cell], 1);
      const gru = build('gru');
      const lstm = build('lstm');
      expect(Math.abs(gru.params - lstm.params) / lstm.params).toBeLessThan(0.02);
      gru.dispose();
      lstm.dispose();
    }
  });

  test('--match params for seq2seq counts the whole model (decoder, attention, head): within 2%', () => {
    const task = g2p();
    for (const units of [16, 64]) {
      const specs = cellSpecs(task, settings({ units, match: 'params' }));
      expect(specs.lstm.units).toBe(units);
      const gru = seq2seqModel(task, specs.gru, 1);
      const lstm = seq2seqModel(task, specs.lstm, 1);
      expect(gru.params).toBe(task.paramCount(specs.gru));
      expect(lstm.params).toBe(task.paramCount(specs.lstm));
      expect(Math.abs(gru.params - lstm.params) / lstm.params).toBeLessThan(0.02);
      gru.dispose();
      lstm.dispose();
    }
  });

  test('every task kind counts its parameters without building the model, as the built model has them', () => {
    for (const task of [textTask(), forecastTask(), g2p()]) {
      for (const cell of ['gru', 'lstm'] as const) {
        const shape = { cell, units: 10, layers: 2, embeddingSize: task.defaults.embeddingSize };
        const m = task.buildModel(shape, 1, 0.001);
        expect(task.paramCount(shape)).toBe(m.params);
        expect(m.memory.weights).toBe(4 * m.params);
        expect(m.memory.total).toBe(m.memory.weights + m.memory.packedWeights + m.memory.workspace + m.memory.state);
        m.dispose();
      }
    }
  });

  test('seq2seq: encoder and decoder of the cell; the cells differ only by their recurrent weights', () => {
    const task = g2p();
    const specs = cellSpecs(task, settings());
    const gru = seq2seqModel(task, specs.gru, 1);
    const lstm = seq2seqModel(task, specs.lstm, 1);
    const stack = (cell: 'gru' | 'lstm') => recurrentParamCount(cell, 8, { inputSize: 6, layers: 1 });
    expect(lstm.params - gru.params).toBe(2 * (stack('lstm') - stack('gru')));
    gru.dispose();
    lstm.dispose();
  });
});

describe('trainAndMeasure', () => {
  const noHooks = { onEpoch: () => undefined };

  test('trains, then reads the test split once; the same seed gives the same model; a rebuild infers', async () => {
    const task = forecastTask();
    const spec = cellSpecs(task, settings()).lstm;
    const epochs: number[] = [];
    const a = await trainAndMeasure(task, spec, 3, { onEpoch: (e) => epochs.push(e) });
    const b = await trainAndMeasure(task, spec, 3, noHooks);
    expect(epochs).toEqual([1, 2]);
    const r = a.training;
    expect(r.epochs).toBe(2);
    expect(r.stoppedByBudget).toBeUndefined();
    expect([1, 2]).toContain(r.bestEpoch);
    expect(r.curve.loss).toHaveLength(2);
    expect(r.curve.valLoss).toHaveLength(2);
    expect(r.curve.metric?.values).toHaveLength(2);
    expect(r.epochSeconds).toHaveLength(2);
    expect(a.bestValLoss).toBe(Math.min(...r.curve.valLoss!));
    const sa = await a.test();
    const sb = await b.test();
    expect(Object.keys(sa.metrics).sort()).toEqual(['mae', 'rmse']);
    expect(sa.metrics).toEqual(sb.metrics);
    expect(sa.items.num).toHaveLength(task.meta.sizes.test);
    expect(sa.items.transform).toBe('sqrt');
    await expect(a.test()).rejects.toThrow('the test split is read once per final model');
    expect(r.curve).toEqual(b.training.curve);
    // Every numeric column is a feature: step, load and temp.
    expect(r.params).toBe(recurrentParamCount('lstm', 8, { inputSize: 3, layers: 1, headOutputs: 1 }));
    for (const v of [r.trainSecondsPerEpoch, r.samplesPerSecond, r.memory!.total]) expect(v).toBeGreaterThan(0);
    const inference = a.rebuild();
    await inference.infer(4)();
    inference.dispose();
    a.dispose();
    b.dispose();
  });

  test('--budget-seconds ends training mid-epoch and says so', async () => {
    const task = textTask();
    const spec: CellSpec = { ...cellSpecs(task, settings()).gru, epochs: 50, budgetSeconds: 1e-9 };
    const t = await trainAndMeasure(task, spec, 1, noHooks);
    const r = t.training;
    expect(r.stoppedByBudget).toBe(true);
    // One batch of 16 from the training split, then the budget is found spent.
    expect(r.epochs).toBe(Math.round((16 / task.meta.sizes.train) * 100) / 100);
    expect(r.curve.loss).toEqual([]);
    expect(r.bestEpoch).toBeUndefined();
    expect(Object.keys((await t.test()).metrics).sort()).toEqual(['accuracy', 'f1']);
    t.dispose();
  });

  test('early stopping: training ends once validation loss has not improved for `patience` epochs', async () => {
    const task = forecastTask();
    // A learning rate this large makes validation loss stop improving quickly.
    const spec: CellSpec = { ...cellSpecs(task, settings()).gru, epochs: 60, patience: 2, learningRate: 0.3 };
    const t = await trainAndMeasure(task, spec, 1, noHooks);
    const r = t.training;
    expect(r.stoppedEarly).toBe(true);
    expect(r.curve.loss.length).toBe(r.bestEpoch! + 2);
    t.dispose();
  });

  test('seq2seq: greedy decoding scored as phoneme error rate, WER and BLEU, with per-word edit distances', async () => {
    const task = g2p();
    const t = await trainAndMeasure(task, cellSpecs(task, settings()).gru, 1, noHooks);
    const s = await t.test();
    expect(Object.keys(s.metrics).sort()).toEqual(['bleu', 'per', 'wer']);
    expect(s.metrics.per).toBeGreaterThanOrEqual(0);
    expect(s.items.num.reduce((a, b) => a + b, 0) / s.items.den!.reduce((a, b) => a + b, 0)).toBeCloseTo(s.metrics.per, 12);
    expect(t.training.curve.metric?.name).toBe('validation token accuracy (teacher-forced)');
    t.dispose();
  });
});

describe('gatedrnn compare end to end with the real trainer', () => {
  test('tiny user CSVs, two seeds: report files, tables and a budget note', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-wire-'));
    const csv = path.join(dir, 'series.csv');
    fs.writeFileSync(csv, 'step,load\n' + Array.from({ length: 90 }, (_, i) => `${i},${(10 + 5 * Math.sin(i / 4)).toFixed(3)}`).join('\n'));
    const text = path.join(dir, 'reviews.csv');
    fs.writeFileSync(
      text,
      'review,label\n' +
        Array.from(
          { length: 48 },
          (_, i) => `"${i % 2 ? 'great, loved it' : 'bad and dull'} ${words[i % 16]}",${i % 2 ? 'pos' : 'neg'}`,
        ).join('\n'),
    );
    const out: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main([
        'compare',
        '--csv',
        csv,
        '--target',
        'load',
        '--window',
        '5',
        '--text',
        text,
        '--label',
        'label',
        '--seeds',
        '2',
        '--epochs',
        '2',
        '--units',
        '8',
        '--out',
        path.join(dir, 'report'),
      ]);
    } finally {
      write.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    const printed = out.join('');
    expect(printed.indexOf('Verdicts')).toBe(0);
    expect(printed).toContain('| dataset | task | metric | GRU | LSTM | best baseline |');
    expect(printed).toMatch(
      new RegExp(
        `\\| ${csv.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\| GRU \\| 8×1 \\| ${recurrentParamCount('gru', 8, { inputSize: 2, layers: 1, headOutputs: 1 })} \\|`,
      ),
    );
    expect(fs.readdirSync(path.join(dir, 'report')).sort()).toEqual(['report.html', 'report.md', 'results.json']);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'report', 'results.json'), 'utf8')) as ComparisonResults;
    expect(saved.tasks.map((t) => t.meta.id)).toEqual(['csv', 'text']);
    expect(saved.machine.backend).toEqual(expect.objectContaining({ threads: expect.any(Number), isa: expect.any(String) }));
    for (const t of saved.tasks) {
      for (const c of [t.cells.gru, t.cells.lstm]) {
        expect(c.runs.map((r) => r.seed)).toEqual([1, 2]);
        for (const r of c.runs) expect(r.curve.loss).toHaveLength(2);
      }
    }
    const md = fs.readFileSync(path.join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toMatch(/gatedrnn \w+ with \d+ threads?/);
    expect(fs.readFileSync(path.join(dir, 'report', 'report.html'), 'utf8')).toContain('<svg');

    const budgeted = path.join(dir, 'budget');
    const quiet = [
      jest.spyOn(process.stdout, 'write').mockImplementation(() => true),
      jest.spyOn(process.stderr, 'write').mockImplementation(() => true),
    ];
    try {
      code = await main([
        'compare',
        '--text',
        text,
        '--label',
        'label',
        '--seeds',
        '1',
        '--epochs',
        '20',
        '--units',
        '8',
        '--budget-seconds',
        '0.000001',
        '--out',
        budgeted,
      ]);
    } finally {
      quiet.forEach((s) => s.mockRestore());
    }
    expect(code).toBe(0);
    expect(fs.readFileSync(path.join(budgeted, 'report.md'), 'utf8')).toMatch(
      /GRU stopped by the time budget \(seed 1 after 0\.\d+ epochs\)/,
    );
    fs.rmSync(dir, { recursive: true });
  });

  test('the compare subcommand reports bad arguments with exit code 2', async () => {
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
    try {
      expect(await main(['compare', '--units', '0'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err.join('')).toBe('gatedrnn compare: expected --units to be a whole number from 1 to 16384, but received "0"\n');
  });
});
