// The tagging and language-model task kinds on a tiny corpus: scores count real tokens only,
// per-item scores add up to the metric, and the models train, test and infer.
import { type BrownDocument, charLmData, parseBrownFile, taggingData } from '../../lib/data/brown';
import { decodeTags, taggingTask } from '../../lib/tasks/kinds/tagging';
import { languageModelTask, statefulLayer } from '../../lib/tasks/kinds/language-model';
import { Recurrent } from '../../lib/layers';

// Six documents of one genre (two go to validation and test), tagged "the/at cat/nn sat/vbd".
const sentences = [
  'The/at cat/nn sat/vbd ./.',
  'A/at dog/nn ran/vbd far/rb ./.',
  'The/at old/jj cat/nn-tl ran/vbd ./.',
  'Dogs/nns sat/vbd ./.',
];
const docs: BrownDocument[] = Array.from({ length: 6 }, (_, d) =>
  parseBrownFile(`ca0${d + 1}`, Array.from({ length: 40 }, (_, i) => sentences[(i + d) % sentences.length]).join('\n')),
);
const ratio = (items: { num: number[]; den?: number[] }) =>
  items.num.reduce((a, b) => a + b, 0) / (items.den ?? items.num.map(() => 1)).reduce((a, b) => a + b, 0);

describe('tagging task', () => {
  const data = taggingData(docs, { sequenceLength: 4 });
  const task = taggingTask('tagging', 'tiny', data, {
    units: 4,
    layers: 1,
    epochs: 1,
    batchSize: 8,
    embeddingSize: 4,
    learningRates: [0.01],
  });

  test('gold tags score 1, padding is never scored, items add up to the accuracy', () => {
    const gold = data.test.pieces.map((p) => p.map((t) => t.tag));
    expect(task.score(gold).accuracy).toBe(1);
    // A 5-word sentence with T = 4 is two pieces, of 4 and 1 words.
    expect(data.test.lengths).toContain(1);
    const wrongFirst = gold.map((p) => p.map((t, i) => (i === 0 ? 'zz' : t)));
    const s = task.score(wrongFirst);
    expect(s.accuracy).toBeCloseTo(1 - gold.length / gold.flat().length, 12);
    expect(ratio(task.itemScores(wrongFirst))).toBeCloseTo(s.accuracy, 12);
    // decodeTags cuts each row at its length, whatever the model said about padding.
    const K = data.tags.length;
    const probs = new Float32Array(2 * 4 * K);
    for (let i = 0; i < 8; i++) probs[i * K + (i % K)] = 1;
    expect(decodeTags(probs, data.tags, Int32Array.from([2, 4]), 4)).toEqual([
      [data.tags[0], data.tags[1]],
      [4, 5, 6, 7].map((i) => data.tags[i % K]),
    ]);
    expect(task.baselines[0].metrics.accuracy).toBe(1);
  });

  test('a bidirectional model trains, tests and infers', async () => {
    const tm = task.buildModel({ cell: 'gru', units: 4, layers: 1, embeddingSize: 4 }, 1, 0.01);
    expect(tm.params).toBe(task.paramCount({ cell: 'gru', units: 4, layers: 1, embeddingSize: 4 }));
    expect(tm.trainSamples).toBe(data.train.y.dims[0]);
    await tm.fit(1, 8, 1, []);
    const { metrics, items } = await tm.test();
    expect(ratio(items)).toBeCloseTo(metrics.accuracy, 12);
    await tm.infer(3)();
    tm.dispose();
  });
});

describe('language-model task', () => {
  const data = charLmData(docs, { chunkLength: 8, streams: 4 });
  const task = languageModelTask('charlm', 'tiny', data, {
    units: 8,
    layers: 1,
    epochs: 1,
    batchSize: 4,
    embeddingSize: 4,
    learningRates: [0.01],
  });

  test('baselines: unigram and two n-grams, items adding up to bits per character', () => {
    expect(task.baselines.map((b) => b.name.split(' ')[0])).toEqual(['unigram', '3-gram,', '5-gram,']);
    for (const b of task.baselines) expect(ratio(b.items!)).toBeCloseTo(b.metrics.bitsPerChar, 10);
    // Repetitive text: the 5-gram knows it far better than the unigram.
    expect(task.baselines[2].metrics.bitsPerChar).toBeLessThan(task.baselines[0].metrics.bitsPerChar / 2);
  });

  test('a stateful model trains and tests with its state carried; the layer is the cell with stateful set', async () => {
    const layer = statefulLayer('lstm', 3);
    expect(layer).toBeInstanceOf(Recurrent);
    expect((layer as Recurrent).stateful).toBe(true);
    const tm = task.buildModel({ cell: 'lstm', units: 8, layers: 1, embeddingSize: 4 }, 1, 0.01);
    expect(tm.params).toBe(task.paramCount({ cell: 'lstm', units: 8, layers: 1, embeddingSize: 4 }));
    await tm.fit(2, 4, 1, []);
    const { metrics, items } = await tm.test();
    expect(metrics.bitsPerChar).toBeGreaterThan(0);
    expect(metrics.bitsPerChar).toBeLessThan(Math.log2(data.alphabet.length));
    expect(ratio(items)).toBeCloseTo(metrics.bitsPerChar, 6);
    await tm.infer(1)();
    tm.dispose();
  });
});
