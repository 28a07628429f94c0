// Sequence labelling: one tag per token from a bidirectional recurrent stack (embedding with
// padding mask → bidirectional cell × layers → dense softmax per step). Judged by token accuracy
// over real tokens only (margin: half an accuracy point); baseline: the most frequent tag per word.
import type { TaggedToken, TaggingData } from '../../data/brown';
import { layers, type Recurrent } from '../../layers';
import type { Logs } from '../../train/callbacks';
import { type ModelCell, modelMemory, recurrentLayer, recurrentParamCount } from '../cells';
import { MostFrequentTagger } from '../text-baselines';
import type { ItemScores, MetricSpec, ModelDefaults, TaskSpecBase } from '../types';
import { argmaxRows, compiledSequential, type ModelBuilder, sequentialTaskModel } from './common';

export interface TaggingTask extends TaskSpecBase {
  kind: 'tagging';
  data: TaggingData;
  /** Test metrics from predicted tag names, one list per test piece (padding left out). */
  score(predicted: readonly (readonly string[])[]): Record<string, number>;
  /** Per-piece correct tokens over the piece's tokens, behind token accuracy. */
  itemScores(predicted: readonly (readonly string[])[]): ItemScores;
}

/** Parameters of embedding → `layers` bidirectional layers → dense over the tags. */
export function taggingParamCount(
  cell: ModelCell,
  units: number,
  layerCount: number,
  vocabulary: number,
  embeddingSize: number,
  tags: number,
): number {
  return (
    vocabulary * embeddingSize +
    recurrentParamCount(cell, units, { inputSize: embeddingSize, layers: layerCount, headOutputs: tags, directions: 2 })
  );
}

/** The tag names of a [N, T, K] softmax output, each row cut to its length. */
export function decodeTags(probs: Float32Array, tags: readonly string[], lengths: Int32Array, steps: number): string[][] {
  const ids = argmaxRows(probs, tags.length);
  return Array.from(lengths, (len, n) => Array.from({ length: len }, (_, s) => tags[ids[n * steps + s]]));
}

export function taggingTask(id: string, dataset: string, data: TaggingData, defaults: ModelDefaults): TaggingTask {
  const gold = data.test.pieces;
  const known = (w: string) => data.vocabulary.index.has(w);
  const metrics: MetricSpec[] = [
    { name: 'accuracy', label: 'token accuracy', higherIsBetter: true, margin: { value: 0.005 } },
    { name: 'unknownAccuracy', label: 'accuracy on out-of-vocabulary words', higherIsBetter: true },
  ];
  const check = (predicted: readonly (readonly string[])[]) => {
    if (predicted.length !== gold.length)
      throw new RangeError(`${id}: expected ${gold.length} tagged test pieces, but received ${predicted.length}`);
  };
  const score = (predicted: readonly (readonly string[])[]) => {
    check(predicted);
    let hit = 0,
      all = 0,
      unkHit = 0,
      unk = 0;
    gold.forEach((piece, n) =>
      piece.forEach((t, s) => {
        const right = predicted[n][s] === t.tag ? 1 : 0;
        hit += right;
        all++;
        if (!known(t.word)) {
          unkHit += right;
          unk++;
        }
      }),
    );
    return { accuracy: hit / all, unknownAccuracy: unk === 0 ? 0 : unkHit / unk };
  };
  const itemScores = (predicted: readonly (readonly string[])[]): ItemScores => {
    check(predicted);
    return {
      num: gold.map((piece, n) => piece.reduce((a, t, s) => a + (predicted[n][s] === t.tag ? 1 : 0), 0)),
      den: gold.map((p) => p.length),
    };
  };
  const tagger = new MostFrequentTagger(data.allTrainSentences);
  const baseline = gold.map((piece: TaggedToken[]) => piece.map((t) => tagger.tag(t.word)));
  const tokens = (s: { lengths: Int32Array }) => s.lengths.reduce((a, b) => a + b, 0);
  const spec: TaggingTask = {
    kind: 'tagging',
    meta: {
      id,
      dataset,
      task: 'part-of-speech tag per word',
      kind: 'tagging',
      metrics,
      primaryMetric: 'accuracy',
      sizes: { train: tokens(data.train), validation: tokens(data.validation), test: tokens(data.test) },
      notes: [...data.notes, 'sizes count tokens; the recurrent layers are bidirectional (their units are per direction)'],
    },
    data,
    score,
    itemScores,
    baselines: [
      { name: `most frequent tag per word (unknown words: ${tagger.fallback})`, metrics: score(baseline), items: itemScores(baseline) },
    ],
    defaults,
    buildModel: (shape, seed, learningRate) => taggingModel(spec, shape, seed, learningRate),
    paramCount: (shape) =>
      taggingParamCount(shape.cell, shape.units, shape.layers, data.vocabulary.tokens.length, shape.embeddingSize ?? 32, data.tags.length),
  };
  return spec;
}

/** Embedding (0 = padding, masked) → bidirectional stack returning sequences → dense softmax per step. */
export const taggingModel: ModelBuilder<TaggingTask> = (task, shape, seed, learningRate) => {
  const { data } = task;
  const embed = shape.embeddingSize ?? 32;
  const stack = Array.from({ length: shape.layers }, () =>
    layers.bidirectional({ layer: recurrentLayer(shape.cell, shape.units, true) as Recurrent }),
  );
  // Steps past a row's length carry no loss and no accuracy: the embedding's mask gives the
  // lengths, and the loss and metrics weigh those steps 0.
  const model = compiledSequential(
    task,
    shape,
    seed,
    learningRate,
    [
      layers.embedding({ inputDim: data.vocabulary.tokens.length, outputDim: embed, maskZero: true }),
      ...stack,
      layers.dense({ units: data.tags.length, activation: 'softmax' }),
    ],
    [data.sequenceLength],
    { loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] },
  );
  const curveMetric = { name: 'validation token accuracy', fromLogs: (l: Logs) => l.val_accuracy };
  const memory = (params: number) => {
    const one = modelMemory(shape.cell, shape.units, embed, shape.layers, data.sequenceLength, params);
    // Two directions: twice the packed weights, scratch and state of one.
    const packedWeights = 2 * one.packedWeights,
      workspace = 2 * one.workspace,
      state = 2 * one.state;
    return { weights: one.weights, packedWeights, workspace, state, total: one.weights + packedWeights + workspace + state };
  };
  const tm = sequentialTaskModel(model, data, curveMetric, memory, (predicted) => {
    const tags = decodeTags(predicted, data.tags, data.test.lengths, data.sequenceLength);
    return { metrics: task.score(tags), items: task.itemScores(tags) };
  });
  // A sample is a row (a sentence or a piece of one), as fit's batches count them; y's size would
  // count padded steps too.
  return { ...tm, trainSamples: data.train.y.dims[0] };
};
