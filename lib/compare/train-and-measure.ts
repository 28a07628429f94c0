// The real trainer behind `gatedrnn compare`: builds a task's GRU or LSTM model (both cells get
// the same architecture), trains it within the epoch count and the time budget, and measures
// its test metrics, size, speed and memory.
import { learningRatesOf, TaskSpec } from '../tasks';
import { Callback } from '../train/callbacks';
import { measureLatency, measureThroughput, PeakMemoryTracker, TimingOptions } from './measure';
import { LearningCurve, RunResult } from './results';
import { CellSpec, TrainAndMeasure, TrainHooks } from './runner';

/** Thrown from a batch callback to end fit mid-epoch once the time budget is spent. */
class BudgetSpent extends Error {}

export interface MeasureOptions {
  /** Batch-1 latency timing (default: 3 warm-up calls, at most 50 calls or 1 s). */
  latency?: TimingOptions;
  /** Batch-64 throughput timing (default: 1 warm-up call, at most 5 calls or 1 s). */
  throughput?: TimingOptions;
}

/**
 * Makes a TrainAndMeasure (see runner.ts). The timing budgets of the cost measurements are kept
 * short by default: `compare` measures 30 models in its quick run.
 */
export function makeTrainAndMeasure(options: MeasureOptions = {}): TrainAndMeasure {
  const latencyOptions = { warmup: 3, iterations: 50, maxSeconds: 1, ...options.latency };
  const throughputOptions = { warmup: 1, iterations: 5, maxSeconds: 1, ...options.throughput };
  return async function trainAndMeasure(task: TaskSpec, spec: CellSpec, seed: number, hooks: TrainHooks): Promise<Omit<RunResult, 'seed'>> {
    const memory = new PeakMemoryTracker();
    memory.start();
    const tm = task.buildModel(spec, seed, learningRatesOf(task.defaults)[0]);
    try {
      const curve: LearningCurve = { loss: [], valLoss: [], metric: { name: tm.curveMetric.name, values: [] } };
      const budgetMs = spec.budgetSeconds === null ? Infinity : spec.budgetSeconds * 1000;
      let trainMs = 0;
      let samplesSeen = 0;
      let epochStart = 0;
      let stoppedByBudget = false;
      let lastBatchEnd = 0;
      // Both cells are tested with the weights of their best validation epoch, as a user would
      // keep them, so a cell that overfits late is not judged by its last epoch.
      let bestValLoss = Infinity;
      let bestEpoch = 0;
      let bestWeights: Float32Array[] | null = null;
      const start = performance.now();
      // The epoch clock stops at the last batch: the validation pass after it is not training.
      const callbacks: Callback[] = [
        {
          onEpochBegin: () => {
            epochStart = performance.now();
          },
          onBatchEnd: (_batch, logs) => {
            samplesSeen += logs.size ?? 0;
            lastBatchEnd = performance.now();
            // The last batch of the last epoch is left to finish normally: nothing is cut short.
            if (lastBatchEnd - start >= budgetMs && samplesSeen < spec.epochs * tm.trainSamples) {
              trainMs += lastBatchEnd - epochStart;
              stoppedByBudget = true;
              throw new BudgetSpent();
            }
          },
          onEpochEnd: (epoch, logs) => {
            trainMs += lastBatchEnd - epochStart;
            if (logs.val_loss !== undefined && logs.val_loss < bestValLoss) {
              bestValLoss = logs.val_loss;
              bestEpoch = epoch + 1;
              bestWeights = tm.model.getWeights();
            }
            memory.sample();
            curve.loss.push(logs.loss);
            if (logs.val_loss !== undefined) curve.valLoss!.push(logs.val_loss);
            const m = tm.curveMetric.fromLogs(logs);
            if (m !== undefined) curve.metric!.values.push(m);
            hooks.onEpoch(epoch + 1, { loss: logs.loss, valLoss: logs.val_loss });
          },
        },
      ];
      try {
        await tm.fit(spec.epochs, spec.batchSize, seed, callbacks);
      } catch (err) {
        if (!(err instanceof BudgetSpent)) throw err;
      }
      if (bestWeights) tm.model.setWeights(bestWeights);
      memory.sample();
      const { metrics } = await tm.test();
      const latency = await measureLatency(tm.infer(1), latencyOptions);
      const throughputBatch64 = await measureThroughput(tm.infer(64), 64, throughputOptions);
      const epochsRun = samplesSeen / tm.trainSamples;
      const trainSeconds = trainMs / 1000;
      return {
        metrics,
        curve,
        epochs: Math.round(epochsRun * 100) / 100,
        ...(stoppedByBudget ? { stoppedByBudget } : {}),
        ...(bestWeights ? { bestEpoch } : {}),
        params: tm.params,
        trainSecondsPerEpoch: epochsRun > 0 ? trainSeconds / epochsRun : 0,
        samplesPerSecond: trainSeconds > 0 ? samplesSeen / trainSeconds : 0,
        latencyMs: { p50: latency.p50, p99: latency.p99 },
        throughputBatch64,
        peakMemoryBytes: memory.stop(),
      };
    } finally {
      memory.stop();
      tm.dispose();
    }
  };
}

/** The trainer `gatedrnn compare` runs with. */
export const trainAndMeasure = makeTrainAndMeasure();
