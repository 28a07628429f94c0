// recommend() on constructed results, the report files, the progress bar, CLI arguments, and
// one end-to-end `compare` run whose trainer is a FAKE returning fixed numbers (no model trains).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCompareArgs } from '../lib/compare/cli-args';
import { compareCommand } from '../lib/compare/command';
import { measureLatency, measureThroughput, PeakMemoryTracker } from '../lib/compare/measure';
import { ProgressBar, formatDuration } from '../lib/compare/progress';
import { recommend } from '../lib/compare/recommend';
import { costTable, htmlReport, markdownReport, writeReport } from '../lib/compare/report';
import { CellResult, ComparisonResults, RunResult, TaskResult } from '../lib/compare/results';
import { cellSpecs, TrainAndMeasure } from '../lib/compare/runner';
import { barChartSvg, lineChartSvg, niceTicks } from '../lib/compare/svg';
import { loadTask } from '../lib/tasks';

function run(seed: number, metric: number, latency: number, over: Partial<RunResult> = {}): RunResult {
  return {
    seed,
    metrics: { accuracy: metric, f1: metric - 0.01 },
    curve: { loss: [1, 0.6, 0.4], valLoss: [1.1, 0.7, 0.5] },
    epochs: 3,
    params: 1000,
    trainSecondsPerEpoch: 2,
    samplesPerSecond: 500,
    latencyMs: { p50: latency, p99: latency * 2 },
    throughputBatch64: 4000,
    peakMemoryBytes: 64 * 2 ** 20,
    ...over,
  };
}

function cell(name: 'gru' | 'lstm', params: number, runs: RunResult[]): CellResult {
  return { cell: name, units: 32, layers: 1, params, runs: runs.map((r) => ({ ...r, params })) };
}

function task(gru: number[], lstm: number[], gruLatency: number, lstmLatency: number, baseline = 0.5, gruParams = 750, lstmParams = 1000): TaskResult {
  return {
    meta: {
      id: 'spam',
      dataset: 'SpamAssassin',
      task: 'ham vs spam',
      kind: 'classification',
      metrics: [
        { name: 'accuracy', label: 'accuracy', higherIsBetter: true },
        { name: 'f1', label: 'F1 (spam)', higherIsBetter: true },
      ],
      primaryMetric: 'accuracy',
      sizes: { train: 10, validation: 2, test: 2 },
      notes: ['a constructed task'],
    },
    cells: { gru: cell('gru', gruParams, gru.map((m, i) => run(i + 1, m, gruLatency))), lstm: cell('lstm', lstmParams, lstm.map((m, i) => run(i + 1, m, lstmLatency))) },
    baselines: [{ name: 'majority class (ham)', metrics: { accuracy: baseline, f1: 0 } }],
  };
}

function results(tasks: TaskResult[]): ComparisonResults {
  return {
    version: 1,
    createdAt: '2026-11-27T12:00:00.000Z',
    machine: { platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, node: '20.0.0' },
    settings: { seeds: [1, 2, 3], epochs: 3, units: null, layers: null, match: 'units', priority: 'accuracy', budgetSeconds: null, full: false },
    tasks,
  };
}

