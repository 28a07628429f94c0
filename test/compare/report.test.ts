// recommend() on constructed results, the report files, the progress bar, CLI arguments, and
// one end-to-end `compare` run whose trainer is a FAKE returning fixed numbers (no model trains).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCompareArgs } from '../../lib/compare/cli-args';
import { compareCommand } from '../../lib/compare/command';
import { interleavedTiming } from '../../lib/compare/measure';
import { ProgressBar, formatDuration } from '../../lib/compare/progress';
import { recommend } from '../../lib/compare/recommend';
import { htmlReport, markdownReport, terminalReport, writeReport } from '../../lib/compare/report';
import type { CellResult, ComparisonResults, RunResult, TaskCosts, TaskResult } from '../../lib/compare/results';
import { cellSpecs, runComparison, type TrainAndMeasure, type TrainedModel } from '../../lib/compare/runner';
import { barChartSvg, lineChartSvg, niceTicks } from '../../lib/compare/svg';
import { loadTask, type TaskSpec } from '../../lib/tasks';

/** Per-item 0/1 scores with exactly `hits` ones among `n` items, spread by a stride. */
function items(n: number, hits: number, offset = 0): { num: number[] } {
  const num = new Array<number>(n).fill(0);
  for (let k = 0; k < hits; k++) num[(k * 7 + offset) % n] = 1;
  // Strides that collide leave fewer ones; fill forward.
  let have = num.reduce((a, b) => a + b, 0);
  for (let i = 0; have < hits && i < n; i++) {
    if (num[i] === 0) {
      num[i] = 1;
      have++;
    }
  }
  return { num };
}

function run(seed: number, metric: number, over: Partial<RunResult> = {}, n = 0): RunResult {
  return {
    seed,
    metrics: { accuracy: metric, f1: metric - 0.01 },
    ...(n > 0 ? { items: items(n, Math.round(metric * n), seed) } : {}),
    curve: { loss: [1, 0.6, 0.4], valLoss: [1.1, 0.7, 0.5] },
    epochs: 3,
    bestEpoch: 3,
    learningRate: 0.003,
    params: 1000,
    trainSecondsPerEpoch: 2,
    epochSeconds: [2, 2, 2],
    samplesPerSecond: 500,
    ...over,
  };
}

function cell(name: 'gru' | 'lstm', params: number, runs: RunResult[]): CellResult {
  return { cell: name, units: 32, layers: 1, params, runs: runs.map((r) => ({ ...r, params })) };
}

interface TaskOptions {
  baseline?: number;
  gruParams?: number;
  lstmParams?: number;
  /** Test items behind each run's accuracy (0: none, so the seeds alone are the evidence). */
  n?: number;
  costs?: TaskCosts;
  id?: string;
}

function task(gru: number[], lstm: number[], o: TaskOptions = {}): TaskResult {
  const { baseline = 0.5, gruParams = 750, lstmParams = 1000, n = 0, costs, id = 'spam' } = o;
  return {
    meta: {
      id,
      dataset: 'SpamAssassin',
      task: 'ham vs spam',
      kind: 'classification',
      metrics: [
        { name: 'accuracy', label: 'accuracy', higherIsBetter: true, margin: { value: 0.01 } },
        { name: 'f1', label: 'F1 (spam)', higherIsBetter: true },
      ],
      primaryMetric: 'accuracy',
      sizes: { train: 10, validation: 2, test: n || 2 },
      notes: ['a constructed task'],
    },
    cells: {
      gru: cell(
        'gru',
        gruParams,
        gru.map((m, i) => run(i + 1, m, {}, n)),
      ),
      lstm: cell(
        'lstm',
        lstmParams,
        lstm.map((m, i) => run(i + 1, m, {}, n)),
      ),
    },
    baselines: [
      {
        name: 'majority class (ham)',
        metrics: { accuracy: baseline, f1: 0 },
        ...(n > 0 ? { items: items(n, Math.round(baseline * n), 99) } : {}),
      },
    ],
    ...(costs ? { costs } : {}),
  };
}

/** Fewer bootstrap resamples keep these tests quick; the answers do not depend on it. */
const FAST = { resamples: 400 };

