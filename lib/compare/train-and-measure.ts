// The real trainer behind `gatedrnn compare`: builds a task's model for one cell (the task owns
// the architecture), trains it within the epoch count, the time budget and, where the task asks
// for it, early stopping; keeps the weights of the best validation epoch; and hands back a
// trained model whose test split is read once and which can be rebuilt for inference timing.
import { learningRatesOf, type TaskSpec, type TestScores } from '../tasks';
import type { Callback } from '../train/callbacks';
import type { LearningCurve } from './results';
import type { CellSpec, InferenceModel, TrainAndMeasure, TrainedModel, TrainHooks } from './trainer';

/** Thrown from a callback to end fit once the time budget is spent or patience ran out. */
class StopTraining extends Error {}

/** The trainer `gatedrnn compare` runs with. */
export const trainAndMeasure: TrainAndMeasure = async function trainAndMeasure(
  task: TaskSpec,
  spec: CellSpec,
  seed: number,
  hooks: TrainHooks,
): Promise<TrainedModel> {
  const learningRate = spec.learningRate ?? learningRatesOf(task.defaults)[0];
  const tm = task.buildModel(spec, seed, learningRate);
  try {
    const curve: LearningCurve = { loss: [], valLoss: [], metric: { name: tm.curveMetric.name, values: [] } };
    const budgetMs = spec.budgetSeconds === null ? Infinity : spec.budgetSeconds * 1000;
    const epochSeconds: number[] = [];
    let trainMs = 0;
    let samplesSeen = 0;
    let epochStart = 0;
    let stoppedByBudget = false;
    let stoppedEarly = false;
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
            throw new StopTraining();
          }
        },
        onEpochEnd: (epoch, logs) => {
          trainMs += lastBatchEnd - epochStart;
          epochSeconds.push((lastBatchEnd - epochStart) / 1000);
          if (logs.val_loss !== undefined && logs.val_loss < bestValLoss) {
            bestValLoss = logs.val_loss;
            bestEpoch = epoch + 1;
            bestWeights = tm.model.getWeights();
          }
          curve.loss.push(logs.loss);
          if (logs.val_loss !== undefined) curve.valLoss!.push(logs.val_loss);
          const m = tm.curveMetric.fromLogs(logs);
          if (m !== undefined) curve.metric!.values.push(m);
          hooks.onEpoch(epoch + 1, { loss: logs.loss, valLoss: logs.val_loss });
          if (spec.patience !== undefined && bestEpoch > 0 && epoch + 1 - bestEpoch >= spec.patience && epoch + 1 < spec.epochs) {
            stoppedEarly = true;
            throw new StopTraining();
          }
        },
      },
    ];
    try {
      await tm.fit(spec.epochs, spec.batchSize, seed, callbacks);
    } catch (err) {
      if (!(err instanceof StopTraining)) throw err;
    }
    if (bestWeights) tm.model.setWeights(bestWeights);
    const weights = tm.model.getWeights();
    const epochsRun = samplesSeen / tm.trainSamples;
    const trainSeconds = trainMs / 1000;
    let tested = false;
    let disposed = false;
    return {
      training: {
        curve,
        epochs: Math.round(epochsRun * 100) / 100,
        ...(stoppedByBudget ? { stoppedByBudget } : {}),
        ...(stoppedEarly ? { stoppedEarly } : {}),
        ...(bestWeights ? { bestEpoch } : {}),
        learningRate,
        params: tm.params,
        trainSecondsPerEpoch: epochsRun > 0 ? trainSeconds / epochsRun : 0,
        epochSeconds,
        samplesPerSecond: trainSeconds > 0 ? samplesSeen / trainSeconds : 0,
        memory: tm.memory,
      },
      bestValLoss,
      test: async (): Promise<TestScores> => {
        if (tested) throw new Error('trainAndMeasure: the test split is read once per final model, and this model was tested already');
        tested = true;
        return tm.test();
      },
      rebuild: (): InferenceModel => {
        const again = task.buildModel(spec, seed, learningRate);
        again.model.setWeights(weights);
        return { infer: (batch) => again.infer(batch), dispose: () => again.dispose() };
      },
      dispose: () => {
        if (!disposed) tm.dispose();
        disposed = true;
      },
    };
  } catch (err) {
    tm.dispose();
    throw err;
  }
};
