// The shape of results.json: what the runner measures, what the report and recommend() read.
import { BaselineResult, Cell, MetricSpec, TaskKind, TaskMeta } from '../tasks';

export type { BaselineResult, Cell, MetricSpec, TaskKind, TaskMeta };

export type Priority = 'accuracy' | 'latency' | 'size';

export interface LearningCurve {
  /** Training loss per epoch. */
  loss: number[];
  /** Validation loss per epoch, where measured. */
  valLoss?: number[];
  /** The task's primary metric on the validation split per epoch, where the trainer has it. */
  metric?: { name: string; values: number[] };
}

/** One model trained with one seed, and what was measured on it. */
export interface RunResult {
  seed: number;
  /** Test-split metrics, keyed by MetricSpec.name. */
  metrics: Record<string, number>;
  curve: LearningCurve;
  /** Epochs trained; fractional when the time budget ended training mid-epoch. */
  epochs: number;
  /** Set when --budget-seconds ended training before the planned epochs. */
  stoppedByBudget?: boolean;
  /** The epoch (1-based) of lowest validation loss, whose weights the test metrics come from. */
  bestEpoch?: number;
  params: number;
  trainSecondsPerEpoch: number;
  /** Training samples per second. */
  samplesPerSecond: number;
  /** Inference latency of one sample (batch 1), milliseconds. */
  latencyMs: { p50: number; p99: number };
  /** Inference samples per second at batch 64. */
  throughputBatch64: number;
  /** Peak resident memory during the run, bytes. */
  peakMemoryBytes: number;
}

export interface CellResult {
  cell: Cell;
  units: number;
  layers: number;
  params: number;
  runs: RunResult[];
}

export interface TaskResult {
  meta: TaskMeta;
  cells: { gru: CellResult; lstm: CellResult };
  baselines: BaselineResult[];
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

export interface ComparisonResults {
  version: 1;
  createdAt: string;
  machine: MachineInfo;
  settings: RunSettings;
  tasks: TaskResult[];
}