const ratio = (r: number, halfWidth = 0.02) => ({ ratio: r, low: r * (1 - halfWidth), high: r * (1 + halfWidth), n: 10 });

function results(tasks: TaskResult[]): ComparisonResults {
  return {
    version: 2,
    createdAt: '2026-11-27T12:00:00.000Z',
    machine: { platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, node: '20.0.0' },
    settings: {
      seeds: [1, 2, 3],
      epochs: 3,
      units: null,
      layers: null,
      match: 'units',
      priority: 'accuracy',
      budgetSeconds: null,
      full: false,
    },
    tasks,
  };
}

describe('recommend: verdicts with known answers', () => {
  test('identical results are never "better": equivalent when the evidence is tight, whatever the costs', () => {
    const same = [0.95, 0.951, 0.949];
    const [v] = recommend([task(same, same, { n: 400, costs: { latency: { ...ratio(0.5), gruMs: 1, lstmMs: 2 } } })], FAST);
    expect(v.accuracy).not.toMatch(/^(gru|lstm)$/);
    expect(v.difference.estimate).toBeCloseTo(0, 12);
    const [w] = recommend([task(same, same)], FAST);
    expect(['equivalent', 'inconclusive']).toContain(w.accuracy);
  });

  test('a clear difference names the right cell, over seeds and over items', () => {
    const [v] = recommend([task([0.97, 0.975, 0.972], [0.9, 0.902, 0.901])], FAST);
    expect(v.accuracy).toBe('gru');
    expect(v.choice).toBe('gru');
    expect(v.sentence).toContain('GRU has the better accuracy');
    const [w] = recommend([task([0.9, 0.9, 0.9], [0.96, 0.96, 0.96], { n: 300 })], FAST);
    expect(w.difference.method).toBe('bootstrap');
    expect(w.accuracy).toBe('lstm');
    expect(w.choice).toBe('lstm');
  });

  test('a difference inside the margin with tight intervals is "equivalent", and costs decide', () => {
    const [v] = recommend(
      [
        task([0.952, 0.9521, 0.9519], [0.95, 0.9501, 0.9499], {
          costs: { trainTime: ratio(0.77), memory: { ratio: 0.75, gruBytes: 750, lstmBytes: 1000 } },
        }),
      ],
      FAST,
    );
    expect(v.accuracy).toBe('equivalent');
    expect(v.cost).toBe('gru');
    expect(v.choice).toBe('gru');
    expect(v.sentence).toContain('No measurable accuracy difference (equivalent within ±0.01');
    expect(v.sentence).toContain('GRU trains 1.3× faster');
    expect(v.sentence).toContain('GRU needs 25% less memory');
  });

  test('wide intervals are inconclusive and say how many seeds would resolve the margin', () => {
    const [v] = recommend([task([0.9, 0.95, 0.92], [0.93, 0.9, 0.94])], FAST);
    expect(v.accuracy).toBe('inconclusive');
    expect(v.seedsNeeded).toBeGreaterThan(3);
    expect(v.sentence).toContain(`about ${v.seedsNeeded} seeds would resolve ±0.01`);
  });

  test('a cost winner is named only when its interval lies outside 1 ± 5%', () => {
    const acc = [0.95, 0.951, 0.949];
    const tie = recommend(
      [
        task(acc, acc, {
          gruParams: 1000,
          costs: { latency: { ...ratio(0.97, 0.01), gruMs: 0.97, lstmMs: 1 }, memory: { ratio: 1, gruBytes: 1, lstmBytes: 1 } },
        }),
      ],
      FAST,
    )[0];
    expect(tie.costs.latency?.winner).toBeNull();
    expect(tie.cost).toBe('tie');
    expect(tie.choice).toBe('either');
    const wide = recommend(
      [task(acc, acc, { gruParams: 1000, costs: { latency: { ratio: 0.8, low: 0.6, high: 1.01, n: 6, gruMs: 0.8, lstmMs: 1 } } })],
      FAST,
    )[0];
    expect(wide.costs.latency?.winner).toBeNull();
    const mixed = recommend(
      [
        task(acc, acc, {
          costs: { batch64: { ...ratio(1.4), gruMs: 1.4, lstmMs: 1 }, memory: { ratio: 0.75, gruBytes: 3, lstmBytes: 4 } },
        }),
      ],
      FAST,
    )[0];
    expect(mixed.cost).toBe('mixed');
  });

  test('a point-value win over the baseline inside the noise is not "beaten"', () => {
    // 0.705 vs 0.70 on 400 items: the gap is far inside the per-item noise.
    const [v] = recommend([task([0.705, 0.705, 0.705], [0.7025, 0.7025, 0.7025], { n: 400, baseline: 0.7 })], FAST);
    expect(v.baseline?.value).toBe(0.7);
    expect(v.baseline?.beaten).toEqual({ gru: false, lstm: false });
    expect(v.choice).toBe('neither');
    expect(v.sentence).toContain('neither beats the majority class (ham) baseline');
    const [w] = recommend([task([0.9, 0.9, 0.9], [0.9, 0.9, 0.9], { n: 400, baseline: 0.7 })], FAST);
    expect(w.baseline?.beaten).toEqual({ gru: true, lstm: true });
  });

  test('priority latency or size puts that cost first; a cell that does not beat the baseline is not chosen over one that does', () => {
    const costs = { latency: { ...ratio(1.5), gruMs: 1.5, lstmMs: 1 }, memory: { ratio: 0.75, gruBytes: 3, lstmBytes: 4 } };
    const t = task([0.97, 0.975, 0.972], [0.9, 0.902, 0.901], { costs });
    expect(recommend([t], { ...FAST, priority: 'latency' })[0].choice).toBe('lstm');
    expect(recommend([t], { ...FAST, priority: 'size' })[0].choice).toBe('gru');
    const [v] = recommend([task([0.6, 0.69, 0.62], [0.8, 0.81, 0.79], { baseline: 0.7, costs })], { ...FAST, priority: 'size' });
    expect(v.choice).toBe('lstm');
    expect(v.sentence).toContain('only LSTM beats the majority class (ham) baseline (0.7) beyond the noise → LSTM');
  });

  test('Holm across the tasks of a run: more tasks, larger adjusted p-values', () => {
    const t = (id: string) => task([0.9, 0.95, 0.93], [0.88, 0.9, 0.9], { id });
    const [alone] = recommend([t('a')], FAST);
    const family = recommend([t('a'), t('b'), t('c')], FAST);
    expect(family[0].p).toBeCloseTo(Math.min(1, 3 * alone.p), 9);
  });

  test('options and results are checked', () => {
    expect(() => recommend([], { priority: 'speed' as never })).toThrow(
      "recommend: expected options.priority to be one of 'accuracy', 'latency', 'size', but received \"speed\" of type string",
    );
    expect(() => recommend(null as never)).toThrow(
      'recommend: expected results to be a results object ({ tasks: [...] }) or an array of task results, but received null',
    );
  });
});

