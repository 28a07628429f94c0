// compare --cells gru,lstm,rnn: the argument, the runner training the plain RNN beside the gated
// pair (fake trainer), "does gating matter here?" verdicts on constructed results, the report's
// section, and a real task model built with the RNN cell.
import { parseCompareArgs } from '../../lib/compare/cli-args';
import { settingsFromArgs } from '../../lib/compare/command';
import { gatingVerdicts } from '../../lib/compare/gating';
import { markdownReport, terminalReport } from '../../lib/compare/report';
import type { CellResult, ComparisonResults, ModelCell, RunResult, TaskResult } from '../../lib/compare/results';
import { cellSpecs, modelCount, runComparison, type TrainAndMeasure } from '../../lib/compare/runner';
import { loadTask, recurrentParamCount, type TaskSpec } from '../../lib/tasks';

function run(seed: number, accuracy: number): RunResult {
  return {
    seed,
    metrics: { accuracy },
    curve: { loss: [1, 0.5] },
    epochs: 2,
    params: 100,
    trainSecondsPerEpoch: 1,
    epochSeconds: [1, 1],
    samplesPerSecond: 10,
  };
}

function cell(name: ModelCell, values: number[]): CellResult {
  return { cell: name, units: 8, layers: 1, params: 100, runs: values.map((v, i) => run(i + 1, v)) };
}

function task(id: string, gru: number[], lstm: number[], rnn: number[] | null): TaskResult {
  return {
    meta: {
      id,
      dataset: `data-${id}`,
      task: 'a constructed task',
      kind: 'classification',
      metrics: [{ name: 'accuracy', label: 'accuracy', higherIsBetter: true, margin: { value: 0.01 } }],
      primaryMetric: 'accuracy',
      sizes: { train: 10, validation: 2, test: 2 },
      notes: [],
    },
    cells: { gru: cell('gru', gru), lstm: cell('lstm', lstm), ...(rnn ? { rnn: cell('rnn', rnn) } : {}) },
    baselines: [],
  };
}

function results(tasks: TaskResult[]): ComparisonResults {
  return {
    version: 2,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: { platform: 'x', arch: 'x', cpuModel: 'x', cpus: 1, node: 'x' },
    settings: {
      seeds: [1, 2, 3, 4, 5],
      epochs: 2,
      units: null,
      layers: null,
      match: 'units',
      priority: 'accuracy',
      budgetSeconds: null,
      full: false,
      cells: ['gru', 'lstm', 'rnn'],
    },
    tasks,
  };
}

const res0 = results([]);

describe('--cells', () => {
  test('default gru,lstm; gru,lstm,rnn adds the plain RNN (in any order); others are refused', () => {
    expect(parseCompareArgs([]).cells).toEqual(['gru', 'lstm']);
    expect(settingsFromArgs(parseCompareArgs([])).cells).toBeUndefined();
    const a = parseCompareArgs(['--cells', 'rnn,lstm,gru']);
    expect(a.cells).toEqual(['gru', 'lstm', 'rnn']);
    expect(settingsFromArgs(a).cells).toEqual(['gru', 'lstm', 'rnn']);
    for (const bad of ['rnn', 'gru,rnn', 'gru,lstm,tcn', ''])
      expect(() => parseCompareArgs([`--cells=${bad}`])).toThrow(
        `gatedrnn compare: expected --cells to be gru,lstm or gru,lstm,rnn (the report compares GRU with LSTM, and each with the RNN), but received "${bad}"`,
      );
  });
});

describe('runner with the plain RNN (fake trainer)', () => {
  const base = loadTask('weather');
  const settings = {
    seeds: [1, 2],
    epochs: 1,
    units: 8,
    layers: 1,
    match: 'units' as const,
    priority: 'accuracy' as const,
    budgetSeconds: null,
    full: false,
    cells: ['gru', 'lstm', 'rnn'] as ModelCell[],
  };

  test('every seed trains all three cells, the order alternating; the RNN is not timed', async () => {
    const order: string[] = [];
    let rebuilt = 0;
    const fake: TrainAndMeasure = async (t, c, seed) => {
      order.push(`${c.cell}@${seed}`);
      return {
        training: {
          curve: { loss: [1] },
          epochs: 1,
          params: c.cell === 'rnn' ? 50 : 100,
          trainSecondsPerEpoch: 1,
          epochSeconds: [1, 1],
          samplesPerSecond: 1,
        },
        bestValLoss: 1,
        test: async () => {
          const p = new Float32Array(t.kind === 'forecasting' ? t.data.test.y.size : 0);
          return t.kind === 'forecasting' ? { metrics: t.score(p), items: t.itemScores(p) } : { metrics: {}, items: { num: [] } };
        },
        rebuild: () => {
          rebuilt++;
          return { infer: () => async () => undefined, dispose: () => undefined };
        },
        dispose: () => undefined,
      };
    };
    const t: TaskSpec = { ...base, defaults: { ...base.defaults, learningRates: [0.001] } } as TaskSpec;
    expect(modelCount([t], settings)).toBe(6);
    const res = await runComparison({
      tasks: [t],
      settings,
      trainAndMeasure: fake,
      timing: { warmup: 0, callsPerRound: 1, minRounds: 2, maxRounds: 2, maxSeconds: 1 },
      machine: res0.machine,
    });
    expect(order).toEqual(['gru@1', 'lstm@1', 'rnn@1', 'rnn@2', 'lstm@2', 'gru@2']);
    const r = res.tasks[0];
    expect(r.cells.rnn!.runs.map((x) => x.seed)).toEqual([1, 2]);
    expect(r.cells.rnn!.params).toBe(50);
    expect(rebuilt).toBe(2);
    expect(r.costs?.latency).toBeDefined();
    expect(gatingVerdicts(res).map((g) => g.rows.map((x) => x.gated))).toEqual([['gru', 'lstm']]);
  });

  test("--match params sizes the RNN to the LSTM model's parameter count", () => {
    const specs = cellSpecs(base, { ...settings, units: 16, match: 'params' });
    const count = (c: ModelCell, u: number) =>
      base.paramCount({ cell: c, units: u, layers: 1, embeddingSize: base.defaults.embeddingSize });
    expect(specs.rnn!.units).toBeGreaterThan(16);
    expect(Math.abs(count('rnn', specs.rnn!.units) - count('lstm', 16))).toBeLessThanOrEqual(
      Math.abs(count('rnn', specs.rnn!.units + 1) - count('lstm', 16)),
    );
    expect(cellSpecs(base, { ...settings, cells: undefined }).rnn).toBeUndefined();
    expect(recurrentParamCount('rnn', 4, { inputSize: 3, layers: 1, headOutputs: 2 })).toBe(4 * (3 + 4) + 2 * 4 + 4 * 2 + 2);
  });
});

