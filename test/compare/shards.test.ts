// Shards and their merge: the real trainer on two tiny tasks, run as 1/2 and 2/2 (each in a fresh
// order of work) and merged, equals one run bit for bit; the merge refuses shards that do not
// make up one run; the shard comes from --shard or from a Kubernetes indexed Job's environment.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCompareArgs } from '../../lib/compare/cli-args';
import { compareCommand } from '../../lib/compare/command';
import { mergeShards } from '../../lib/compare/merge';
import { recommend } from '../../lib/compare/recommend';
import type { ComparisonResults, RunSettings } from '../../lib/compare/results';
import { modelCount, runComparison, runUnits } from '../../lib/compare/runner';
import { trainAndMeasure } from '../../lib/compare/train-and-measure';
import { forecastFromTable, textFromTable } from '../../lib/data/user';
import { classificationTask, type TaskSpec, unitForecastTask } from '../../lib/tasks';

const words = ['cat', 'dog', 'bird', 'fish', 'cow', 'hen', 'pig', 'fox', 'owl', 'bee', 'ant', 'elk', 'yak', 'emu', 'ram', 'eel'];

function textTask(): TaskSpec {
  const rows = Array.from({ length: 48 }, (_, i) => [
    `${words[i % 16]} ${words[(i * 7) % 16]} ${i % 3 ? 'good fun' : 'bad dull'}`,
    i % 3 ? 'pos' : 'neg',
  ]);
  const data = textFromTable('reviews.csv', { columns: ['review', 'label'], rows }, 'label', { sequenceLength: 6 });
  // A grid of two rates, so the tuning seed's choice is something shards must agree on.
  return classificationTask('text', 'reviews.csv', 'label from text', data, {
    units: 4,
    layers: 1,
    epochs: 2,
    batchSize: 16,
    embeddingSize: 4,
    learningRates: [0.003, 0.03],
  });
}

function forecastTask(): TaskSpec {
  const rows = Array.from({ length: 80 }, (_, i) => [String(i), (10 + 5 * Math.sin(i / 4)).toFixed(3)]);
  const data = forecastFromTable('series.csv', { columns: ['step', 'load'], rows }, 'load', 5);
  return unitForecastTask(
    'csv',
    'series.csv',
    'next load',
    '',
    data,
    { units: 4, layers: 1, epochs: 2, batchSize: 16, learningRates: [0.01, 0.001] },
    false,
  );
}

const settings: RunSettings = {
  seeds: [1, 2, 3],
  epochs: null,
  units: null,
  layers: null,
  match: 'units',
  priority: 'accuracy',
  budgetSeconds: null,
  full: false,
};
const machine = { platform: 'linux', arch: 'x64', cpuModel: 'Test CPU', cpus: 2, node: '20' };
const timing = { warmup: 1, callsPerRound: 1, minRounds: 3, maxRounds: 3 };

const metricsOf = (r: ComparisonResults) =>
  r.tasks.map((t) =>
    Object.values(t.cells).map((c) =>
      c.runs.map((run) => ({
        seed: run.seed,
        lr: run.learningRate,
        tuning: run.tuning,
        metrics: run.metrics,
        items: run.items,
        curve: run.curve,
      })),
    ),
  );