function wellFormedSvgs(html: string): string[] {
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  for (const svg of svgs) {
    // Every opened element is closed in order (self-closing ones count as closed).
    const stack: string[] = [];
    for (const m of svg.matchAll(/<(\/?)([a-z]+)\b[^>]*?(\/?)>/g)) {
      if (m[1]) expect(stack.pop()).toBe(m[2]);
      else if (!m[3]) stack.push(m[2]);
    }
    expect(stack).toEqual([]);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  }
  return svgs;
}

describe('report', () => {
  const r = results([
    task([0.97, 0.975, 0.972], [0.95, 0.952, 0.951], {
      n: 200,
      costs: {
        trainTime: ratio(0.8),
        latency: { ...ratio(1.0), gruMs: 0.05, lstmMs: 0.05 },
        batch64: { ...ratio(0.7), gruMs: 0.7, lstmMs: 1 },
        memory: { ratio: 0.75, gruBytes: 3072, lstmBytes: 4096 },
      },
    }),
  ]);
  const verdicts = recommend(r, FAST);
  test('Markdown: verdicts first, then GRU − LSTM, costs with intervals, then the details', () => {
    const md = markdownReport(r, verdicts);
    const order = [
      '## Verdicts',
      '## GRU − LSTM on the primary metric',
      '## Costs, GRU / LSTM',
      '## Details',
      '### All metrics',
      '### Against the best baseline',
      '### Learning rate and best epoch',
      '### Costs per cell',
      '## Notes',
    ].map((h) => md.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(md).toContain('- **spam: GRU.** SpamAssassin (ham vs spam): GRU has the better accuracy');
    expect(md).toContain('| SpamAssassin | accuracy ↑ | 0.972 ± 0.00252 | 0.951 ± 0.001 | +0.0217 [');
    expect(md).toContain(
      '| SpamAssassin | 0.8 [0.784–0.816] (GRU cheaper) | 1 [0.98–1.02] (tie) | 0.7 [0.686–0.714] (GRU cheaper) | 0.75 (GRU cheaper) | 0.75 (GRU cheaper) | GRU cheaper |',
    );
    expect(md).toContain('| SpamAssassin | GRU | majority class (ham) (0.5) |');
    expect(md).toContain('| SpamAssassin | GRU | 0.003 | — | 3/3 (last), 3/3 (last), 3/3 (last) |');
    expect(md).toContain('Match mode: units');
    expect(md).toContain('- SpamAssassin: GRU: best validation epoch was the last (seed 1, 2, 3): still improving, more epochs may help');
    expect(md).toContain('- SpamAssassin: a constructed task');
  });
  test('the terminal prints the same sections in the same order', () => {
    const text = terminalReport(r, verdicts);
    const order = [
      'Verdicts',
      'GRU − LSTM on the primary metric',
      'Costs, GRU / LSTM',
      'Details: all metrics',
      'Details: costs per cell',
    ].map((h) => text.indexOf(h));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(order[0]).toBe(0);
  });
  test('HTML: verdicts, the forest plot with the margin band, then tables and charts; SVG well formed', () => {
    const html = htmlReport(r, verdicts);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const v = html.indexOf('<h2>Verdicts</h2>');
    const forest = html.indexOf('in units of its margin');
    const details = html.indexOf('<h2>Details</h2>');
    expect(v).toBeGreaterThan(0);
    expect(forest).toBeGreaterThan(v);
    expect(details).toBeGreaterThan(forest);
    const svgs = wellFormedSvgs(html);
    expect(svgs.length).toBe(1 + 1 + 2);
    expect(svgs[0]).toContain('GRU better');
    expect(svgs[0]).toContain('fill="#e8f4e8"');
    expect(svgs[1]).toContain('learning curves');
    expect(svgs[1].match(/<polyline/g)?.length).toBe(12);
  });
  test('writeReport writes the three files atomically (no temp files left) into a new folder', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-report-')), 'nested', 'out');
    const w = writeReport(r, dir, verdicts);
    expect(fs.readdirSync(dir).sort()).toEqual(['report.html', 'report.md', 'results.json']);
    expect(JSON.parse(fs.readFileSync(w.files.json, 'utf8'))).toEqual(r);
    fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true });
  });
  test('charts: nice ticks; one-point and empty series; negative bars', () => {
    expect(niceTicks(0, 0.97)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const line = lineChartSvg({
      title: 'a < b',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { name: 's', color: '#000', values: [1] },
        { name: 'e', color: '#111', values: [] },
      ],
    });
    wellFormedSvgs(line);
    expect(line).toContain('a &lt; b');
    wellFormedSvgs(
      barChartSvg({
        title: 't',
        yLabel: 'y',
        bars: [
          { name: 'a', value: -2, error: 1, color: '#000' },
          { name: 'b', value: 3, color: '#111' },
        ],
      }),
    );
  });
});