describe('does gating matter here?', () => {
  test('verdicts with the GRU-vs-LSTM rules, one answer per task that ran the RNN', () => {
    const r = results([
      task('gated', [0.9, 0.91, 0.9, 0.92, 0.9], [0.91, 0.9, 0.92, 0.9, 0.91], [0.7, 0.72, 0.71, 0.69, 0.7]),
      task('plain', [0.8, 0.801, 0.8, 0.801, 0.8], [0.8, 0.8, 0.801, 0.8, 0.801], [0.8005, 0.8, 0.8, 0.8005, 0.8]),
      task('noisy', [0.8, 0.9, 0.7, 0.85, 0.75], [0.8, 0.85, 0.75, 0.9, 0.7], [0.8, 0.7, 0.9, 0.75, 0.85]),
      task('without', [0.9, 0.9, 0.9], [0.9, 0.9, 0.9], null),
    ]);
    const g = gatingVerdicts(r);
    expect(g.map((x) => [x.task, x.answer])).toEqual([
      ['gated', 'helps'],
      ['plain', 'no'],
      ['noisy', 'mixed'],
    ]);
    expect(g[0].rows.map((x) => x.verdict)).toEqual(['gru', 'lstm']);
    expect(g[0].rows[0].difference.estimate).toBeCloseTo(0.906 - 0.704, 10);
    expect(g[1].rows.map((x) => x.verdict)).toEqual(['equivalent', 'equivalent']);
    expect(g[2].rows.map((x) => x.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(g[2].rows[0].seedsNeeded).toBeGreaterThan(5);
    expect(g[0].sentence).toMatch(/^data-gated \(a constructed task\), accuracy: gating helps: GRU better \(GRU − RNN \+0\.202 \[/);
    expect(g[1].sentence).toContain('GRU and RNN equivalent within ±0.01');
    expect(gatingVerdicts(results([task('without', [0.9, 0.9], [0.9, 0.9], null)]))).toEqual([]);
  });

  test('the report has the section only when a task ran the RNN', () => {
    const r = results([task('gated', [0.9, 0.91, 0.9, 0.92, 0.9], [0.91, 0.9, 0.92, 0.9, 0.91], [0.7, 0.72, 0.71, 0.69, 0.7])]);
    const md = markdownReport(r);
    expect(md).toContain('## Does gating matter here? GRU and LSTM against the plain tanh RNN');
    expect(md).toContain('- **gated: gating helps.**');
    expect(md).toMatch(/\| data-gated \| accuracy ↑ \| GRU 0\.906 ± [0-9.]+ \| 0\.704 ± [0-9.]+ \| \+0\.202 \[/);
    expect(md).toContain('RNN units: gated 8.');
    expect(terminalReport(r)).toContain('Does gating matter here?');
    const plain = results([task('gated', [0.9, 0.91, 0.9], [0.91, 0.9, 0.92], null)]);
    expect(markdownReport(plain)).not.toContain('gating');
  });
});

describe('a task model with the plain RNN', () => {
  test("weather builds, trains one epoch and tests with cell rnn; its parameter count is paramCount's", async () => {
    const t = loadTask('weather');
    const shape = { cell: 'rnn' as const, units: 6, layers: 2 };
    const m = t.buildModel(shape, 1, 0.001);
    try {
      expect(m.params).toBe(t.paramCount(shape));
      await m.fit(1, 64, 1, []);
      const s = await m.test();
      expect(Number.isFinite(s.metrics[t.meta.primaryMetric])).toBe(true);
    } finally {
      m.dispose();
    }
  });
});
