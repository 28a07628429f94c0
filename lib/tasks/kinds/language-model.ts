// Character-level language modelling: embedding → stateful recurrent stack → dense softmax over
// the alphabet at every step, trained with truncated BPTT over chunks whose states carry from one
// to the next. Judged by bits per character on the test text (margin: 0.02 bits); baselines: a
// unigram model and add-k n-grams.
import type { CharLmData } from '../../data/brown';
import { layerFromConfig, layers, type Layer } from '../../layers';
import type { Sequential } from '../../model/sequential';
import { Tensor } from '../../tensor';
import type { Logs } from '../../train/callbacks';
import { type ModelCell, modelMemory, recurrentLayer, recurrentParamCount } from '../cells';
import { NgramModel } from '../text-baselines';
import type { BaselineResult, ItemScores, MetricSpec, ModelDefaults, TaskSpecBase } from '../types';
import { compiledSequential, countOf, type ModelBuilder, rows } from './common';

export interface LanguageModelTask extends TaskSpecBase {
  kind: 'language-model';
  data: CharLmData;
  /** Test metrics from -log2 P of every test target (data.test.targets' order). */
  score(bits: Float64Array): Record<string, number>;
  /** Per-chunk bits over the chunk's characters, behind bits per character. */
  itemScores(bits: Float64Array): ItemScores;
}

/** A recurrent layer of `cell` that carries its states across batches. */
export function statefulLayer(cell: ModelCell, units: number): Layer {
  const plain = recurrentLayer(cell, units, true);
  return layerFromConfig({ className: plain.className, config: { ...plain.getConfig(), stateful: true } });
}

export function languageModelParamCount(
  cell: ModelCell,
  units: number,
  layerCount: number,
  alphabet: number,
  embeddingSize: number,
): number {
  return (
    alphabet * embeddingSize + recurrentParamCount(cell, units, { inputSize: embeddingSize, layers: layerCount, headOutputs: alphabet })
  );
}

/**
 * The n-gram baselines: unigram, and trigram and 5-gram with the add-k constant that gives the
 * lowest validation bits per character.
 */
export function ngramBaselines(
  data: CharLmData,
  score: LanguageModelTask['score'],
  itemScores: LanguageModelTask['itemScores'],
): BaselineResult[] {
  const V = data.alphabet.length;
  const bitsOf = (m: NgramModel, split: CharLmData['test']) =>
    Float64Array.from(split.targets, (p) => -Math.log2(m.probability(split.text, p)));
  const result = (name: string, m: NgramModel): BaselineResult => {
    const bits = bitsOf(m, data.test);
    return { name, metrics: score(bits), items: itemScores(bits) };
  };
  const out = [result('unigram (add-1)', new NgramModel(1, V, 1).count(data.train.text))];
  for (const order of [3, 5]) {
    let best: { k: number; model: NgramModel; valBits: number } | null = null;
    for (const k of [1, 0.1, 0.01, 0.001]) {
      const model = new NgramModel(order, V, k).count(data.train.text);
      const valBits = model.bitsPerSymbol(data.validation.text, data.validation.targets);
      if (!best || valBits < best.valBits) best = { k, model, valBits };
    }
    out.push(result(`${order}-gram, add-k (k = ${best!.k}, chosen on validation)`, best!.model));
  }
  return out;
}

