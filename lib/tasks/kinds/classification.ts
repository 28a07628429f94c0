// Classification tasks: token ids → embedding → recurrent stack → dense softmax over the classes.
// Judged by accuracy (margin: 1 accuracy point) and F1; baseline: the majority class.
import type { ClassificationData } from '../../data/classification';
import { layers } from '../../layers';
import type { Logs } from '../../train/callbacks';
import { majorityClass } from '../baselines';
import { modelMemory, recurrentParamCount, recurrentStack } from '../cells';
import { accuracy, correctItems, f1Score } from '../metrics';
import { type ItemScores, type MetricSpec, type ModelDefaults, type TaskSpecBase, notesOf } from '../types';
import { argmaxRows, compiledSequential, type ModelBuilder, sequentialTaskModel } from './common';

export interface ClassificationTask extends TaskSpecBase {
  kind: 'classification';
  data: ClassificationData;
  /** Test metrics from predicted class ids, one per test sample. */
  score(predictedClasses: ArrayLike<number>): Record<string, number>;
  /** Per-item scores of the primary metric (accuracy) from the same predictions. */
  itemScores(predictedClasses: ArrayLike<number>): ItemScores;
}

export function classificationTask(
  id: string,
  dataset: string,
  task: string,
  data: ClassificationData,
  defaults: ModelDefaults,
): ClassificationTask {
  const k = data.classes.length;
  const metrics: MetricSpec[] = [
    { name: 'accuracy', label: 'accuracy', higherIsBetter: true, margin: { value: 0.01 } },
    { name: 'f1', label: k > 2 ? 'macro F1' : `F1 (${data.classes[1]})`, higherIsBetter: true },
  ];
  const actual = data.test.y.data;
  const score = (p: ArrayLike<number>) => ({ accuracy: accuracy(p, actual), f1: f1Score(p, actual, k) });
  const itemScores = (p: ArrayLike<number>): ItemScores => ({ num: correctItems(p, actual) });
  const majority = majorityClass(data.train.y.data);
  const majorityPrediction = new Int32Array(actual.length).fill(majority);
  const spec: ClassificationTask = {
    kind: 'classification',
    meta: {
      id,
      dataset,
      task,
      kind: 'classification',
      metrics,
      primaryMetric: 'accuracy',
      sizes: { train: data.train.y.size, validation: data.validation.y.size, test: data.test.y.size },
      notes: notesOf(data.notes, defaults),
    },
    data,
    score,
    itemScores,
    baselines: [
      { name: `majority class (${data.classes[majority]})`, metrics: score(majorityPrediction), items: itemScores(majorityPrediction) },
    ],
    defaults,
    buildModel: (shape, seed, learningRate) => classificationModel(spec, shape, seed, learningRate),
    paramCount: (shape) =>
      data.vocabulary.tokens.length * (shape.embeddingSize ?? 32) +
      recurrentParamCount(shape.cell, shape.units, { inputSize: shape.embeddingSize ?? 32, layers: shape.layers, headOutputs: k }),
  };
  return spec;
}

/** Embedding → recurrent stack → dense softmax over the classes. */
export const classificationModel: ModelBuilder<ClassificationTask> = (task, shape, seed, learningRate) => {
  const { data } = task;
  const k = data.classes.length;
  const embed = shape.embeddingSize ?? 32;
  const stack = [
    layers.embedding({ inputDim: data.vocabulary.tokens.length, outputDim: embed }),
    ...recurrentStack(shape.cell, shape.units, shape.layers),
    layers.dense({ units: k, activation: 'softmax' }),
  ];
  const model = compiledSequential(task, shape, seed, learningRate, stack, [data.sequenceLength], {
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const curveMetric = { name: 'validation accuracy', fromLogs: (l: Logs) => l.val_accuracy };
  return sequentialTaskModel(
    model,
    data,
    curveMetric,
    (params) => modelMemory(shape.cell, shape.units, embed, shape.layers, data.sequenceLength, params),
    (predicted) => {
      const classes = argmaxRows(predicted, k);
      return { metrics: task.score(classes), items: task.itemScores(classes) };
    },
  );
};