describe('progress bar', () => {
  test('draws with an ETA on a TTY, nothing when not a TTY or when disabled', () => {
    let t = 0;
    const out: string[] = [];
    const tty = { isTTY: true, columns: 200, write: (s: string) => out.push(s) };
    const bar = new ProgressBar(tty, { total: 4, width: 8, clock: () => t });
    t = 10;
    bar.update(1, 'names GRU seed 1');
    expect(out[0]).toBe('\r[##......]  25% 1/4 elapsed 00:10 ETA 00:30 names GRU seed 1\x1b[K');
    bar.finish();
    expect(out[1]).toBe('\n');
    const silent: string[] = [];
    new ProgressBar({ isTTY: false, write: (s: string) => silent.push(s) }, { total: 2 }).update(1);
    new ProgressBar({ isTTY: true, write: (s: string) => silent.push(s) }, { total: 2, disabled: true }).update(1);
    expect(silent).toEqual([]);
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});

describe('CLI arguments', () => {
  test('--task all runs every built-in task, the default leaves out the long Brown tasks', () => {
    expect(parseCompareArgs(['--task', 'all']).tasks).toEqual(['names', 'spam', 'g2p', 'sp500', 'weather', 'genre', 'tagging', 'charlm']);
    expect(parseCompareArgs(['--task', 'genre,charlm']).tasks).toEqual(['genre', 'charlm']);
    expect(parseCompareArgs(['--text', 't.csv', '--label', 'y', '--max-tokens', '250']).text).toEqual({
      file: 't.csv',
      label: 'y',
      maxTokens: 250,
    });
    expect(parseCompareArgs(['--text', 't.csv', '--label', 'y']).text).toEqual({ file: 't.csv', label: 'y', maxTokens: null });
    expect(() => parseCompareArgs(['--max-tokens', '5'])).toThrow('gatedrnn compare: --max-tokens only applies with --text FILE');
    expect(() => parseCompareArgs(['--text', 't.csv', '--label', 'y', '--max-tokens', '0'])).toThrow(
      'gatedrnn compare: expected --max-tokens to be a whole number from 1 to 100000, but received "0"',
    );
  });
  test('defaults: the default tasks, 3 seeds, priority accuracy, ./gatedrnn-report', () => {
    const a = parseCompareArgs([]);
    expect(a).toMatchObject({
      tasks: ['names', 'spam', 'g2p', 'sp500', 'weather'],
      seeds: 3,
      epochs: null,
      match: 'units',
      priority: 'accuracy',
      out: './gatedrnn-report',
      json: false,
      full: false,
      csv: null,
      text: null,
    });
  });
  test('every flag, in both --flag value and --flag=value forms', () => {
    const a = parseCompareArgs([
      '--task',
      'g2p,spam',
      '--seeds=5',
      '--epochs',
      '7',
      '--budget-seconds',
      '30.5',
      '--units',
      '64',
      '--layers',
      '2',
      '--match',
      'params',
      '--priority',
      'latency',
      '--out',
      'r',
      '--json',
      '--full',
    ]);
    expect(a).toMatchObject({
      tasks: ['g2p', 'spam'],
      seeds: 5,
      epochs: 7,
      budgetSeconds: 30.5,
      units: 64,
      layers: 2,
      match: 'params',
      priority: 'latency',
      out: 'r',
      json: true,
      full: true,
    });
    const u = parseCompareArgs(['--csv', 'f.csv', '--target', 'load', '--text', 't.csv', '--label', 'y']);
    expect(u).toMatchObject({ tasks: [], csv: { file: 'f.csv', target: 'load', window: 30 }, text: { file: 't.csv', label: 'y' } });
  });
  test.each([
    [['--bogus'], 'gatedrnn compare: unknown option "--bogus"; run gatedrnn compare --help for the options'],
    [['--seeds'], 'gatedrnn compare: expected a value after --seeds, but received nothing'],
    [['--seeds', '--json'], 'gatedrnn compare: expected a value after --seeds, but received "--json"'],
    [['--seeds', '0'], 'gatedrnn compare: expected --seeds to be a whole number from 1 to 100, but received "0"'],
    [['--units', '1.5'], 'gatedrnn compare: expected --units to be a whole number from 1 to 16384, but received "1.5"'],
    [['--budget-seconds', '-3'], 'gatedrnn compare: expected --budget-seconds to be a positive number of seconds, but received "-3"'],
    [['--priority', 'speed'], 'gatedrnn compare: expected --priority to be one of accuracy, latency, size, but received "speed"'],
    [['--match', 'units'], 'gatedrnn compare: expected --match to be "params", but received "units"'],
    [
      ['--task', 'imdb'],
      'gatedrnn compare: expected --task to be all or to list tasks among names, spam, g2p, sp500, weather, genre, tagging, charlm, but received "imdb"',
    ],
    [['--csv', 'f.csv'], 'gatedrnn compare: --csv needs --target COL, the column to forecast'],
    [['--window', '5'], 'gatedrnn compare: --window only applies with --csv FILE'],
    [['--text', 't.csv'], 'gatedrnn compare: --text needs --label COL, the column holding the class'],
    [['--json=1'], 'gatedrnn compare: --json takes no value, but received "1"'],
    [['--seeds', '2', '--seeds', '3'], 'gatedrnn compare: --seeds was given twice ("2" and "3")'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCompareArgs(argv)).toThrow(message);
  });
});

describe('runner sizes', () => {
  test('--match params widens the GRU to the LSTM parameter count of the same task', () => {
    const t = loadTask('names');
    const s = cellSpecs(t, {
      seeds: [1],
      epochs: null,
      units: 64,
      layers: 1,
      match: 'params',
      priority: 'accuracy',
      budgetSeconds: null,
      full: false,
    });
    expect(s.lstm.units).toBe(64);
    expect(s.gru.units).toBeGreaterThan(64);
    expect(s.gru.epochs).toBe(t.defaults.epochs);
  });
});

describe('compare end to end with a FAKE trainer', () => {
  // FAKE: no model is trained. It predicts class 0 / the standardized zero for every test sample
  // and reports fixed cost numbers, so the pipeline (tasks, runner, report, CLI) is tested alone.
  const fake: TrainAndMeasure = async (t, c, seed, hooks) => {
    for (let e = 1; e <= c.epochs; e++) hooks.onEpoch(e, { loss: 1 / e });
    const predictions = () => {
      if (t.kind === 'classification')
        return { metrics: t.score(new Int32Array(t.data.test.y.size)), items: t.itemScores(new Int32Array(t.data.test.y.size)) };
      if (t.kind === 'forecasting')
        return { metrics: t.score(new Float32Array(t.data.test.y.size)), items: t.itemScores(new Float32Array(t.data.test.y.size)) };
      if (t.kind === 'tagging') {
        const tags = t.data.test.pieces.map((p) => p.map(() => t.data.tags[0]));
        return { metrics: t.score(tags), items: t.itemScores(tags) };
      }
      if (t.kind === 'language-model') {
        const bits = new Float64Array(t.data.test.targets.length).fill(1);
        return { metrics: t.score(bits), items: t.itemScores(bits) };
      }
      const empty = t.data.test.entries.map(() => []);
      return { metrics: t.score(empty), items: t.itemScores(empty) };
    };
    const trained: TrainedModel = {
      training: {
        curve: { loss: Array.from({ length: c.epochs }, (_, e) => 1 / (e + 1 + seed)) },
        epochs: c.epochs,
        learningRate: c.learningRate,
        params: c.cell === 'gru' ? 3000 : 4000,
        trainSecondsPerEpoch: 1,
        epochSeconds: Array.from({ length: c.epochs }, () => (c.cell === 'gru' ? 1 : 1.3)),
        samplesPerSecond: 100,
        memory: { weights: 12000, packedWeights: 0, workspace: 0, state: 0, total: c.cell === 'gru' ? 12000 : 16000 },
      },
      // The larger learning rate "validates" better, so tuning has something to pick.
      bestValLoss: 1 / (c.learningRate ?? 1),
      test: async () => predictions(),
      rebuild: () => ({ infer: () => async () => undefined, dispose: () => undefined }),
      dispose: () => undefined,
    };
    return trained;
  };
  // The fake models answer instantly: their timing is noise, so keep it short.
  const QUICK_TIMING = { maxSeconds: 0.05 };
  const sink = () => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY: false, write: (s: string) => chunks.push(s) } };
  };

  test('user CSV and text files, two seeds: tables on stdout, three report files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-compare-'));
    const csv = path.join(dir, 'series.csv');
    fs.writeFileSync(csv, 'step,load\n' + Array.from({ length: 80 }, (_, i) => `${i},${(10 + 5 * Math.sin(i / 4)).toFixed(3)}`).join('\n'));
    const text = path.join(dir, 'reviews.csv');
    fs.writeFileSync(
      text,
      'review,label\n' +
        Array.from({ length: 40 }, (_, i) => `"${i % 2 ? 'great, loved it' : 'bad and dull'} ${i}",${i % 2 ? 'pos' : 'neg'}`).join('\n'),
    );
    const out = sink();
    const err = sink();
    const code = await compareCommand(
      [
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
        '--out',
        path.join(dir, 'report'),
      ],
      {
        trainAndMeasure: fake,
        stdout: out.stream,
        stderr: err.stream,
        timing: QUICK_TIMING,
      },
    );
    expect(err.chunks.join('')).toBe('');
    expect(code).toBe(0);
    const printed = out.chunks.join('');
    expect(printed.indexOf('Verdicts')).toBe(0);
    expect(printed).toContain('| dataset | task | metric | GRU | LSTM | best baseline |');
    expect(printed).toContain(`| ${csv} | next load | RMSE ↓ |`);
    expect(printed).toContain('persistence');
    expect(fs.readdirSync(path.join(dir, 'report')).sort()).toEqual(['report.html', 'report.md', 'results.json']);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'report', 'results.json'), 'utf8')) as ComparisonResults;
    expect(saved.tasks.map((t) => t.meta.id)).toEqual(['csv', 'text']);
    expect(saved.tasks[0].cells.gru.runs.map((r) => r.seed)).toEqual([1, 2]);
    expect(saved.settings.epochs).toBe(2);
    wellFormedSvgs(fs.readFileSync(path.join(dir, 'report', 'report.html'), 'utf8'));
    fs.rmSync(dir, { recursive: true });
  });

  test('a built-in task with --json: stdout is results.json only', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-compare-'));
    const out = sink();
    const code = await compareCommand(['--task', 'names', '--seeds', '1', '--epochs', '1', '--json', '--out', dir], {
      trainAndMeasure: fake,
      stdout: out.stream,
      stderr: sink().stream,
      timing: QUICK_TIMING,
    });
    expect(code).toBe(0);
    const parsed = JSON.parse(out.chunks.join('')) as ComparisonResults;
    expect(parsed.tasks[0].meta.id).toBe('names');
    expect(parsed.tasks[0].baselines[0].name).toMatch(/^majority class/);
    fs.rmSync(dir, { recursive: true });
  });

  test('bad arguments exit 2 with the message; --help prints the usage', async () => {
    const err = sink();
    expect(await compareCommand(['--seeds', 'x'], { trainAndMeasure: fake, stdout: sink().stream, stderr: err.stream })).toBe(2);
    expect(err.chunks.join('')).toBe('gatedrnn compare: expected --seeds to be a whole number from 1 to 100, but received "x"\n');
    const out = sink();
    expect(await compareCommand(['--help'], { trainAndMeasure: fake, stdout: out.stream })).toBe(0);
    expect(out.chunks.join('')).toContain('Usage: gatedrnn compare [options]');
  });

  test('a missing user file exits 1 naming it', async () => {
    const err = sink();
    const code = await compareCommand(['--csv', '/nonexistent/x.csv', '--target', 'y'], {
      trainAndMeasure: fake,
      stdout: sink().stream,
      stderr: err.stream,
    });
    expect(code).toBe(1);
    expect(err.chunks.join('')).toContain('/nonexistent/x.csv');
  });
});

