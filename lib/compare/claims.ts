// `gatedrnn compare --claims`: the usual GRU-vs-LSTM advice as experiments with verdicts. Each
// claim has its experiment, a measure, the direction the claim predicts and a practical margin,
// all fixed here before any run; the numbers come from tasks/claims, the statistics from verdict.ts.
import * as os from 'node:os';
import { type BuiltinTask, TASKS } from '../tasks';
import {
  ANBN_SHAPE,
  type AnbnJob,
  type AnbnResult,
  type BudgetJob,
  type BudgetResult,
  type DataSizeJob,
  type DataSizeResult,
  LAG_SHAPES,
  type LagJob,
  type LagResult,
  type LagTask,
  NAMES_SHAPE,
  type SpeedConfig,
  type SpeedJob,
  type SpeedResult,
  speedShape,
} from '../tasks/claims';
import type { ClaimJob, ClaimJobResult, TaskJob, TaskJobResult } from './claims-jobs';
import { runJobs } from './claims-pool';
import { type Cell, matchUnits, type StackShape } from './params';
import { CLAIM_IDS, type ClaimId, type MachineInfo } from './results';
import { machineInfo } from './machine';
import { cellSpecs } from './runner';
import { cachedTask } from './claims-jobs';
import { decideAll, type DecisionResult, type Evidence, pairedDifference } from './verdict';

export { CLAIM_IDS };
export type { ClaimId };

/** The claims as the usual guides state them. */
export const CLAIM_STATEMENTS: Record<ClaimId, string> = {
  speed: 'GRU is simpler: it trains faster and needs less computation and memory',
  memory: 'LSTM captures long-term dependencies better (and, in the same guides, GRU models long sequences well)',
  expressive: "LSTM's three gates learn more complex dependencies (an LSTM can count, a GRU cannot)",
  'small-data': 'LSTM overfits more easily; GRU does better on small data',
  budget: 'under a fixed compute budget GRU reaches a given quality sooner',
  tasks: 'text classification → GRU, translation → LSTM, stock prediction → LSTM, weather → GRU',
};

export type ClaimVerdict = 'supported' | 'contradicted' | 'equivalent' | 'inconclusive' | 'invalid';

/** One row of the verdict table: one measure of one claim, per-seed values for both cells. */
export interface ClaimRow {
  claim: ClaimId;
  /** What this row tests, e.g. 'training time, equal units'. */
  label: string;
  experiment: string;
  measure: string;
  /** The cell the claim says is better on this measure. */
  favours: Cell;
  higherIsBetter: boolean;
  /** Differences within ±margin (in the measure's units; for 'log', of ln values) do not matter. */
  margin: number;
  /** 'log': values are natural logs and the difference reads as a GRU/LSTM ratio. */
  scale: 'linear' | 'log';
  unit: string;
  /** Per seed (or timing round), paired by index. */
  gru: number[];
  lstm: number[];
  /** What one paired unit is: 'seeds' or 'rounds'. */
  units: 'seeds' | 'rounds';
  /** Set when a sanity check failed: the reason, and no verdict. */
  invalid: string | null;
  /** The command that reproduces the row. */
  command: string;
  evidence?: Evidence;
  decision?: DecisionResult;
  verdict?: ClaimVerdict;
  /** When inconclusive: the seeds per cell that would settle it. */
  seedsNeeded?: number | null;
}

export interface ClaimsPlan {
  full: boolean;
  speed: { hidden: number[]; batches: number[]; steps: number; inputSize: number; rounds: number; minMs: number };
  memory: {
    tasks: LagTask[];
    lags: number[];
    seeds: number[];
    units: number;
    updates: number;
    batchSize: number;
    learningRate: number;
    testCount: number;
  };
  expressive: {
    seeds: number[];
    units: number;
    updates: number;
    batchSize: number;
    learningRate: number;
    trainMaxN: number;
    testMaxN: number;
  };
  smallData: {
    sizes: number[];
    seeds: number[];
    units: number;
    updates: number;
    minEpochs: number;
    batchSize: number;
    learningRate: number;
  };
  budget: { seconds: number; seeds: number[]; units: number; every: number; batchSize: number; learningRate: number; target: number };
  tasks: { ids: { task: BuiltinTask; favours: Cell; use: string; margin: number; epochs: number | null }[]; seeds: number[] };
}

