// Baselines of the Brown corpus tasks: what a recurrent model must beat to show that reading in
// order helps. All are plain TypeScript over small counts; none needs the native addon.
import { Rng } from '../train/rng';

/**
 * Multinomial logistic regression on bag-of-words counts: softmax(W·counts + b), trained with
 * Adam on minibatches and an L2 penalty. Token id 0 (padding) is not a word and is not counted.
 * It ignores word order, so a recurrent model that cannot beat it has learnt nothing from order.
 */
export class BagOfWordsClassifier {
  readonly classes: number;
  readonly vocabularySize: number;
  private readonly w: Float64Array;
  private readonly b: Float64Array;

  constructor(vocabularySize: number, classes: number) {
    this.vocabularySize = vocabularySize;
    this.classes = classes;
    this.w = new Float64Array(vocabularySize * classes);
    this.b = new Float64Array(classes);
  }

  /** Sparse counts of one sequence of ids: [ids, counts], padding left out. */
  static counts(ids: ArrayLike<number>): [Int32Array, Float64Array] {
    const m = new Map<number, number>();
    for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) m.set(ids[i], (m.get(ids[i]) ?? 0) + 1);
    const keys = Int32Array.from([...m.keys()].sort((a, b) => a - b));
    return [keys, Float64Array.from(keys, (k) => m.get(k)!)];
  }

  /** Class scores (logits) of one sample's sparse counts. */
  logits(sample: [Int32Array, Float64Array]): Float64Array {
    const k = this.classes;
    const z = Float64Array.from(this.b);
    const [ids, cs] = sample;
    for (let j = 0; j < ids.length; j++) {
      const row = ids[j] * k;
      for (let c = 0; c < k; c++) z[c] += this.w[row + c] * cs[j];
    }
    return z;
  }

  predict(sample: [Int32Array, Float64Array]): number {
    const z = this.logits(sample);
    let best = 0;
    for (let c = 1; c < z.length; c++) if (z[c] > z[best]) best = c;
    return best;
  }

  /** One epoch of Adam over the samples in a seeded order (the step count carries across epochs). */
  trainEpoch(
    samples: readonly [Int32Array, Float64Array][],
    labels: ArrayLike<number>,
    opts: { learningRate: number; l2: number; batchSize: number; rng: Rng; state: AdamState },
  ): void {
    const k = this.classes;
    const { learningRate, l2, batchSize, rng, state } = opts;
    const order = Array.from({ length: samples.length }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    // Gradient rows of the words a batch holds; `touched` lists them so only they are cleared.
    const gw = state.gradient;
    const seen = state.seen;
    const gb = new Float64Array(k);
    const p = new Float64Array(k);
    for (let s = 0; s < order.length; s += batchSize) {
      const batch = order.slice(s, s + batchSize);
      const touched: number[] = [];
      gb.fill(0);
      for (const n of batch) {
        const z = this.logits(samples[n]);
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, z[c]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += p[c] = Math.exp(z[c] - max);
        for (let c = 0; c < k; c++) p[c] = (p[c] / sum - (c === labels[n] ? 1 : 0)) / batch.length;
        const [ids, cs] = samples[n];
        for (let j = 0; j < ids.length; j++) {
          const row = ids[j] * k;
          if (!seen[ids[j]]) {
            seen[ids[j]] = 1;
            touched.push(ids[j]);
          }
          for (let c = 0; c < k; c++) gw[row + c] += p[c] * cs[j];
        }
        for (let c = 0; c < k; c++) gb[c] += p[c];
      }
      state.t++;
      // Lazy Adam: only the rows of words in the batch move, with the penalty on those rows.
      for (const id of touched) {
        for (let c = 0, i = id * k; c < k; c++, i++) {
          adamStep(this.w, state.mw, state.vw, i, gw[i] + l2 * this.w[i], learningRate, state.t);
          gw[i] = 0;
        }
        seen[id] = 0;
      }
      for (let c = 0; c < k; c++) adamStep(this.b, state.mb, state.vb, c, gb[c], learningRate, state.t);
    }
  }

  newState(): AdamState {
    const n = this.w.length;
    return {
      t: 0,
      mw: new Float64Array(n),
      vw: new Float64Array(n),
      mb: new Float64Array(this.classes),
      vb: new Float64Array(this.classes),
      gradient: new Float64Array(n),
      seen: new Uint8Array(this.vocabularySize),
    };
  }

  /** A copy of the weights, for keeping the best epoch. */
  snapshot(): [Float64Array, Float64Array] {
    return [Float64Array.from(this.w), Float64Array.from(this.b)];
  }

  restore([w, b]: [Float64Array, Float64Array]): void {
    this.w.set(w);
    this.b.set(b);
  }
}