describe('interleaved inference timing (fake clock, no real timing)', () => {
  // Two "models" on one fake clock: each call advances it by that model's scripted time.
  function pair(aMs: (k: number) => number, bMs: (k: number) => number) {
    let now = 0;
    const calls: string[] = [];
    let ka = 0;
    let kb = 0;
    return {
      clock: () => now,
      calls,
      a: () => {
        calls.push('a');
        now += aMs(ka++);
      },
      b: () => {
        calls.push('b');
        now += bMs(kb++);
      },
    };
  }
  test('alternates the order by round and stops once the ratio interval is tight', async () => {
    const p = pair(
      () => 1,
      (k) => 2 + (k % 3) * 0.01,
    );
    const t = await interleavedTiming(p.a, p.b, { warmup: 1, callsPerRound: 3, minRounds: 4, clock: p.clock });
    expect(p.calls.slice(0, 2)).toEqual(['a', 'b']);
    // Round 0: a then b; round 1: b then a.
    expect(p.calls.slice(2, 8).join('')).toBe('aaabbb');
    expect(p.calls.slice(8, 14).join('')).toBe('bbbaaa');
    expect(t.n).toBe(4);
    expect(t.ratio).toBeCloseTo(0.5, 2);
    expect(t.aMs).toBe(1);
    expect(t.low).toBeLessThanOrEqual(t.ratio);
    expect(t.high).toBeGreaterThanOrEqual(t.ratio);
  });
  test('noisy timings go on until the time cap', async () => {
    const p = pair(
      (k) => (k % 2 ? 1 : 3),
      (k) => (k % 5 ? 2 : 0.5),
    );
    const t = await interleavedTiming(p.a, p.b, {
      warmup: 0,
      callsPerRound: 1,
      minRounds: 2,
      maxRounds: 1000,
      maxSeconds: 0.05,
      clock: p.clock,
    });
    expect(t.n).toBeGreaterThan(2);
    expect(t.n).toBeLessThan(1000);
  });
});