describe('compare shards', () => {
  let one: ComparisonResults;
  let shards: ComparisonResults[];

  beforeAll(async () => {
    // Shard 2 first, then shard 1, then the single run: no unit may depend on what ran before.
    const run = (shard?: { index: number; count: number }) =>
      runComparison({ tasks: [textTask(), forecastTask()], settings, trainAndMeasure, machine, timing, shard });
    const s2 = await run({ index: 2, count: 2 });
    const s1 = await run({ index: 1, count: 2 });
    one = await run();
    shards = [s1, s2];
  }, 60000);

  test('units alternate between shards in the fixed task-major order', () => {
    expect(shards[0].shard!.units).toEqual([
      { task: 'text', seed: 1 },
      { task: 'text', seed: 3 },
      { task: 'csv', seed: 2 },
    ]);
    expect(shards[1].shard!.units).toEqual([
      { task: 'text', seed: 2 },
      { task: 'csv', seed: 1 },
      { task: 'csv', seed: 3 },
    ]);
    expect(runUnits(['a'], settings, { index: 3, count: 3 }).map((u) => u.mine)).toEqual([false, false, true]);
    // Each shard lacks one task's first seed and retrains that task's grid on it (2 rates x 2 cells).
    const tasks = [textTask(), forecastTask()];
    expect(modelCount(tasks, settings, { index: 2, count: 2 }) + modelCount(tasks, settings, { index: 1, count: 2 })).toBe(
      modelCount(tasks, settings) + 8,
    );
  });

  test('shards merged equal one run: metrics, items, curves and learning rates bit for bit, and the verdicts', () => {
    const merged = mergeShards(shards);
    expect(metricsOf(merged)).toEqual(metricsOf(one));
    expect(JSON.stringify(metricsOf(merged))).toBe(JSON.stringify(metricsOf(one)));
    expect(merged.tasks.map((t) => t.costs?.memory)).toEqual(one.tasks.map((t) => t.costs?.memory));
    expect(merged.tasks.every((t) => t.costs?.latency && t.costs.trainTime)).toBe(true);
    expect(merged.merged).toEqual({ shards: 2, machines: [{ machine, units: expect.any(Array) }] });
    // The accuracy verdicts; the sentences also quote timings, which differ between any two runs.
    const accuracy = (v: ReturnType<typeof recommend>) =>
      JSON.stringify(v.map((x) => [x.task, x.accuracy, x.difference, x.p, x.pEquivalence, x.seedsNeeded, x.baseline]));
    expect(accuracy(recommend(merged))).toBe(accuracy(recommend(one)));
  });

  test('a machine mix is allowed, noted, and no training-time ratio pools epochs from two machines', () => {
    const other = { ...shards[1], machine: { ...machine, cpuModel: 'Other CPU' } };
    const merged = mergeShards([shards[0], other]);
    expect(merged.merged!.machines.map((m) => m.machine.cpuModel).sort()).toEqual(['Other CPU', 'Test CPU']);
    expect(merged.merged!.note).toMatch(/different machines/);
    expect(merged.tasks.map((t) => t.costs?.trainTime)).toEqual([undefined, undefined]);
    expect(metricsOf(merged)).toEqual(metricsOf(one));
  });

  test('merge refuses different settings, versions, a missing unit and a repeated unit', () => {
    expect(() => mergeShards([shards[0], { ...shards[1], settings: { ...settings, epochs: 3 } }])).toThrow(
      /shards ran different settings: 1\/2 ran .* shard 2\/2 ran .*"epochs":3/,
    );
    expect(() => mergeShards([shards[0], { ...shards[1], package: '0.0.1' }])).toThrow(
      /shards ran different gatedrnn versions: .* shard 2\/2 ran 0\.0\.1/,
    );
    expect(() => mergeShards([shards[0]])).toThrow(
      /3 units are missing \(text seed 2, csv seed 1, csv seed 3\): no shard given ran them \(shards given: 1\/2\)/,
    );
    expect(() => mergeShards([shards[0], shards[1], shards[0]])).toThrow(
      /unit text seed 1 was run more than once, by shards 1\/2 and 1\/2/,
    );
    expect(() => mergeShards([shards[0], one])).toThrow(/no shard record|different|once/);
  });

  test('the CLI merges shard folders into report.md, report.html and results.json, and refuses a bad set with exit code 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-shards-'));
    try {
      shards.forEach((s, i) => {
        fs.mkdirSync(path.join(dir, `s${i + 1}`));
        fs.writeFileSync(path.join(dir, `s${i + 1}`, 'results.json'), JSON.stringify(s));
      });
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } };
      const code = await compareCommand(['merge', path.join(dir, 's1'), path.join(dir, 's2'), '--out', path.join(dir, 'm')], {
        trainAndMeasure,
        ...io,
      } as never);
      expect(err.join('')).toBe('');
      expect(code).toBe(0);
      for (const f of ['report.md', 'report.html', 'results.json']) expect(fs.existsSync(path.join(dir, 'm', f))).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'm', 'report.md'), 'utf8')).toMatch(/merged from 2 shards/);
      const written = JSON.parse(fs.readFileSync(path.join(dir, 'm', 'results.json'), 'utf8')) as ComparisonResults;
      expect(JSON.stringify(metricsOf(written))).toBe(JSON.stringify(metricsOf(one)));
      const bad = await compareCommand(['merge', path.join(dir, 's1'), '--out', path.join(dir, 'x')], { trainAndMeasure, ...io } as never);
      expect(bad).toBe(2);
      expect(err.join('')).toMatch(/gatedrnn compare merge: 3 units are missing/);
      expect(fs.existsSync(path.join(dir, 'x'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('choosing the shard', () => {
  test('--shard K/N, or JOB_COMPLETION_INDEX (from 0) with GATEDRNN_SHARDS', () => {
    expect(parseCompareArgs(['--shard', '2/4'], {}).shard).toEqual({ index: 2, count: 4 });
    expect(parseCompareArgs([], {}).shard).toBeNull();
    expect(parseCompareArgs([], { JOB_COMPLETION_INDEX: '0', GATEDRNN_SHARDS: '3' }).shard).toEqual({ index: 1, count: 3 });
    expect(parseCompareArgs(['--shard', '3/3'], { JOB_COMPLETION_INDEX: '0', GATEDRNN_SHARDS: '3' }).shard).toEqual({ index: 3, count: 3 });
    expect(() => parseCompareArgs(['--shard', '5/4'], {})).toThrow(
      /expected --shard to be K\/N with 1 <= K <= N \(for example 2\/4\), but received "5\/4"/,
    );
    expect(() => parseCompareArgs(['--shard', '0/4'], {})).toThrow(/--shard/);
    expect(() => parseCompareArgs([], { JOB_COMPLETION_INDEX: '1' })).toThrow(
      /JOB_COMPLETION_INDEX and GATEDRNN_SHARDS to be set together .* only JOB_COMPLETION_INDEX is set/,
    );
    expect(() => parseCompareArgs([], { JOB_COMPLETION_INDEX: '3', GATEDRNN_SHARDS: '3' })).toThrow(
      /JOB_COMPLETION_INDEX to be a whole number from 0 to 2/,
    );
    expect(() => parseCompareArgs(['--claims'], { JOB_COMPLETION_INDEX: '0', GATEDRNN_SHARDS: '2' })).toThrow(
      /--claims does not run as shards/,
    );
    expect(() => parseCompareArgs(['--claims', '--shard', '1/2'], {})).toThrow(/--shard does not apply with --claims/);
  });
});
