// The shape of results.json: what the runner measures, what the report and recommend() read.
import type { BaselineResult, Cell, ItemScores, MetricSpec, ModelCell, ModelMemory, TaskKind, TaskMeta } from '../tasks';

export type { BaselineResult, Cell, ItemScores, MetricSpec, ModelCell, ModelMemory, TaskKind, TaskMeta };

/** What the recommendation weighs first (--priority). */
export const PRIORITIES = ['accuracy', 'latency', 'size'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The claims `compare --claims` tests, one experiment each (see claims.ts). */
export const CLAIM_IDS = ['speed', 'memory', 'expressive', 'small-data', 'budget', 'tasks'] as const;
export type ClaimId = (typeof CLAIM_IDS)[number];

export interface LearningCurve {
  /** Training loss per epoch. */
  loss: number[];
  /** Validation loss per epoch, where measured. */
  valLoss?: number[];
  /** The task's primary metric on the validation split per epoch, where the trainer has it. */
  metric?: { name: string; values: number[] };
}

/** One learning rate tried on the tuning seed: its lowest validation loss and where it fell. */
export interface TuningTrial {
  learningRate: number;
  bestValLoss: number;
  bestEpoch: number;
}

/** One model trained with one seed, and what was measured on it. */
export interface RunResult {
  seed: number;
  /** Test-split metrics, keyed by MetricSpec.name. */
  metrics: Record<string, number>;
  /** Per-test-item scores of the primary metric (absent from trainers that do not report them). */
  items?: ItemScores;
  curve: LearningCurve;
  /** Epochs trained; fractional when the time budget ended training mid-epoch. */
  epochs: number;
  /** Set when the time budget ended training before the planned epochs. */
  stoppedByBudget?: boolean;
  /** Set when validation loss stopped improving for `patience` epochs (early stopping). */
  stoppedEarly?: boolean;
  /** The epoch (1-based) of lowest validation loss, whose weights the test metrics come from. */
  bestEpoch?: number;
  /** Adam's learning rate this model trained with (chosen on validation loss). */
  learningRate?: number;
  /** The learning rates tried, on the tuning seed only. */
  tuning?: TuningTrial[];
  params: number;
  trainSecondsPerEpoch: number;
  /** Seconds of each full epoch (the clock stops before the validation pass). */
  epochSeconds?: number[];
  /** Training samples per second. */
  samplesPerSecond: number;
  /** The model's own bytes (weights, packed weights, workspace, state), from its shapes. */
  memory?: ModelMemory;
}

export interface CellResult {
  cell: ModelCell;
  units: number;
  layers: number;
  params: number;
  runs: RunResult[];
}

/** A / B ratio with its interval, and what it rests on. */
export interface MeasuredRatio {
  /** GRU / LSTM; below 1 means GRU's number is smaller. */
  ratio: number;
  low: number;
  high: number;
  /** Rounds (interleaved timings) or epochs (training) behind the interval. */
  n: number;
}

/**
 * Costs of the two cells of a task. Inference is timed interleaved (GRU and LSTM alternately, in
 * rounds, after both trained); training time per epoch comes from every epoch of every seed.
 */
export interface TaskCosts {
  /** Seconds per training epoch, GRU / LSTM. */
  trainTime?: MeasuredRatio;
  /** Batch-1 inference time, GRU / LSTM, with each cell's median in milliseconds. */
  latency?: MeasuredRatio & { gruMs: number; lstmMs: number };
  /** Batch-64 inference time, GRU / LSTM, with each cell's median in milliseconds. */
  batch64?: MeasuredRatio & { gruMs: number; lstmMs: number };
  /** The model's own bytes, GRU / LSTM (exact: computed from the shapes). */
  memory?: { ratio: number; gruBytes: number; lstmBytes: number };
}

export interface TaskResult {
  meta: TaskMeta;
  /** rnn: the plain tanh RNN, when the run asked for it (--cells gru,lstm,rnn). */
  cells: { gru: CellResult; lstm: CellResult; rnn?: CellResult };
  baselines: BaselineResult[];
  costs?: TaskCosts;
}

export interface RunSettings {
  seeds: number[];
  /** What the user asked for; null means each task's default (the cells record what ran). */
  epochs: number | null;
  units: number | null;
  layers: number | null;
  match: 'units' | 'params';
  priority: Priority;
  budgetSeconds: number | null;
  full: boolean;
  /** The cells trained on every task; absent means GRU and LSTM. */
  cells?: ModelCell[];
}

export interface MachineInfo {
  platform: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  node: string;
  /** backendInfo() where the runner has it. */
  backend?: Record<string, unknown>;
}

/** Shard `index` (1-based) of `count`: the run's units at positions index-1, index-1+count, ... */
export interface ShardSpec {
  index: number;
  count: number;
}

/** One unit of a run: every cell of one task trained on one seed. */
export interface RunUnit {
  task: string;
  seed: number;
}

export interface ComparisonResults {
  version: 2;
  createdAt: string;
  /** The machine of the run; of a merge, the machine most units ran on (see `merged`). */
  machine: MachineInfo;
  settings: RunSettings;
  tasks: TaskResult[];
  /** The gatedrnn version that ran it. */
  package?: string;
  /** Set on one shard's results: which shard, and the units it ran (only their runs are listed). */
  shard?: ShardSpec & { units: RunUnit[] };
  /** Set on merged results: the shards' count, each distinct machine with its units, and a note when they differ. */
  merged?: { shards: number; machines: { machine: MachineInfo; units: RunUnit[] }[]; note?: string };
}