const seeds = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * The experiments' sizes. The quick plan fits in about ten minutes on a two-core machine; the
 * full one takes longer lags, more seeds and longer training.
 */
export function claimsPlan(full = false): ClaimsPlan {
  return {
    full,
    speed: { hidden: [32, 128, 512], batches: [1, 32], steps: 100, inputSize: 32, rounds: full ? 10 : 5, minMs: full ? 200 : 50 },
    memory: {
      tasks: full ? ['adding', 'recall', 'copy'] : ['adding', 'recall'],
      lags: full ? [10, 50, 100, 200, 400] : [10, 50, 100, 200],
      seeds: seeds(full ? 5 : 3),
      units: 32,
      updates: full ? 3000 : 1000,
      batchSize: 32,
      learningRate: 0.01,
      testCount: 500,
    },
    expressive: { seeds: seeds(full ? 12 : 8), units: 16, updates: 3000, batchSize: 16, learningRate: 0.01, trainMaxN: 20, testMaxN: 100 },
    smallData: {
      sizes: [250, 1000, 4000, Infinity],
      seeds: seeds(full ? 10 : 5),
      units: 32,
      updates: full ? 1500 : 600,
      minEpochs: 5,
      batchSize: 32,
      learningRate: 0.005,
    },
    budget: { seconds: full ? 15 : 4, seeds: seeds(full ? 8 : 5), units: 32, every: 10, batchSize: 32, learningRate: 0.005, target: 0.82 },
    tasks: {
      // The tasks whose definitions name a use the advice speaks of. Epochs, not seconds, so
      // that the machine's load does not change what is trained (null: the task's default).
      ids: TASKS.flatMap((t) =>
        t.claim
          ? [
              {
                task: t.id,
                favours: t.claim.favours,
                use: t.claim.use,
                margin: t.claim.margin,
                epochs: full ? null : (t.claim.quickEpochs ?? null),
              },
            ]
          : [],
      ),
      seeds: seeds(3),
    },
  };
}

/** Units giving a GRU about the parameters of an LSTM of `lstmUnits` (head included). */
function equalParams(lstmUnits: number, shape: StackShape): Record<Cell, number> {
  const m = matchUnits(lstmUnits, shape, 'lstm');
  return { gru: m.gru, lstm: m.lstm };
}

export interface PlannedJobs {
  jobs: ClaimJob[];
  /** Jobs of the same phase may run side by side; phases run one after another. */
  phases: number[];
}

