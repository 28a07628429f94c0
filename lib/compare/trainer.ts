// The contract between the comparison runner and a trainer: what one model of one task is built
// and trained with, and what the trainer hands back. The runner orchestrates any trainer that
// keeps it (train-and-measure.ts is the real one; tests inject fakes).
import type { ModelShape, TaskSpec, TestScores } from '../tasks';
import type { RunResult } from './results';

/** What one model of one task is built and trained with. */
export interface CellSpec extends ModelShape {
  epochs: number;
  batchSize: number;
  /** Stop training after this many seconds (then measure as usual); null for no limit. */
  budgetSeconds: number | null;
  /** Adam's learning rate; the runner sets it (default: the task's first candidate). */
  learningRate?: number;
  /** Early stopping: stop after this many epochs without a better validation loss. */
  patience?: number;
}

export interface TrainHooks {
  /** Called by the trainer after each epoch (1-based), for the progress bar. */
  onEpoch(epoch: number, logs?: { loss?: number; valLoss?: number }): void;
}

/** A trained model rebuilt for inference: one call of `batch` test samples. */
export interface InferenceModel {
  infer(batch: number): () => Promise<unknown>;
  dispose(): void;
}

/** What a trainer hands back: the training facts, then the test split (once) and a rebuild. */
export interface TrainedModel {
  training: Omit<RunResult, 'seed' | 'metrics' | 'items' | 'tuning'>;
  /** Lowest validation loss over the epochs (what the learning rate is chosen by). */
  bestValLoss: number;
  /** Test metrics and per-item scores of the kept weights; the test split is read once. */
  test(): Promise<TestScores>;
  /** A fresh model with the trained weights, for interleaved inference timing. */
  rebuild(): InferenceModel;
  dispose(): void;
}

/**
 * Trains `cell` on `task` with `seed`; the seed must fix every random choice of the model.
 */
export type TrainAndMeasure = (task: TaskSpec, cell: CellSpec, seed: number, hooks: TrainHooks) => Promise<TrainedModel>;