describe('recommend', () => {
  test('a metric difference beyond its interval decides under priority accuracy', () => {
    const [v] = recommend([task([0.97, 0.975, 0.972], [0.95, 0.952, 0.951], 2, 1)]);
    expect(v.primary.better).toBe('gru');
    expect(v.primary.interval.significant).toBe(true);
    expect(v.faster).toBe('lstm');
    expect(v.choice).toBe('gru');
    expect(v.sentence).toContain('GRU is better beyond the noise');
    expect(v.sentence).toContain('with priority accuracy, GRU (more accurate)');
  });
  test('costs compare as medians over seeds: one seed timed in a slow minute does not make a cell faster', () => {
    // first names in a real run: GRU 0.0458, 0.0440 and 0.1168 ms against LSTM 0.0495, 0.0465, 0.0463.
    const t = task([0.82, 0.81, 0.82], [0.815, 0.82, 0.81], 1, 1, 0.5, 1000, 1000);
    [0.0458, 0.044, 0.1168].forEach((p50, i) => (t.cells.gru.runs[i].latencyMs = { p50, p99: 0.1 }));
    [0.0495, 0.0465, 0.0463].forEach((p50, i) => (t.cells.lstm.runs[i].latencyMs = { p50, p99: 0.1 }));
    const [v] = recommend([t]);
    expect(v.ratios.latencyP50).toBeCloseTo(0.0458 / 0.0465, 12);
    expect(v.faster).toBeNull();
    expect(v.choice).toBe('either');
    expect(costTable(results([t]))).toContain('| 0.0458 |');
  });
  test('a difference within the noise goes to the faster cell', () => {
    const [v] = recommend([task([0.96, 0.97, 0.95], [0.965, 0.955, 0.97], 1, 2)]);
    expect(v.primary.better).toBeNull();
    expect(v.choice).toBe('gru');
    expect(v.ratios.latencyP50).toBeCloseTo(0.5, 12);
    expect(v.sentence).toContain('within the noise');
    expect(v.sentence).toContain('GRU is 2× faster at batch 1');
    expect(v.sentence).toContain('GRU is 0.75× the size');
  });
  test('priority latency picks the faster cell even when it is measurably less accurate, and says so', () => {
    const [v] = recommend([task([0.97, 0.975, 0.972], [0.95, 0.952, 0.951], 2, 1)], { priority: 'latency' });
    expect(v.choice).toBe('lstm');
    expect(v.sentence).toContain('at a measurable cost in accuracy');
  });
  test('priority size picks fewer parameters', () => {
    const [v] = recommend([task([0.95, 0.95, 0.95], [0.97, 0.97, 0.97], 1, 1, 0.5, 1200, 1000)], { priority: 'size' });
    expect(v.smaller).toBe('lstm');
    expect(v.choice).toBe('lstm');
  });
  test('equal on everything within the tolerance: either', () => {
    const [v] = recommend([task([0.96, 0.97, 0.95], [0.965, 0.955, 0.97], 1, 1.02, 0.5, 1000, 1000)]);
    expect(v.choice).toBe('either');
    expect(v.sentence).toContain('nothing measured separates them');
  });
  test('when neither cell beats the baseline the verdict is neither', () => {
    const [v] = recommend([task([0.6, 0.61, 0.6], [0.58, 0.59, 0.6], 1, 2, 0.7)]);
    expect(v.choice).toBe('neither');
    expect(v.beatsBaseline).toEqual({ gru: false, lstm: false });
    expect(v.sentence).toContain('neither model beats the majority class (ham) baseline');
  });
  test('a cell below the baseline is not chosen over one above it', () => {
    const [v] = recommend([task([0.6, 0.69, 0.62], [0.72, 0.73, 0.71], 1, 2, 0.7)], { priority: 'latency' });
    expect(v.choice).toBe('lstm');
  });
  test('bad options are refused with the value received', () => {
    expect(() => recommend([], { priority: 'speed' as never })).toThrow("recommend: expected options.priority to be one of 'accuracy', 'latency', 'size', but received \"speed\" of type string");
    expect(() => recommend(null as never)).toThrow('recommend: expected results to be a results object ({ tasks: [...] }) or an array of task results, but received null');
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
  const r = results([task([0.97, 0.975, 0.972], [0.95, 0.952, 0.951], 2, 1)]);
  test('Markdown: the metric table, the cost table and the recommendation', () => {
    const md = markdownReport(r);
    expect(md).toContain('| dataset | task | metric | GRU | LSTM | baseline |');
    expect(md).toContain('| SpamAssassin | ham vs spam | accuracy ↑ | 0.972 ± 0.00252 | 0.951 ± 0.001 | 0.5 (majority class (ham)) |');
    expect(md).toContain('| SpamAssassin | GRU | 32×1 | 750 | 2 | 500 | 2 | 4 | 4000 | 64 |');
    expect(md).toContain('- SpamAssassin (ham vs spam): GRU.');
    expect(md).toContain('- SpamAssassin: a constructed task');
  });
  test('HTML: tables and well-formed inline SVG charts (curves, metrics, speed, size)', () => {
    const html = htmlReport(r);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<th>dataset</th><th>task</th><th>metric</th><th>GRU</th><th>LSTM</th><th>baseline</th>');
    const svgs = wellFormedSvgs(html);
    expect(svgs.length).toBe(1 + 2 + 4);
    expect(svgs[0]).toContain('learning curves');
    expect(svgs[0]).toContain('>epoch<');
    expect(svgs[0].match(/<polyline/g)?.length).toBe(12);
    expect(svgs.some((s) => s.includes('latency p50, batch 1'))).toBe(true);
  });
  test('writeReport writes the three files atomically (no temp files left) into a new folder', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-report-')), 'nested', 'out');
    const w = writeReport(r, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['report.html', 'report.md', 'results.json']);
    expect(JSON.parse(fs.readFileSync(w.files.json, 'utf8'))).toEqual(r);
    fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true });
  });
  test('charts: nice ticks; one-point and empty series; negative bars', () => {
    expect(niceTicks(0, 0.97)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const line = lineChartSvg({ title: 'a < b', xLabel: 'epoch', yLabel: 'loss', series: [{ name: 's', color: '#000', values: [1] }, { name: 'e', color: '#111', values: [] }] });
    wellFormedSvgs(line);
    expect(line).toContain('a &lt; b');
    wellFormedSvgs(barChartSvg({ title: 't', yLabel: 'y', bars: [{ name: 'a', value: -2, error: 1, color: '#000' }, { name: 'b', value: 3, color: '#111' }] }));
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
    expect(parseCompareArgs(['--text', 't.csv', '--label', 'y', '--max-tokens', '250']).text).toEqual({ file: 't.csv', label: 'y', maxTokens: 250 });
    expect(parseCompareArgs(['--text', 't.csv', '--label', 'y']).text).toEqual({ file: 't.csv', label: 'y', maxTokens: null });
    expect(() => parseCompareArgs(['--max-tokens', '5'])).toThrow('gatedrnn compare: --max-tokens only applies with --text FILE');
    expect(() => parseCompareArgs(['--text', 't.csv', '--label', 'y', '--max-tokens', '0'])).toThrow('gatedrnn compare: expected --max-tokens to be a whole number from 1 to 100000, but received "0"');
  });
  test('defaults: the default tasks, 3 seeds, priority accuracy, ./gatedrnn-report', () => {
    const a = parseCompareArgs([]);
    expect(a).toMatchObject({ tasks: ['names', 'spam', 'g2p', 'sp500', 'weather'], seeds: 3, epochs: null, match: 'units', priority: 'accuracy', out: './gatedrnn-report', json: false, full: false, csv: null, text: null });
  });
  test('every flag, in both --flag value and --flag=value forms', () => {
    const a = parseCompareArgs(['--task', 'g2p,spam', '--seeds=5', '--epochs', '7', '--budget-seconds', '30.5', '--units', '64', '--layers', '2', '--match', 'params', '--priority', 'latency', '--out', 'r', '--json', '--full']);
    expect(a).toMatchObject({ tasks: ['g2p', 'spam'], seeds: 5, epochs: 7, budgetSeconds: 30.5, units: 64, layers: 2, match: 'params', priority: 'latency', out: 'r', json: true, full: true });
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
    [['--task', 'imdb'], 'gatedrnn compare: expected --task to be all or to list tasks among names, spam, g2p, sp500, weather, genre, tagging, charlm, but received "imdb"'],
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
    const s = cellSpecs(t, { seeds: [1], epochs: null, units: 64, layers: 1, match: 'params', priority: 'accuracy', budgetSeconds: null, full: false });
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
    let metrics: Record<string, number>;
    if (t.kind === 'classification') metrics = t.score(new Int32Array(t.data.test.y.size));
    else if (t.kind === 'forecasting') metrics = t.score(new Float32Array(t.data.test.y.size));
    else if (t.kind === 'seq2seq') metrics = t.score(t.data.test.entries.map(() => []));
    else if (t.kind === 'tagging') metrics = t.score(t.data.test.pieces.map((p) => p.map(() => t.data.tags[0])));
    else metrics = t.score(new Float64Array(t.data.test.targets.length).fill(1));
    return {
      metrics,
      curve: { loss: Array.from({ length: c.epochs }, (_, e) => 1 / (e + 1 + seed)) },
      epochs: c.epochs,
      params: c.cell === 'gru' ? 3000 : 4000,
      trainSecondsPerEpoch: 1,
      samplesPerSecond: 100,
      latencyMs: { p50: c.cell === 'gru' ? 0.5 : 0.7, p99: 1 },
      throughputBatch64: 1000,
      peakMemoryBytes: 2 ** 26,
    };
  };
  const sink = () => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY: false, write: (s: string) => chunks.push(s) } };
  };

  test('user CSV and text files, two seeds: tables on stdout, three report files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-compare-'));
    const csv = path.join(dir, 'series.csv');
    fs.writeFileSync(csv, 'step,load\n' + Array.from({ length: 80 }, (_, i) => `${i},${(10 + 5 * Math.sin(i / 4)).toFixed(3)}`).join('\n'));
    const text = path.join(dir, 'reviews.csv');
    fs.writeFileSync(text, 'review,label\n' + Array.from({ length: 40 }, (_, i) => `"${i % 2 ? 'great, loved it' : 'bad and dull'} ${i}",${i % 2 ? 'pos' : 'neg'}`).join('\n'));
    const out = sink();
    const err = sink();
    const code = await compareCommand(['--csv', csv, '--target', 'load', '--window', '5', '--text', text, '--label', 'label', '--seeds', '2', '--epochs', '2', '--out', path.join(dir, 'report')], {
      trainAndMeasure: fake,
      stdout: out.stream,
      stderr: err.stream,
    });
    expect(err.chunks.join('')).toBe('');
    expect(code).toBe(0);
    const printed = out.chunks.join('');
    expect(printed).toContain('| dataset | task | metric | GRU | LSTM | baseline |');
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
    const code = await compareCommand(['--task', 'names', '--seeds', '1', '--epochs', '1', '--json', '--out', dir], { trainAndMeasure: fake, stdout: out.stream, stderr: sink().stream });
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
    const code = await compareCommand(['--csv', '/nonexistent/x.csv', '--target', 'y'], { trainAndMeasure: fake, stdout: sink().stream, stderr: err.stream });
    expect(code).toBe(1);
    expect(err.chunks.join('')).toContain('/nonexistent/x.csv');
  });
});

