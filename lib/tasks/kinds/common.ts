// What the task kinds share: the model builder's signature, tensors cut to an inference batch,
// argmax, and a compiled sequential model wrapped as a TaskModel.
import type { Layer } from '../../layers';
import { type CompileArgs, type Sequential, sequential } from '../../model/sequential';
import { Tensor } from '../../tensor';
import { optimizers } from '../../train/optimizers';
import { learningRatesOf, type ModelMemory, type ModelShape, type TaskModel, type TaskSpecBase, type TestScores } from '../types';

/**
 * A task kind's model builder: a fresh model of `shape` for `task`, its random choices fixed by
 * `seed`; the learning rate defaults to the first one the task's defaults try.
 */
export type ModelBuilder<T extends TaskSpecBase> = (task: T, shape: ModelShape, seed: number, learningRate?: number) => TaskModel;

/** A builder's learning rate: the one given, or the first one the task's defaults try. */
export function rateFor(task: TaskSpecBase, learningRate: number | undefined): number {
  return learningRate ?? learningRatesOf(task.defaults)[0];
}

/**
 * The sequential recipe of the task kinds: `stack` named `<task id>-<cell>`, built for one sample
 * of `inputShape`, compiled with Adam (gradients clipped to norm 1; the learning rate given, or the
 * task's first) and `compile`'s loss and metrics.
 */
export function compiledSequential(
  task: TaskSpecBase,
  shape: ModelShape,
  seed: number,
  learningRate: number | undefined,
  stack: Layer[],
  inputShape: number[],
  compile: Omit<CompileArgs, 'optimizer'>,
): Sequential {
  const model = sequential(stack, { name: `${task.meta.id}-${shape.cell}`, seed });
  model.build(inputShape);
  model.compile({ optimizer: optimizers.adam({ learningRate: rateFor(task, learningRate), clipNorm: 1 }), ...compile });
  return model;
}

/** The first `batch` rows of a [N, ...] tensor, cycling when N < batch. */
export function rows<T extends 'int32' | 'float32'>(t: Tensor<T>, batch: number): Tensor<T> {
  const n = t.dims[0];
  const row = t.data.length / n;
  const data = new (t.data.constructor as { new (len: number): Int32Array | Float32Array })(batch * row);
  for (let b = 0; b < batch; b++) data.set((t.data as Int32Array | Float32Array).subarray((b % n) * row, (b % n) * row + row), b * row);
  return new Tensor(t.type, data as never, [batch, ...t.dims.slice(1)]) as Tensor<T>;
}

export function argmaxRows(probs: Float32Array, width: number): Int32Array {
  const n = probs.length / width;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < width; k++) if (probs[i * width + k] > probs[i * width + best]) best = k;
    out[i] = best;
  }
  return out;
}

export const countOf = (m: Sequential): number => m.params.reduce((a, p) => a + p.value.length, 0);

/** A compiled sequential model on train / validation / test splits of (x, y) tensors; `score`
 * turns its test predictions into the task's metrics and per-item scores. */
export function sequentialTaskModel<T extends 'int32' | 'float32'>(
  model: Sequential,
  data: Record<'train' | 'validation' | 'test', { x: Tensor<T>; y: Tensor<T> }>,
  curveMetric: TaskModel['curveMetric'],
  memory: (params: number) => ModelMemory,
  score: (predicted: Float32Array) => TestScores,
): TaskModel {
  const params = countOf(model);
  return {
    model,
    params,
    trainSamples: data.train.y.size,
    curveMetric,
    memory: memory(params),
    fit: async (epochs, batchSize, seed, callbacks) => {
      await model.fit(data.train.x, data.train.y, {
        epochs,
        batchSize,
        seed,
        validationData: [data.validation.x, data.validation.y],
        callbacks,
        verbose: 0,
      });
    },
    test: async () => score((await model.predict(data.test.x, { batchSize: 256 })).data),
    infer: (batch) => {
      const x = rows(data.test.x, batch);
      return () => model.predict(x, { batchSize: batch });
    },
    dispose: () => model.dispose(),
  };
}
