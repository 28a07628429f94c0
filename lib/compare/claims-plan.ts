// The claims experiments' sizes and the jobs they expand into: every claim's experiment fixed
// here before any run, as jobs for the pool in phases.
import { type BuiltinTask, TASKS } from '../tasks';
import {
  ANBN_SHAPE,
  type AnbnJob,
  type BudgetJob,
  type DataSizeJob,
  LAG_SHAPES,
  type LagJob,
  type LagTask,
  NAMES_SHAPE,
  type SpeedConfig,
  type SpeedJob,
  speedShape,
} from '../tasks/claims';
import { type ClaimJob, cachedTask, type TaskJob } from './claims-jobs';
import { type Cell, matchUnits, type StackShape } from './params';
import type { ClaimId } from './results';
import { cellSpecs } from './runner';

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