/** Every job the selected claims need, in phases: timing alone, then training jobs, then the budget pairs. */
export function planJobs(plan: ClaimsPlan, claims: readonly ClaimId[]): PlannedJobs {
  const jobs: ClaimJob[] = [];
  const phases: number[] = [];
  const add = (phase: number, job: ClaimJob) => {
    jobs.push(job);
    phases.push(phase);
  };
  const cells: Cell[] = ['gru', 'lstm'];
  if (claims.includes('speed')) {
    const s = plan.speed;
    const configs: SpeedConfig[] = [];
    for (const match of ['units', 'params'] as const) {
      for (const hidden of s.hidden) {
        for (const batch of s.batches) {
          configs.push({
            hidden,
            batch,
            match,
            units: match === 'units' ? { gru: hidden, lstm: hidden } : equalParams(hidden, speedShape(s.inputSize)),
          });
        }
      }
    }
    const job: SpeedJob = { kind: 'speed', configs, steps: s.steps, inputSize: s.inputSize, rounds: s.rounds, minMs: s.minMs };
    add(0, job);
  }
  if (claims.includes('memory')) {
    const m = plan.memory;
    for (const task of m.tasks) {
      const units = equalParams(m.units, LAG_SHAPES[task]);
      // Longest lags first, so the slowest jobs do not end the phase alone.
      for (const lag of [...m.lags].reverse())
        for (const seed of m.seeds)
          for (const cell of cells) {
            const job: LagJob = {
              kind: 'lag',
              task,
              lag,
              cell,
              units: units[cell],
              seed,
              updates: m.updates,
              batchSize: m.batchSize,
              learningRate: m.learningRate,
              testCount: m.testCount,
            };
            add(1, job);
          }
    }
  }
  if (claims.includes('tasks')) {
    for (const t of plan.tasks.ids) {
      const spec = cellSpecs(cachedTask(t.task, plan.full), {
        seeds: plan.tasks.seeds,
        epochs: t.epochs,
        units: null,
        layers: null,
        match: 'params',
        priority: 'accuracy',
        budgetSeconds: null,
        full: plan.full,
      });
      for (const seed of plan.tasks.seeds)
        for (const cell of cells) {
          const job: TaskJob = { kind: 'task', task: t.task, full: plan.full, spec: spec[cell], seed };
          add(1, job);
        }
    }
  }
  if (claims.includes('expressive')) {
    const e = plan.expressive;
    const units = equalParams(e.units, ANBN_SHAPE);
    for (const seed of e.seeds)
      for (const cell of cells) {
        const job: AnbnJob = {
          kind: 'anbn',
          cell,
          units: units[cell],
          seed,
          updates: e.updates,
          batchSize: e.batchSize,
          learningRate: e.learningRate,
          trainMaxN: e.trainMaxN,
          testMaxN: e.testMaxN,
        };
        add(1, job);
      }
  }
  if (claims.includes('small-data')) {
    const d = plan.smallData;
    const units = equalParams(d.units, NAMES_SHAPE);
    for (const size of d.sizes)
      for (const seed of d.seeds)
        for (const cell of cells) {
          const job: DataSizeJob = {
            kind: 'datasize',
            cell,
            units: units[cell],
            seed,
            size: Number.isFinite(size) ? size : 1e9,
            updates: d.updates,
            minEpochs: d.minEpochs,
            batchSize: d.batchSize,
            learningRate: d.learningRate,
          };
          add(1, job);
        }
  }
  if (claims.includes('budget')) {
    const b = plan.budget;
    const units = equalParams(b.units, NAMES_SHAPE);
    // The GRU and the LSTM of a seed run side by side, under the same load.
    for (const seed of b.seeds)
      for (const cell of cells) {
        const job: BudgetJob = {
          kind: 'budget',
          cell,
          units: units[cell],
          seed,
          seconds: b.seconds,
          every: b.every,
          batchSize: b.batchSize,
          learningRate: b.learningRate,
        };
        add(2, job);
      }
  }
  return { jobs, phases };
}

// ---------------------------------------------------------------------------------------------
// From raw results to rows

export interface ClaimsRaw {
  speed?: { configs: SpeedConfig[]; result: SpeedResult };
  memory?: { task: LagTask; lag: number; cell: Cell; seed: number; units: number; result: LagResult }[];
  expressive?: { cell: Cell; seed: number; units: number; result: AnbnResult }[];
  smallData?: { size: number; cell: Cell; seed: number; units: number; result: DataSizeResult }[];
  budget?: { cell: Cell; seed: number; units: number; result: BudgetResult }[];
  tasks?: { task: BuiltinTask; cell: Cell; seed: number; units: number; result: TaskJobResult }[];
}

