// The real trainer behind `gatedrnn compare`: builds a task's GRU or LSTM model (both cells get
// the same architecture), trains it within the epoch count and the time budget, and measures
// its test metrics, size, speed and memory.
import { decodePhonemes } from '../data/cmudict';
import { layers, Layer } from '../layers';
import { seq2seq, Seq2Seq } from '../model/seq2seq';
import { sequential, Sequential } from '../model/sequential';
import { ClassificationTask, ForecastTask, Seq2SeqTask, TaskSpec } from '../tasks';
import { Tensor } from '../tensor';
import { Callback, Logs } from '../train/callbacks';
import { optimizers } from '../train/optimizers';
import { measureLatency, measureThroughput, PeakMemoryTracker, TimingOptions } from './measure';
import { Cell } from './params';
import { LearningCurve, RunResult } from './results';
import { CellSpec, TrainAndMeasure, TrainHooks } from './runner';

/** A model of one task, built and ready to train, with what the trainer needs to measure it. */
export interface TaskModel {
  readonly model: Sequential | Seq2Seq;
  readonly params: number;
  /** Training samples per epoch. */
  readonly trainSamples: number;
  /** The per-epoch validation value of the task's primary metric, from fit's logs. */
  readonly curveMetric: { name: string; fromLogs(logs: Logs): number | undefined };
  fit(epochs: number, batchSize: number, seed: number, callbacks: Callback[]): Promise<void>;
  /** Test-split metrics through the task's `score`. */
  testMetrics(): Promise<Record<string, number>>;
  /** One inference of `batch` test samples (the first ones, repeated when the split is smaller). */
  infer(batch: number): () => Promise<unknown>;
  dispose(): void;
}

const learningRate = (task: TaskSpec): number => task.defaults.learningRate ?? 0.001;

function recurrentStack(cell: Cell, units: number, count: number): Layer[] {
  const out: Layer[] = [];
  for (let l = 0; l < count; l++) {
    const returnSequences = l < count - 1;
    out.push(cell === 'gru' ? layers.gru({ units, returnSequences }) : layers.lstm({ units, returnSequences }));
  }
  return out;
}

/** The first `batch` rows of a [N, ...] tensor, cycling when N < batch. */
function rows<T extends 'int32' | 'float32'>(t: Tensor<T>, batch: number): Tensor<T> {
  const n = t.dims[0];
  const row = t.data.length / n;
  const data = new (t.data.constructor as { new (len: number): Int32Array | Float32Array })(batch * row);
  for (let b = 0; b < batch; b++) data.set((t.data as Int32Array | Float32Array).subarray((b % n) * row, (b % n) * row + row), b * row);
  return new Tensor(t.type, data as never, [batch, ...t.dims.slice(1)]) as Tensor<T>;
}

function argmaxRows(probs: Float32Array, width: number): Int32Array {
  const n = probs.length / width;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < width; k++) if (probs[i * width + k] > probs[i * width + best]) best = k;
    out[i] = best;
  }
  return out;
}

const countOf = (m: Sequential): number => m.params.reduce((a, p) => a + p.value.length, 0);

/** A compiled sequential model on train / validation / test splits of (x, y) tensors; `score`
 * turns its test predictions into the task's metrics. */
function sequentialTaskModel<T extends 'int32' | 'float32'>(
  model: Sequential,
  data: Record<'train' | 'validation' | 'test', { x: Tensor<T>; y: Tensor<T> }>,
  curveMetric: TaskModel['curveMetric'],
  score: (predicted: Float32Array) => Record<string, number>,
): TaskModel {
  return {
    model,
    params: countOf(model),
    trainSamples: data.train.y.size,
    curveMetric,
    fit: async (epochs, batchSize, seed, callbacks) => {
      await model.fit(data.train.x, data.train.y, { epochs, batchSize, seed, validationData: [data.validation.x, data.validation.y], callbacks, verbose: 0 });
    },
    testMetrics: async () => score((await model.predict(data.test.x, { batchSize: 256 })).data),
    infer: (batch) => {
      const x = rows(data.test.x, batch);
      return () => model.predict(x, { batchSize: batch });
    },
    dispose: () => model.dispose(),
  };
}

