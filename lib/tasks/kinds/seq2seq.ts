// Sequence-to-sequence tasks (spelling → phonemes): an encoder–decoder with the cell in both
// halves and Luong attention, decoded greedily. Judged by the phoneme error rate (margin: 1 PER
// point), word error rate and BLEU-4; baseline: the most frequent phoneme per letter.
import { decodePhonemes, type G2PData } from '../../data/cmudict';
import { seq2seq } from '../../model/seq2seq';
import { optimizers } from '../../train/optimizers';
import { LetterPhonemeBaseline } from '../baselines';
import { modelMemory, recurrentParamCount } from '../cells';
import { bleu, editItems, phonemeErrorRate, wordErrorRate } from '../metrics';
import { type ItemScores, type ModelDefaults, type ModelShape, type TaskSpecBase, notesOf } from '../types';
import { type ModelBuilder, rateFor, rows } from './common';

export interface Seq2SeqTask extends TaskSpecBase {
  kind: 'seq2seq';
  data: G2PData;
  /** Test metrics from predicted phoneme sequences, one per test word (see decodePhonemes). */
  score(predicted: readonly (readonly string[])[]): Record<string, number>;
  /** Per-word edit distances and reference lengths (the phoneme error rate's parts). */
  itemScores(predicted: readonly (readonly string[])[]): ItemScores;
}

/**
 * Parameters of the whole encoder–decoder: both embeddings, the encoder and decoder stacks, the
 * attention (Wa [H, H] and a dense 2H → H with bias) and the output dense H → V.
 */
export function seq2seqParamCount(shape: ModelShape, srcVocab: number, tgtVocab: number, attention: boolean): number {
  const E = shape.embeddingSize ?? 32;
  const H = shape.units;
  const stack = recurrentParamCount(shape.cell, H, { inputSize: E, layers: shape.layers });
  const attn = attention ? H * H + 2 * H * H + H : 0;
  return srcVocab * E + tgtVocab * E + 2 * stack + attn + H * tgtVocab + tgtVocab;
}

export function g2pTask(data: G2PData, defaults: ModelDefaults): Seq2SeqTask {
  const references = data.test.entries.map((e) => e.phonemes);
  const score = (p: readonly (readonly string[])[]) => ({
    per: phonemeErrorRate(p, references),
    wer: wordErrorRate(p, references),
    bleu: bleu(p, references),
  });
  const itemScores = (p: readonly (readonly string[])[]): ItemScores => editItems(p, references);
  const baseline = new LetterPhonemeBaseline(data.train.entries);
  const basePrediction = data.test.entries.map((e) => baseline.predict(e.letters));
  const spec: Seq2SeqTask = {
    kind: 'seq2seq',
    meta: {
      id: 'g2p',
      dataset: 'CMUdict',
      task: 'spelling → phonemes',
      kind: 'seq2seq',
      metrics: [
        { name: 'per', label: 'phoneme error rate', higherIsBetter: false, margin: { value: 0.01 } },
        { name: 'wer', label: 'word error rate', higherIsBetter: false },
        { name: 'bleu', label: 'BLEU-4', higherIsBetter: true },
      ],
      primaryMetric: 'per',
      sizes: { train: data.train.entries.length, validation: data.validation.entries.length, test: data.test.entries.length },
      notes: notesOf(data.notes, defaults),
    },
    data,
    score,
    itemScores,
    baselines: [{ name: 'most frequent phoneme per letter', metrics: score(basePrediction), items: itemScores(basePrediction) }],
    defaults,
    buildModel: (shape, seed, learningRate) => seq2seqModel(spec, shape, seed, learningRate),
    paramCount: (shape) =>
      seq2seqParamCount(shape, data.sourceVocabulary.tokens.length, data.targetVocabulary.tokens.length, defaults.attention === true),
  };
  return spec;
}

/** Encoder–decoder with the cell in both halves; test metrics from greedy decoding. */
export const seq2seqModel: ModelBuilder<Seq2SeqTask> = (task, shape, seed, learningRate) => {
  const { data } = task;
  const embed = shape.embeddingSize ?? 32;
  const model = seq2seq({
    cell: shape.cell,
    srcVocab: data.sourceVocabulary.tokens.length,
    tgtVocab: data.targetVocabulary.tokens.length,
    embedDim: embed,
    units: shape.units,
    layers: shape.layers,
    attention: task.defaults.attention ? 'luong' : false,
    seed,
    name: `${task.meta.id}-${shape.cell}`,
  });
  model.compile({ optimizer: optimizers.adam({ learningRate: rateFor(task, learningRate), clipNorm: 1 }), metrics: ['accuracy'] });
  // A phoneme string is at most a few tokens longer than its spelling in CMUdict.
  const maxLength = data.targetLength + 2;
  const params = model.countParams();
  // Encoder and decoder stacks: twice the layers, over the longer of the two sequences.
  const memory = modelMemory(shape.cell, shape.units, embed, 2 * shape.layers, Math.max(data.sourceLength, maxLength), params);
  return {
    model,
    params,
    trainSamples: data.train.source.dims[0],
    curveMetric: { name: 'validation token accuracy (teacher-forced)', fromLogs: (l) => l.val_accuracy },
    memory,
    fit: async (epochs, batchSize, s, callbacks) => {
      await model.fit(data.train.source, data.train.decoderTarget, {
        epochs,
        batchSize,
        seed: s,
        validationData: [data.validation.source, data.validation.decoderTarget],
        callbacks,
        verbose: 0,
      });
    },
    test: async () => {
      const ids = await model.predict(data.test.source, { method: 'greedy', maxLength, batchSize: 256 });
      const phonemes = ids.map((seq) => decodePhonemes(data.targetVocabulary, seq));
      return { metrics: task.score(phonemes), items: task.itemScores(phonemes) };
    },
    infer: (batch) => {
      const x = rows(data.test.source, batch);
      return () => model.predict(x, { method: 'greedy', maxLength, batchSize: batch });
    },
    dispose: () => model.dispose(),
  };
};