export function languageModelTask(id: string, dataset: string, data: CharLmData, defaults: ModelDefaults): LanguageModelTask {
  const metrics: MetricSpec[] = [{ name: 'bitsPerChar', label: 'bits per character', higherIsBetter: false, margin: { value: 0.02 } }];
  const n = data.test.targets.length;
  const T = data.chunkLength;
  const check = (bits: Float64Array) => {
    if (bits.length !== n) throw new RangeError(`${id}: expected ${n} test characters' bits, but received ${bits.length}`);
  };
  const score = (bits: Float64Array) => {
    check(bits);
    return { bitsPerChar: bits.reduce((a, b) => a + b, 0) / n };
  };
  const itemScores = (bits: Float64Array): ItemScores => {
    check(bits);
    const chunks = n / T;
    return {
      num: Array.from({ length: chunks }, (_, c) => bits.subarray(c * T, c * T + T).reduce((a, b) => a + b, 0)),
      den: new Array(chunks).fill(T),
    };
  };
  const spec: LanguageModelTask = {
    kind: 'language-model',
    meta: {
      id,
      dataset,
      task: 'next character',
      kind: 'language-model',
      metrics,
      primaryMetric: 'bitsPerChar',
      sizes: { train: data.train.targets.length, validation: data.validation.targets.length, test: n },
      notes: [
        ...data.notes,
        `context: trained with truncated BPTT over ${T} characters, the state carried across chunks (stateful layers), so a model's context is not limited to ${T}; sizes count characters`,
      ],
    },
    data,
    score,
    itemScores,
    baselines: [],
    defaults,
    buildModel: (shape, seed, learningRate) => languageModel(spec, shape, seed, learningRate),
    paramCount: (shape) => languageModelParamCount(shape.cell, shape.units, shape.layers, data.alphabet.length, shape.embeddingSize ?? 16),
  };
  spec.baselines.push(...ngramBaselines(data, score, itemScores));
  return spec;
}

/** -log2 P of every target of `split`, predicted a block of chunks at a time with the states carried. */
async function testBits(model: Sequential, split: CharLmData['test'], streams: number): Promise<Float64Array> {
  const [N, T] = split.x.dims;
  const V = model.layers[model.layers.length - 1].outputShape![1];
  const out = new Float64Array(N * T);
  const block = streams * 64;
  model.resetStates();
  for (let r = 0; r < N; r += block) {
    const e = Math.min(N, r + block);
    const x = new Tensor('int32', split.x.data.subarray(r * T, e * T), [e - r, T]);
    const probs = (await model.predict(x, { batchSize: streams, resetStates: false })).data;
    for (let i = 0; i < (e - r) * T; i++) out[r * T + i] = -Math.log2(Math.max(probs[i * V + split.y.data[r * T + i]], 1e-30));
  }
  return out;
}

export const languageModel: ModelBuilder<LanguageModelTask> = (task, shape, seed, learningRate) => {
  const { data } = task;
  const V = data.alphabet.length;
  const embed = shape.embeddingSize ?? 16;
  const stack = Array.from({ length: shape.layers }, () => statefulLayer(shape.cell, shape.units));
  const model = compiledSequential(
    task,
    shape,
    seed,
    learningRate,
    [layers.embedding({ inputDim: V, outputDim: embed }), ...stack, layers.dense({ units: V, activation: 'softmax' })],
    [data.chunkLength],
    { loss: 'sparseCategoricalCrossentropy' },
  );
  const params = countOf(model);
  return {
    model,
    params,
    trainSamples: data.train.y.dims[0],
    // The loss is the mean cross-entropy per character in nats.
    curveMetric: {
      name: 'validation bits per character',
      fromLogs: (l: Logs) => (l.val_loss === undefined ? undefined : l.val_loss / Math.LN2),
    },
    memory: modelMemory(shape.cell, shape.units, embed, shape.layers, data.chunkLength, params),
    // Row b of every batch continues row b of the one before: the batch is the streams, in order.
    fit: async (epochs, _batchSize, s, callbacks) => {
      await model.fit(data.train.x, data.train.y, {
        epochs,
        batchSize: data.streams,
        seed: s,
        shuffle: false,
        validationData: [data.validation.x, data.validation.y],
        callbacks,
        verbose: 0,
      });
    },
    test: async () => {
      const bits = await testBits(model, data.test, data.streams);
      return { metrics: task.score(bits), items: task.itemScores(bits) };
    },
    infer: (batch) => {
      const x = rows(data.test.x, batch);
      return () => model.predict(x, { batchSize: batch });
    },
    dispose: () => model.dispose(),
  };
};
