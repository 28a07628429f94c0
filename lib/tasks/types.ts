// What a comparison task is: its metrics (with the practical margin of the primary one), its
// baselines, its default sizes, and how it builds, trains, tests and sizes a model of one cell.
// compare/ runs any TaskSpec without knowing its kind.
import type { Callback, Logs } from '../train/callbacks';
import type { ModelCell } from './cells';

export type TaskKind = 'classification' | 'seq2seq' | 'forecasting' | 'tagging' | 'language-model';

/**
 * The smallest difference in a metric that matters in practice, declared with the task before any
 * run. Absolute margins are in the metric's units (0.01 = 1 accuracy point); relative ones are a
 * share of the metric's value (0.02 = 2% of the RMSE the cells reach).
 */
export interface Margin {
  value: number;
  relative?: boolean;
}

export interface MetricSpec {
  /** Key in every metrics record, e.g. 'accuracy', 'per', 'rmse'. */
  name: string;
  /** How the report prints it, e.g. 'accuracy', 'phoneme error rate', 'RMSE (°C)'. */
  label: string;
  higherIsBetter: boolean;
  /** Required on the primary metric: what the accuracy verdict calls equivalent. */
  margin?: Margin;
}

export interface TaskMeta {
  /** Short id used by --task: 'spam', 'names', 'g2p', 'sp500', 'weather', or a user file's. */
  id: string;
  dataset: string;
  /** What is predicted, e.g. 'ham vs spam', 'next-day temp_max'. */
  task: string;
  kind: TaskKind;
  metrics: MetricSpec[];
  /** The metric the recommendation weighs: metrics[k].name for some k, with a margin. */
  primaryMetric: string;
  sizes: { train: number; validation: number; test: number };
  notes: string[];
}

/**
 * Per-test-item scores of the primary metric; the metric is transform(Σnum / Σden) over the items
 * (den absent: 1 per item). Accuracy: num = 1 when right. MSE: num = squared error. RMSE: the
 * same with transform 'sqrt'. Phoneme error rate: num = edit distance, den = reference length.
 */
export interface ItemScores {
  num: number[];
  den?: number[];
  transform?: 'identity' | 'sqrt';
}

export interface BaselineResult {
  /** e.g. 'majority class', 'persistence', 'zero return', 'climatology'. */
  name: string;
  /** Test-split metrics; a baseline may lack metrics that make no sense for it. */
  metrics: Record<string, number>;
  /** Per-item scores of the primary metric, where the baseline has it. */
  items?: ItemScores;
}

/** Model and training sizes a task starts from; the CLI's --units/--layers/--epochs override. */
export interface ModelDefaults {
  units: number;
  layers: number;
  epochs: number;
  batchSize: number;
  /** Embedding width for token inputs (classification and seq2seq). */
  embeddingSize?: number;
  /** Adam's learning rates each cell chooses from by validation loss (default [0.001]: no choice). */
  learningRates?: number[];
  /** Seq2seq only: Luong attention over the encoder outputs. */
  attention?: boolean;
  /** Seconds of training per model when the user sets no --budget-seconds (user data). */
  budgetSeconds?: number;
  /** Stop after this many epochs without a better validation loss (user data); absent: train all epochs. */
  patience?: number;
  /** How the defaults were chosen (shown in the report's notes). */
  chosenBy?: string;
}

/** One cell's architecture within a task. */
export interface ModelShape {
  cell: ModelCell;
  units: number;
  layers: number;
  embeddingSize?: number;
}

/** The bytes a model itself holds for batch-1 inference, worked out from its shapes. */
export interface ModelMemory {
  /** Every parameter, float32. */
  weights: number;
  /** The recurrent operators' packed copies of W and R. */
  packedWeights: number;
  /** Scratch of one batch-1 inference: the input projection and the outputs of every step. */
  workspace: number;
  /** Per-stream recurrent state (h, and c for LSTM) of every layer. */
  state: number;
  total: number;
}

export interface TestScores {
  /** Test-split metrics, keyed by MetricSpec.name. */
  metrics: Record<string, number>;
  /** Per-item scores of the primary metric. */
  items: ItemScores;
}

/** A model of one task, built and ready to train, with what the trainer needs to measure it. */
export interface TaskModel {
  readonly model: { getWeights(): Float32Array[]; setWeights(weights: Float32Array[]): void };
  readonly params: number;
  /** Training samples per epoch. */
  readonly trainSamples: number;
  /** The per-epoch validation value of the task's primary metric, from fit's logs. */
  readonly curveMetric: { name: string; fromLogs(logs: Logs): number | undefined };
  readonly memory: ModelMemory;
  fit(epochs: number, batchSize: number, seed: number, callbacks: Callback[]): Promise<void>;
  /** Test-split metrics and per-item scores through the task's `score`. */
  test(): Promise<TestScores>;
  /** One inference of `batch` test samples (the first ones, repeated when the split is smaller). */
  infer(batch: number): () => Promise<unknown>;
  dispose(): void;
}

/** What compare/ needs of every task, whatever its kind. */
export interface TaskSpecBase {
  readonly meta: TaskMeta;
  readonly baselines: BaselineResult[];
  readonly defaults: ModelDefaults;
  /** A fresh model of `shape`; the seed fixes every random choice of it. */
  buildModel(shape: ModelShape, seed: number, learningRate: number): TaskModel;
  /** The parameter count buildModel's model would have, without building it (--match params). */
  paramCount(shape: ModelShape): number;
}

/** The learning rates a task's cells choose from. */
export function learningRatesOf(defaults: ModelDefaults): number[] {
  return defaults.learningRates && defaults.learningRates.length > 0 ? defaults.learningRates : [0.001];
}

/** A task's notes: its data's, then how its defaults were chosen. */
export function notesOf(dataNotes: readonly string[], defaults: ModelDefaults): string[] {
  return [...dataNotes, ...(defaults.chosenBy ? [`defaults: ${defaults.chosenBy}`] : [])];
}

/** How the built-in tasks' defaults were chosen. */
export const QUICK_DEFAULTS =
  'sizes and epochs were set for the run time of the quick run, not by test results; each cell chooses its learning rate from the grid by validation loss alone';