export interface AdamState {
  t: number;
  mw: Float64Array;
  vw: Float64Array;
  mb: Float64Array;
  vb: Float64Array;
  gradient: Float64Array;
  seen: Uint8Array;
}

function adamStep(p: Float64Array, m: Float64Array, v: Float64Array, i: number, g: number, lr: number, t: number): void {
  m[i] = 0.9 * m[i] + 0.1 * g;
  v[i] = 0.999 * v[i] + 0.001 * g * g;
  p[i] -= (lr * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
}

/**
 * Trains bag-of-words regressions with a few L2 strengths for up to `epochs` epochs each (a
 * strength stops after `patience` epochs without a better validation accuracy) and keeps the
 * weights of the best strength and epoch.
 */
export function fitBagOfWords(
  vocabularySize: number,
  classes: number,
  train: { x: readonly ArrayLike<number>[]; y: ArrayLike<number> },
  validation: { x: readonly ArrayLike<number>[]; y: ArrayLike<number> },
  options: { epochs?: number; patience?: number; l2?: readonly number[]; learningRate?: number; seed?: number } = {},
): { model: BagOfWordsClassifier; l2: number; epochs: number; validationAccuracy: number } {
  const { epochs = 20, patience = 3, l2: strengths = [0, 1e-3], learningRate = 0.003, seed = 1 } = options;
  const tr = train.x.map((x) => BagOfWordsClassifier.counts(x));
  const va = validation.x.map((x) => BagOfWordsClassifier.counts(x));
  const accuracyOn = (m: BagOfWordsClassifier) =>
    va.reduce((a, s, i) => a + (m.predict(s) === validation.y[i] ? 1 : 0), 0) / Math.max(1, va.length);
  let best: { weights: [Float64Array, Float64Array]; l2: number; epochs: number; validationAccuracy: number } | null = null;
  const model = new BagOfWordsClassifier(vocabularySize, classes);
  for (const l2 of strengths) {
    const fresh = new BagOfWordsClassifier(vocabularySize, classes);
    model.restore(fresh.snapshot());
    const rng = new Rng(seed);
    const state = model.newState();
    let sinceBest = 0;
    let bestHere = -1;
    for (let e = 1; e <= epochs && sinceBest < patience; e++) {
      model.trainEpoch(tr, train.y, { learningRate, l2, batchSize: 32, rng, state });
      const acc = accuracyOn(model);
      if (acc > bestHere) {
        bestHere = acc;
        sinceBest = 0;
      } else sinceBest++;
      if (!best || acc > best.validationAccuracy) best = { weights: model.snapshot(), l2, epochs: e, validationAccuracy: acc };
    }
  }
  model.restore(best!.weights);
  return { model, l2: best!.l2, epochs: best!.epochs, validationAccuracy: best!.validationAccuracy };
}

/** Each word's most frequent training tag; unseen words get the most frequent tag overall (ties: the tag seen first). */
export class MostFrequentTagger {
  private readonly byWord = new Map<string, string>();
  readonly fallback: string;

  constructor(sentences: readonly (readonly { word: string; tag: string }[])[]) {
    const counts = new Map<string, Map<string, number>>();
    const overall = new Map<string, number>();
    for (const s of sentences) {
      for (const { word, tag } of s) {
        const m = counts.get(word) ?? new Map<string, number>();
        m.set(tag, (m.get(tag) ?? 0) + 1);
        counts.set(word, m);
        overall.set(tag, (overall.get(tag) ?? 0) + 1);
      }
    }
    const top = (m: Map<string, number>) => {
      let best = '';
      let n = -1;
      for (const [t, c] of m) if (c > n) [best, n] = [t, c];
      return best;
    };
    for (const [w, m] of counts) this.byWord.set(w, top(m));
    if (overall.size === 0)
      throw new RangeError('MostFrequentTagger: expected training sentences with at least one token, but received none');
    this.fallback = top(overall);
  }

  tag(word: string): string {
    return this.byWord.get(word) ?? this.fallback;
  }

  knows(word: string): boolean {
    return this.byWord.has(word);
  }
}

/**
 * A character n-gram model with add-k smoothing over an alphabet of V symbols (ids 0..V-1):
 * P(c | h) = (C(h c) + k) / (C(h) + k V), h the n-1 symbols before c. Before a text's start the
 * history holds a boundary symbol that is never predicted. n = 1 is the unigram model.
 */
export class NgramModel {
  readonly order: number;
  readonly alphabetSize: number;
  readonly k: number;
  private readonly joint = new Map<number, number>();
  private readonly context = new Map<number, number>();

  constructor(order: number, alphabetSize: number, k: number) {
    if (!(Number.isSafeInteger(order) && order >= 1 && order <= 6))
      throw new RangeError(`NgramModel: expected order to be an integer in [1, 6], but received ${order}`);
    if (!(Number.isSafeInteger(alphabetSize) && alphabetSize >= 1 && alphabetSize < 255))
      throw new RangeError(`NgramModel: expected alphabetSize to be an integer in [1, 254], but received ${alphabetSize}`);
    if (!(typeof k === 'number' && k > 0)) throw new RangeError(`NgramModel: expected k to be a positive number, but received ${k}`);
    this.order = order;
    this.alphabetSize = alphabetSize;
    this.k = k;
  }

  // The history as a base-(V+1) number; V is the boundary symbol. Order 6 over 254 symbols stays
  // below 2^53.
  private historyKey(ids: ArrayLike<number>, i: number): number {
    const base = this.alphabetSize + 1;
    let key = 0;
    for (let j = i - this.order + 1; j < i; j++) key = key * base + (j < 0 ? this.alphabetSize : ids[j]);
    return key;
  }

  /** Adds the counts of one text (a run of symbol ids). */
  count(ids: ArrayLike<number>): this {
    for (let i = 0; i < ids.length; i++) {
      const c = ids[i];
      if (!(c >= 0 && c < this.alphabetSize))
        throw new RangeError(`NgramModel.count: expected symbol ids in [0, ${this.alphabetSize - 1}], but received ${c} at index ${i}`);
      const h = this.historyKey(ids, i);
      const hc = h * this.alphabetSize + c;
      this.joint.set(hc, (this.joint.get(hc) ?? 0) + 1);
      this.context.set(h, (this.context.get(h) ?? 0) + 1);
    }
    return this;
  }

  /** P(ids[i] | the symbols before it in ids). */
  probability(ids: ArrayLike<number>, i: number): number {
    const h = this.historyKey(ids, i);
    const joint = this.joint.get(h * this.alphabetSize + ids[i]) ?? 0;
    const ctx = this.context.get(h) ?? 0;
    return (joint + this.k) / (ctx + this.k * this.alphabetSize);
  }

  /** Mean -log2 P over the positions `at` of `ids` (every position when absent). */
  bitsPerSymbol(ids: ArrayLike<number>, at?: ArrayLike<number>): number {
    let sum = 0;
    const n = at ? at.length : ids.length;
    for (let j = 0; j < n; j++) sum -= Math.log2(this.probability(ids, at ? at[j] : j));
    return n === 0 ? 0 : sum / n;
  }
}