describe('cost measurement helpers (fake clock, no real timing)', () => {
  // A clock that advances by a scripted amount for each call measured.
  function scripted(durations: number[]) {
    let now = 0;
    let k = 0;
    return {
      clock: () => now,
      run: () => {
        now += durations[k++ % durations.length];
      },
    };
  }
  test('latency percentiles over the timed calls, after the warm-up', async () => {
    const s = scripted([100, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const r = await measureLatency(s.run, { warmup: 2, iterations: 10, clock: s.clock });
    expect(r.samples).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.p50).toBe(5.5);
    expect(r.p99).toBeCloseTo(9.91, 12);
  });
  test('the time limit stops timing early, after at least one call', async () => {
    const s = scripted([4000]);
    const r = await measureLatency(s.run, { warmup: 0, iterations: 100, maxSeconds: 5, clock: s.clock });
    expect(r.samples.length).toBe(2);
  });
  test('throughput is batch size over the median call time', async () => {
    const s = scripted([10, 20, 30]);
    expect(await measureThroughput(s.run, 64, { warmup: 0, iterations: 3, clock: s.clock })).toBeCloseTo(3200, 9);
  });
  test('peak memory keeps the largest sample', () => {
    const values = [10, 50, 20];
    let k = 0;
    const m = new PeakMemoryTracker(() => values[k++]);
    m.sample();
    m.sample();
    expect(m.stop()).toBe(50);
  });
});