/** Embedding → recurrent stack → dense softmax over the classes. */
export function classificationModel(task: ClassificationTask, spec: CellSpec, seed: number): TaskModel {
  const { data } = task;
  const k = data.classes.length;
  const model = sequential(
    [
      layers.embedding({ inputDim: data.vocabulary.tokens.length, outputDim: spec.embeddingSize ?? 32 }),
      ...recurrentStack(spec.cell, spec.units, spec.layers),
      layers.dense({ units: k, activation: 'softmax' }),
    ],
    { name: `${task.meta.id}-${spec.cell}`, seed },
  );
  model.build([data.sequenceLength]);
  model.compile({ optimizer: optimizers.adam({ learningRate: learningRate(task), clipNorm: 1 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const curveMetric = { name: 'validation accuracy', fromLogs: (l: Logs) => l.val_accuracy };
  return sequentialTaskModel(model, data, curveMetric, (predicted) => task.score(argmaxRows(predicted, k)));
}

/** Recurrent stack over the window's features → dense 1 (the standardized next value). */
export function forecastModel(task: ForecastTask, spec: CellSpec, seed: number): TaskModel {
  const { data } = task;
  const model = sequential([...recurrentStack(spec.cell, spec.units, spec.layers), layers.dense({ units: 1 })], { name: `${task.meta.id}-${spec.cell}`, seed });
  model.build([data.window, data.featureNames.length]);
  model.compile({ optimizer: optimizers.adam({ learningRate: learningRate(task), clipNorm: 1 }), loss: 'mse' });
  // val_loss is the MSE of the standardized target; RMSE in the target's units scales its root.
  const curveMetric =
    task.meta.primaryMetric === 'rmse'
      ? { name: `validation ${task.meta.metrics[0].label}`, fromLogs: (l: Logs) => (l.val_loss === undefined ? undefined : Math.sqrt(l.val_loss) * data.targetScale.std) }
      : { name: 'validation MSE (standardized)', fromLogs: (l: Logs) => l.val_loss };
  return sequentialTaskModel(model, data, curveMetric, (predicted) => task.score(predicted));
}

/** Encoder–decoder with the cell in both halves; test metrics from greedy decoding. */
export function seq2seqModel(task: Seq2SeqTask, spec: CellSpec, seed: number): TaskModel {
  const { data } = task;
  const model = seq2seq({
    cell: spec.cell,
    srcVocab: data.sourceVocabulary.tokens.length,
    tgtVocab: data.targetVocabulary.tokens.length,
    embedDim: spec.embeddingSize ?? 32,
    units: spec.units,
    layers: spec.layers,
    attention: task.defaults.attention ? 'luong' : false,
    seed,
    name: `${task.meta.id}-${spec.cell}`,
  });
  model.compile({ optimizer: optimizers.adam({ learningRate: learningRate(task), clipNorm: 1 }), metrics: ['accuracy'] });
  // A phoneme string is at most a few tokens longer than its spelling in CMUdict.
  const maxLength = data.targetLength + 2;
  return {
    model,
    params: model.countParams(),
    trainSamples: data.train.source.dims[0],
    curveMetric: { name: 'validation token accuracy (teacher-forced)', fromLogs: (l) => l.val_accuracy },
    fit: async (epochs, batchSize, s, callbacks) => {
      await model.fit(data.train.source, data.train.decoderTarget, { epochs, batchSize, seed: s, validationData: [data.validation.source, data.validation.decoderTarget], callbacks, verbose: 0 });
    },
    testMetrics: async () => {
      const ids = await model.predict(data.test.source, { method: 'greedy', maxLength, batchSize: 256 });
      return task.score(ids.map((seq) => decodePhonemes(data.targetVocabulary, seq)));
    },
    infer: (batch) => {
      const x = rows(data.test.source, batch);
      return () => model.predict(x, { method: 'greedy', maxLength, batchSize: batch });
    },
    dispose: () => model.dispose(),
  };
}

export function taskModel(task: TaskSpec, spec: CellSpec, seed: number): TaskModel {
  switch (task.kind) {
    case 'classification':
      return classificationModel(task, spec, seed);
    case 'forecasting':
      return forecastModel(task, spec, seed);
    case 'seq2seq':
      return seq2seqModel(task, spec, seed);
  }
}

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
    const tm = taskModel(task, spec, seed);
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
      const metrics = await tm.testMetrics();
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
