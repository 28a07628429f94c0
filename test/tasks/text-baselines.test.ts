// The Brown tasks' baselines: the n-gram model against hand-computed probabilities, the
// most-frequent-tag tagger and the bag-of-words regression.
import { BagOfWordsClassifier, fitBagOfWords, MostFrequentTagger, NgramModel } from '../../lib/tasks/text-baselines';

describe('NgramModel', () => {
  // Alphabet {a: 0, b: 1, c: 2}, training text "abab" = [0, 1, 0, 1].
  const text = [0, 1, 0, 1];

  test('unigram with add-k: (count + k) / (N + kV)', () => {
    const m = new NgramModel(1, 3, 1).count(text);
    // a: 2, b: 2, c: 0 of 4; k = 1, V = 3.
    expect(m.probability([0], 0)).toBeCloseTo(3 / 7, 12);
    expect(m.probability([1], 0)).toBeCloseTo(3 / 7, 12);
    expect(m.probability([2], 0)).toBeCloseTo(1 / 7, 12);
    expect(m.bitsPerSymbol([0, 2])).toBeCloseTo((-Math.log2(3 / 7) - Math.log2(1 / 7)) / 2, 12);
  });

  test('trigram with add-k: histories of two symbols, the boundary before the start', () => {
    const k = 0.5;
    const m = new NgramModel(3, 3, k).count(text);
    // Trigrams (history -> symbol): (^^ -> a), (^a -> b), (ab -> a), (ba -> b).
    const p = (ctx: number, joint: number) => (joint + k) / (ctx + 3 * k);
    expect(m.probability([0, 1, 0], 2)).toBeCloseTo(p(1, 1), 12); // ab -> a
    expect(m.probability([0, 1, 1], 2)).toBeCloseTo(p(1, 0), 12); // ab -> b
    expect(m.probability([1, 0, 1], 2)).toBeCloseTo(p(1, 1), 12); // ba -> b
    expect(m.probability([2, 2, 0], 2)).toBeCloseTo(1 / 3, 12); // cc never seen: uniform
    expect(m.probability([0], 0)).toBeCloseTo(p(1, 1), 12); // ^^ -> a
    expect(m.probability([0, 1], 1)).toBeCloseTo(p(1, 1), 12); // ^a -> b
    expect(m.probability([1, 0], 1)).toBeCloseTo(p(0, 0), 12); // ^b unseen
    // Probabilities over the alphabet sum to 1 for a seen and an unseen history.
    for (const h of [
      [0, 1],
      [2, 2],
    ])
      expect([0, 1, 2].reduce((a, c) => a + m.probability([...h, c], 2), 0)).toBeCloseTo(1, 12);
    // bitsPerSymbol at chosen positions.
    expect(m.bitsPerSymbol([0, 1, 0, 1], [2, 3])).toBeCloseTo(-Math.log2(p(1, 1)), 12);
  });

  test('counts add up over texts, and bad arguments are refused', () => {
    const m = new NgramModel(2, 2, 1).count([0, 1]).count([0, 0]);
    // Bigrams: (^ -> 0) twice, (0 -> 1), (0 -> 0).
    expect(m.probability([0, 1], 1)).toBeCloseTo(2 / 4, 12);
    expect(m.probability([0], 0)).toBeCloseTo(3 / 4, 12);
    expect(() => new NgramModel(0, 3, 1)).toThrow('expected order to be an integer in [1, 6], but received 0');
    expect(() => new NgramModel(3, 3, 0)).toThrow('expected k to be a positive number, but received 0');
    expect(() => new NgramModel(2, 3, 1).count([0, 3])).toThrow('expected symbol ids in [0, 2], but received 3 at index 1');
  });
});

describe('MostFrequentTagger', () => {
  test('each word its most frequent tag, unknown words the most frequent tag overall', () => {
    const t = new MostFrequentTagger([
      [
        { word: 'the', tag: 'at' },
        { word: 'run', tag: 'nn' },
      ],
      [
        { word: 'run', tag: 'vb' },
        { word: 'run', tag: 'vb' },
        { word: 'dog', tag: 'nn' },
      ],
      [{ word: 'cat', tag: 'nn' }],
    ]);
    expect(t.tag('run')).toBe('vb');
    expect(t.tag('the')).toBe('at');
    expect(t.tag('zebra')).toBe('nn');
    expect(t.knows('zebra')).toBe(false);
    expect(t.fallback).toBe('nn');
  });
});

describe('bag-of-words regression', () => {
  test('counts leave out padding', () => {
    const [ids, counts] = BagOfWordsClassifier.counts([0, 0, 5, 3, 5]);
    expect([...ids]).toEqual([3, 5]);
    expect([...counts]).toEqual([1, 2]);
  });

  test('learns which words mark which class, regardless of order', () => {
    // Class c's texts hold word 1 + c among noise words 4..9.
    const make = (n: number, seed: number) => {
      const x: number[][] = [];
      const y: number[] = [];
      let s = seed;
      const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let i = 0; i < n; i++) {
        const c = i % 3;
        const row = Array.from({ length: 8 }, () => 4 + Math.floor(r() * 6));
        row[Math.floor(r() * 8)] = 1 + c;
        x.push(row);
        y.push(c);
      }
      return { x, y };
    };
    const fit = fitBagOfWords(10, 3, make(150, 1), make(60, 2), { epochs: 40, patience: 40, learningRate: 0.01 });
    const test = make(60, 3);
    const correct = test.x.filter((x, i) => fit.model.predict(BagOfWordsClassifier.counts(x)) === test.y[i]).length;
    expect(correct / 60).toBeGreaterThan(0.95);
    expect(fit.validationAccuracy).toBeGreaterThan(0.95);
  });
});