describe('runner: fair treatment of the two cells (fake trainer)', () => {
  test('learning rate tuned per cell on the first seed only; order alternates by seed; test read once per final model', async () => {
    const base = loadTask('weather');
    const order: string[] = [];
    let tests = 0;
    const t: TaskSpec = { ...base, defaults: { ...base.defaults, learningRates: [0.001, 0.01] } } as TaskSpec;
    const fakeTrainer: TrainAndMeasure = async (task, c, seed) => {
      order.push(`${c.cell}@${seed}:${c.learningRate}`);
      return {
        training: {
          curve: { loss: [1] },
          epochs: 1,
          params: 1,
          trainSecondsPerEpoch: 1,
          epochSeconds: [1, 1],
          samplesPerSecond: 1,
          learningRate: c.learningRate,
        },
        bestValLoss: c.cell === 'gru' ? c.learningRate! : 1 / c.learningRate!,
        test: async () => {
          tests++;
          const p = new Float32Array(task.kind === 'forecasting' ? task.data.test.y.size : 0);
          return task.kind === 'forecasting' ? { metrics: task.score(p), items: task.itemScores(p) } : { metrics: {}, items: { num: [] } };
        },
        rebuild: () => ({ infer: () => async () => undefined, dispose: () => undefined }),
        dispose: () => undefined,
      };
    };
    const res = await runComparison({
      tasks: [t],
      settings: {
        seeds: [1, 2, 3],
        epochs: 1,
        units: null,
        layers: null,
        match: 'units',
        priority: 'accuracy',
        budgetSeconds: null,
        full: false,
      },
      trainAndMeasure: fakeTrainer,
      timing: false,
      machine: { platform: 'x', arch: 'x', cpuModel: 'x', cpus: 1, node: 'x' },
    });
    expect(order).toEqual([
      'gru@1:0.001',
      'gru@1:0.01',
      'lstm@1:0.001',
      'lstm@1:0.01',
      'lstm@2:0.01',
      'gru@2:0.001',
      'gru@3:0.001',
      'lstm@3:0.01',
    ]);
    expect(tests).toBe(6);
    const [r] = res.tasks;
    expect(r.cells.gru.runs.map((x) => x.learningRate)).toEqual([0.001, 0.001, 0.001]);
    expect(r.cells.lstm.runs.map((x) => x.learningRate)).toEqual([0.01, 0.01, 0.01]);
    expect(r.cells.gru.runs[0].tuning?.map((x) => x.learningRate)).toEqual([0.001, 0.01]);
    expect(r.cells.lstm.runs.map((x) => x.seed)).toEqual([1, 2, 3]);
    expect(r.costs?.trainTime?.ratio).toBeCloseTo(1, 12);
  });
});