/** Files the job results under their claims. */
export function collectRaw(planned: PlannedJobs, results: readonly ClaimJobResult[]): ClaimsRaw {
  const raw: ClaimsRaw = {};
  planned.jobs.forEach((job, i) => {
    const r = results[i];
    switch (job.kind) {
      case 'speed':
        raw.speed = { configs: job.configs, result: r as SpeedResult };
        break;
      case 'lag':
        (raw.memory ??= []).push({
          task: job.task,
          lag: job.lag,
          cell: job.cell,
          seed: job.seed,
          units: job.units,
          result: r as LagResult,
        });
        break;
      case 'anbn':
        (raw.expressive ??= []).push({ cell: job.cell, seed: job.seed, units: job.units, result: r as AnbnResult });
        break;
      case 'datasize':
        (raw.smallData ??= []).push({
          size: (r as DataSizeResult).size,
          cell: job.cell,
          seed: job.seed,
          units: job.units,
          result: r as DataSizeResult,
        });
        break;
      case 'budget':
        (raw.budget ??= []).push({ cell: job.cell, seed: job.seed, units: job.units, result: r as BudgetResult });
        break;
      case 'task':
        (raw.tasks ??= []).push({
          task: job.task,
          cell: job.spec.cell as Cell,
          seed: job.seed,
          units: job.spec.units,
          result: r as TaskJobResult,
        });
        break;
    }
  });
  return raw;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/** Per seed in `seedList`, pick(cell, seed) for both cells. */
function perSeed(seedList: readonly number[], pick: (cell: Cell, seed: number) => number): Record<Cell, number[]> {
  return { gru: seedList.map((s) => pick('gru', s)), lstm: seedList.map((s) => pick('lstm', s)) };
}

export const commandFor = (claim: ClaimId, full: boolean) => `npx gatedrnn compare --claim ${claim}${full ? ' --full' : ''}`;

/** The lag at which success falls to 50%, interpolated on log lag; the longest lag when it never does. */
export function lagAtHalf(lags: readonly number[], success: readonly number[]): { lag: number; censored: boolean } {
  if (success[0] < 0.5) return { lag: lags[0], censored: true };
  for (let i = 1; i < lags.length; i++) {
    if (success[i] < 0.5) {
      const f = (success[i - 1] - 0.5) / (success[i - 1] - success[i]);
      return { lag: Math.exp(Math.log(lags[i - 1]) + f * (Math.log(lags[i]) - Math.log(lags[i - 1]))), censored: false };
    }
  }
  return { lag: lags[lags.length - 1], censored: true };
}

const TASK_LABEL: Record<LagTask, string> = { adding: 'adding problem', recall: 'delayed recall', copy: 'copy memory' };

/** The rows of the verdict table, each with its sanity check applied. */
export function claimRows(plan: ClaimsPlan, raw: ClaimsRaw): ClaimRow[] {
  const rows: ClaimRow[] = [];
  const full = plan.full;
  if (raw.speed) {
    const { configs, result } = raw.speed;
    const s = plan.speed;
    const rounds = result.trainMs.gru[0]?.length ?? 0;
    const logMean = (table: number[][], which: number[], r: number) => mean(which.map((c) => Math.log(table[c][r])));
    const pick = (match: 'units' | 'params', batch?: number) =>
      configs.map((c, i) => (c.match === match && (batch === undefined || c.batch === batch) ? i : -1)).filter((i) => i >= 0);
    const base = {
      claim: 'speed' as const,
      favours: 'gru' as const,
      higherIsBetter: false,
      margin: Math.log(1.1),
      scale: 'log' as const,
      units: 'rounds' as const,
      invalid: null,
      command: commandFor('speed', full),
    };
    const exp = `H ∈ {${s.hidden.join(', ')}}, T = ${s.steps}, B ∈ {${s.batches.join(', ')}}, one thread, ${rounds} interleaved rounds`;
    for (const [label, match, table, measure] of [
      ['training time, equal units', 'units', result.trainMs, 'forward + backward time per sample (geometric mean over H and B)'],
      ['training time, equal parameters', 'params', result.trainMs, 'forward + backward time per sample (geometric mean over H and B)'],
      ['inference time, equal parameters', 'params', result.inferMs, 'inference time per call (geometric mean over H and B)'],
    ] as const) {
      const which = pick(match);
      const r = Array.from({ length: rounds }, (_, k) => k);
      rows.push({
        ...base,
        label,
        experiment: `timing, ${exp}`,
        measure,
        unit: 'ms',
        gru: r.map((k) => logMean(table.gru, which, k)),
        lstm: r.map((k) => logMean(table.lstm, which, k)),
      });
    }
  }
  if (raw.memory) {
    const m = plan.memory;
    for (const task of m.tasks) {
      const runs = raw.memory.filter((x) => x.task === task);
      if (runs.length === 0) continue;
      const success = (cell: Cell, seed: number, lag: number) =>
        runs.find((x) => x.cell === cell && x.seed === seed && x.lag === lag)!.result.success;
      const v = perSeed(m.seeds, (cell, seed) => mean(m.lags.map((lag) => success(cell, seed, lag))));
      const shortest = m.lags[0];
      const atShortest = (cell: Cell) => mean(m.seeds.map((s) => success(cell, s, shortest)));
      const failing = (['gru', 'lstm'] as const).filter((c) => atShortest(c) < 0.95);
      rows.push({
        claim: 'memory',
        label: TASK_LABEL[task],
        experiment: `${TASK_LABEL[task]}, lags ${m.lags.join(', ')}, ${m.updates} updates of ${m.batchSize}, equal parameters`,
        measure: 'success rate averaged over the lags',
        favours: 'lstm',
        higherIsBetter: true,
        margin: 0.05,
        scale: 'linear',
        unit: '',
        gru: v.gru,
        lstm: v.lstm,
        units: 'seeds',
        invalid: failing.length
          ? `at the shortest lag (${shortest}) ${failing.map((c) => `${c.toUpperCase()} succeeds on ${(atShortest(c) * 100).toFixed(1)}%`).join(' and ')} of sequences, below the 95% that shows the task is learnable in this budget`
          : null,
        command: commandFor('memory', full),
      });
    }
  }
  if (raw.expressive) {
    const e = plan.expressive;
    const runs = raw.expressive;
    const v = perSeed(e.seeds, (cell, seed) => runs.find((x) => x.cell === cell && x.seed === seed)!.result.exactUpTo);
    const failing = (['gru', 'lstm'] as const)
      .map((c) => ({ c, bad: e.seeds.filter((_s, i) => v[c][i] < e.trainMaxN) }))
      .filter((x) => x.bad.length > 0);
    rows.push({
      claim: 'expressive',
      label: 'aⁿbⁿ counting',
      experiment: `aⁿbⁿ next-symbol prediction, trained on n ≤ ${e.trainMaxN} (${e.updates} updates), tested n ≤ ${e.testMaxN}, equal parameters`,
      measure: `largest n ≤ ${e.testMaxN} with every n' ≤ n exact`,
      favours: 'lstm',
      higherIsBetter: true,
      margin: 10,
      scale: 'linear',
      unit: 'n',
      gru: v.gru,
      lstm: v.lstm,
      units: 'seeds',
      invalid: failing.length
        ? `${failing.map((f) => `${f.c.toUpperCase()} is not exact on every trained n ≤ ${e.trainMaxN} (seed ${f.bad.join(', ')})`).join('; ')}`
        : null,
      command: commandFor('expressive', full),
    });
  }
  if (raw.smallData) {
    const d = plan.smallData;
    const runs = raw.smallData;
    const smallest = Math.min(...runs.map((x) => x.size));
    const largest = Math.max(...runs.map((x) => x.size));
    const at = (size: number, cell: Cell, seed: number) => runs.find((x) => x.size === size && x.cell === cell && x.seed === seed)!.result;
    const acc = perSeed(d.seeds, (c, s) => at(smallest, c, s).testAccuracy);
    const gap = perSeed(d.seeds, (c, s) => at(smallest, c, s).gap);
    // Guessing the larger class of the names data scores about 0.6; a cell that does not beat
    // it clearly on all the data did not train.
    const fullAcc = (c: Cell) => mean(d.seeds.map((s) => at(largest, c, s).testAccuracy));
    const weak = (['gru', 'lstm'] as const).filter((c) => fullAcc(c) < 0.7);
    const invalid = weak.length
      ? `on all ${largest} examples ${weak.map((c) => `${c.toUpperCase()} reaches only ${(fullAcc(c) * 100).toFixed(1)}%`).join(' and ')} test accuracy (below 70%): the training did not work`
      : null;
    const exp = `first names → gender, ${smallest} training examples (sweep ${[...new Set(runs.map((x) => x.size))].sort((a, b) => a - b).join(', ')}), no regularisation, equal parameters`;
    rows.push({
      claim: 'small-data',
      label: `accuracy with ${smallest} examples`,
      experiment: exp,
      measure: 'test accuracy',
      favours: 'gru',
      higherIsBetter: true,
      margin: 0.01,
      scale: 'linear',
      unit: '',
      gru: acc.gru,
      lstm: acc.lstm,
      units: 'seeds',
      invalid,
      command: commandFor('small-data', full),
    });
    rows.push({
      claim: 'small-data',
      label: `overfitting with ${smallest} examples`,
      experiment: exp,
      measure: 'validation − training loss (nats)',
      favours: 'gru',
      higherIsBetter: false,
      margin: 0.05,
      scale: 'linear',
      unit: 'nats',
      gru: gap.gru,
      lstm: gap.lstm,
      units: 'seeds',
      invalid,
      command: commandFor('small-data', full),
    });
  }
  if (raw.budget) {
    const b = plan.budget;
    const runs = raw.budget;
    const at = (cell: Cell, seed: number) => runs.find((x) => x.cell === cell && x.seed === seed)!.result;
    // The last three validations, so one noisy evaluation does not decide.
    const final = perSeed(b.seeds, (c, s) => mean(at(c, s).validationAccuracy.slice(-3)));
    const toTarget = perSeed(b.seeds, (c, s) => {
      const r = at(c, s);
      const k = r.validationAccuracy.findIndex((v) => v >= b.target);
      return Math.log(k >= 0 ? r.seconds[k] : b.seconds);
    });
    const exp = `first names → gender, ${b.seconds} s of training per cell, GRU and LSTM side by side, equal parameters`;
    rows.push({
      claim: 'budget',
      label: `quality at ${b.seconds} s`,
      experiment: exp,
      measure: 'validation accuracy at the budget (last 3 validations)',
      favours: 'gru',
      higherIsBetter: true,
      margin: 0.01,
      scale: 'linear',
      unit: '',
      gru: final.gru,
      lstm: final.lstm,
      units: 'seeds',
      invalid: null,
      command: commandFor('budget', full),
    });
    rows.push({
      claim: 'budget',
      label: `time to ${(b.target * 100).toFixed(0)}% validation accuracy`,
      experiment: exp,
      measure: `training seconds to ${(b.target * 100).toFixed(0)}% validation accuracy (the budget when never)`,
      favours: 'gru',
      higherIsBetter: false,
      margin: Math.log(1.1),
      scale: 'log',
      unit: 's',
      gru: toTarget.gru,
      lstm: toTarget.lstm,
      units: 'seeds',
      invalid: null,
      command: commandFor('budget', full),
    });
  }
  if (raw.tasks) {
    for (const t of plan.tasks.ids) {
      const runs = raw.tasks.filter((x) => x.task === t.task);
      if (runs.length === 0) continue;
      const meta = cachedTask(t.task, full).meta;
      const metric = meta.metrics.find((x) => x.name === meta.primaryMetric)!;
      const v = perSeed(plan.tasks.seeds, (c, s) => runs.find((x) => x.cell === c && x.seed === s)!.result.metrics[metric.name]);
      rows.push({
        claim: 'tasks',
        label: `${t.use} → ${t.favours.toUpperCase()}`,
        experiment: `${meta.dataset}: ${meta.task}, the per-task comparison at equal parameters, ${runs[0].result.epochs} epochs`,
        measure: `test ${metric.label}`,
        favours: t.favours,
        higherIsBetter: metric.higherIsBetter,
        margin: t.margin,
        scale: 'linear',
        unit: '',
        gru: v.gru,
        lstm: v.lstm,
        units: 'seeds',
        invalid: null,
        command: `${commandFor('tasks', full)}   (or: npx gatedrnn compare --task ${t.task} --match params${t.epochs ? ` --epochs ${t.epochs}` : ''}${full ? ' --full' : ''})`,
      });
    }
  }
  return rows;
}

/**
 * Verdicts with Holm's correction across every valid row: supported or contradicted when the
 * difference is significant in or against the claimed direction, equivalent when two one-sided
 * tests put it inside the margin, else inconclusive with the seeds that would settle it.
 */
export function judge(rows: ClaimRow[]): ClaimRow[] {
  const valid = rows.filter((r) => r.invalid === null);
  const evidence = valid.map((r) => pairedDifference(r.gru, r.lstm));
  const decisions = decideAll(
    valid.map((r, i) => ({ evidence: evidence[i], options: { margin: r.margin, higherIsBetter: r.higherIsBetter } })),
  );
  valid.forEach((r, i) => {
    const d = decisions[i];
    r.evidence = evidence[i];
    r.decision = d;
    const winner: Cell | null = d.decision === 'a' ? 'gru' : d.decision === 'b' ? 'lstm' : null;
    r.verdict = winner
      ? winner === r.favours
        ? 'supported'
        : 'contradicted'
      : d.decision === 'equivalent'
        ? 'equivalent'
        : 'inconclusive';
    r.seedsNeeded = r.verdict === 'inconclusive' ? d.unitsNeeded : null;
  });
  for (const r of rows) if (r.invalid !== null) r.verdict = 'invalid';
  return rows;
}

export interface ClaimsOptions {
  /** Claims to run (default all). */
  claims?: readonly ClaimId[];
  full?: boolean;
  /** Jobs side by side, each on one thread (default 2 on a machine with 2 or more CPUs). */
  parallel?: number;
  /** Run every job in this process, one after another (tests; the default uses child processes). */
  inProcess?: boolean;
  events?: {
    onJobStart?(info: { job: ClaimJob; index: number; total: number }): void;
    onJobEnd?(info: { job: ClaimJob; index: number; total: number }): void;
  };
  machine?: MachineInfo;
  now?: () => Date;
}

export interface ClaimsResults {
  version: 1;
  kind: 'claims';
  createdAt: string;
  machine: MachineInfo;
  settings: { full: boolean; parallel: number; claims: ClaimId[]; loadAverage: number[] };
  wallSeconds: number;
  /** Seconds the jobs of each kind took, summed over jobs (side-by-side jobs overlap in wall time). */
  jobSeconds: Record<string, number>;
  plan: ClaimsPlan;
  rows: ClaimRow[];
  raw: ClaimsRaw;
}

/** Runs the claims experiments and returns the verdict rows and every raw per-seed value. */
export async function runClaims(options: ClaimsOptions = {}): Promise<ClaimsResults> {
  const claims = [...(options.claims ?? CLAIM_IDS)];
  for (const c of claims)
    if (!(CLAIM_IDS as readonly string[]).includes(c))
      throw new RangeError(`runClaims: expected claims among ${CLAIM_IDS.join(', ')}, but received "${c}"`);
  const full = options.full ?? false;
  const parallel = options.parallel ?? Math.min(2, Math.max(1, os.cpus().length));
  if (!(Number.isSafeInteger(parallel) && parallel >= 1))
    throw new RangeError(`runClaims: expected parallel to be a positive integer, but received ${parallel}`);
  const plan = claimsPlan(full);
  const start = performance.now();
  const planned = planJobs(plan, claims);
  const results: ClaimJobResult[] = new Array(planned.jobs.length);
  const total = planned.jobs.length;
  const started = new Map<number, number>();
  const jobSeconds: Record<string, number> = {};
  for (const phase of [...new Set(planned.phases)].sort()) {
    const index = planned.phases.map((p, i) => (p === phase ? i : -1)).filter((i) => i >= 0);
    // Timing runs alone, so no other job shares the cores with it.
    const width = planned.jobs[index[0]].kind === 'speed' ? 1 : parallel;
    const out = await runJobs(
      index.map((i) => planned.jobs[i]),
      width,
      {
        onJobStart: (job, k) => {
          started.set(index[k], performance.now());
          options.events?.onJobStart?.({ job, index: index[k], total });
        },
        onJobEnd: (job, k) => {
          jobSeconds[job.kind] = (jobSeconds[job.kind] ?? 0) + (performance.now() - started.get(index[k])!) / 1000;
          options.events?.onJobEnd?.({ job, index: index[k], total });
        },
      },
      options.inProcess,
    );
    out.forEach((r, k) => (results[index[k]] = r));
  }
  const raw = collectRaw(planned, results);
  const rows = judge(claimRows(plan, raw));
  return {
    version: 1,
    kind: 'claims',
    createdAt: (options.now?.() ?? new Date()).toISOString(),
    machine: options.machine ?? machineInfo(),
    settings: { full, parallel, claims, loadAverage: os.loadavg() },
    wallSeconds: (performance.now() - start) / 1000,
    jobSeconds,
    plan,
    rows,
    raw,
  };
}
