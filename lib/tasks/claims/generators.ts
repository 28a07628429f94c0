// Synthetic long-dependency tasks for the claims experiments: the adding problem, the copy-memory
// task, delayed recall and aⁿbⁿ next-symbol prediction. Each generator is seeded, so a seed fixes
// every sequence, and returns tensors in the shapes a sequential model takes.
import { rangeError } from '../../errors';
import { Tensor } from '../../tensor';
import { Rng } from '../../train/rng';

function checkCount(where: string, name: string, v: number, min = 1): void {
  if (!(Number.isSafeInteger(v) && v >= min)) throw rangeError(where, name, `an integer ≥ ${min}`, String(v));
}

export interface AddingProblem {
  /** [N, T, 2]: a value in [0, 1) and a marker (1 at exactly two steps). */
  x: Tensor<'float32'>;
  /** [N, 1]: the sum of the two marked values. */
  y: Tensor<'float32'>;
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997): one marker in the first half of the
 * sequence and one in the second, so the first marked value must be held for about T/2 steps or
 * more. Always answering 1 scores an MSE of about 1/6.
 */
export function addingProblem(count: number, length: number, seed: number): AddingProblem {
  checkCount('addingProblem', 'count', count);
  checkCount('addingProblem', 'length', length, 2);
  const rng = new Rng(seed);
  const x = new Float32Array(count * length * 2);
  const y = new Float32Array(count);
  const half = Math.floor(length / 2);
  for (let n = 0; n < count; n++) {
    const first = Math.floor(rng.next() * half);
    const second = half + Math.floor(rng.next() * (length - half));
    let sum = 0;
    for (let t = 0; t < length; t++) {
      const v = rng.next();
      const at = (n * length + t) * 2;
      x[at] = v;
      if (t === first || t === second) {
        x[at + 1] = 1;
        sum += Math.fround(v);
      }
    }
    y[n] = sum;
  }
  return { x: new Tensor('float32', x, [count, length, 2]), y: new Tensor('float32', y, [count, 1]) };
}

export interface CopyTask {
  /** [N, S + lag + 1 + S] token ids: S symbols (1..K), lag blanks (0), the delimiter (K + 1), S blanks. */
  x: Tensor<'int32'>;
  /** Same shape: blanks (0) until the delimiter, then the S symbols in order. */
  y: Tensor<'int32'>;
  /** Where the recalled symbols start in each row of y. */
  recallStart: number;
  symbols: number;
}

/**
 * Copy memory (Arjovsky, Shah & Bengio 2016): `symbols` tokens drawn from `alphabet`, `lag`
 * blanks, a delimiter, then the model must emit the tokens in order. Token 0 is the blank, 1..K
 * the symbols and K + 1 the delimiter; the embedding needs K + 2 ids and the output K + 1 classes.
 */
export function copyTask(count: number, lag: number, seed: number, options: { symbols?: number; alphabet?: number } = {}): CopyTask {
  const s = options.symbols ?? 10;
  const k = options.alphabet ?? 8;
  checkCount('copyTask', 'count', count);
  checkCount('copyTask', 'lag', lag, 0);
  checkCount('copyTask', 'options.symbols', s);
  checkCount('copyTask', 'options.alphabet', k, 2);
  const rng = new Rng(seed);
  const len = s + lag + 1 + s;
  const x = new Int32Array(count * len);
  const y = new Int32Array(count * len);
  for (let n = 0; n < count; n++) {
    const row = n * len;
    for (let i = 0; i < s; i++) {
      const sym = 1 + Math.floor(rng.next() * k);
      x[row + i] = sym;
      y[row + s + lag + 1 + i] = sym;
    }
    x[row + s + lag] = k + 1;
  }
  return { x: new Tensor('int32', x, [count, len]), y: new Tensor('int32', y, [count, len]), recallStart: s + lag + 1, symbols: s };
}

export interface DelayedRecall {
  /** [N, lag + 1] token ids in 1..K: the cue, then `lag` random distractors. */
  x: Tensor<'int32'>;
  /** [N]: the cue's class, 0..K-1. */
  y: Tensor<'int32'>;
  classes: number;
}

/** Delayed recall: the label is the first token; `lag` random tokens follow it. Chance is 1/K. */
export function delayedRecall(count: number, lag: number, seed: number, classes = 8): DelayedRecall {
  checkCount('delayedRecall', 'count', count);
  checkCount('delayedRecall', 'lag', lag, 0);
  checkCount('delayedRecall', 'classes', classes, 2);
  const rng = new Rng(seed);
  const len = lag + 1;
  const x = new Int32Array(count * len);
  const y = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    for (let t = 0; t < len; t++) x[n * len + t] = 1 + Math.floor(rng.next() * classes);
    y[n] = x[n * len] - 1;
  }
  return { x: new Tensor('int32', x, [count, len]), y: new Tensor('int32', y, [count]), classes };
}

/** aⁿbⁿ tokens: 0 pads (after the string), 1 is a, 2 is b, and 3, as a target only, ends the string. */
export const ANBN = { pad: 0, a: 1, b: 2, end: 3, classes: 4 } as const;

/** The string aⁿbⁿ as token ids. */
export function anbnString(n: number): number[] {
  checkCount('anbnString', 'n', n);
  return [...new Array(n).fill(ANBN.a), ...new Array(n).fill(ANBN.b)];
}

/**
 * The legal next symbols after each prefix of aⁿbⁿ: after an a, another a or the first b (the
 * string does not say n yet); after the k-th b, b while k < n, then the end.
 */
export function anbnLegalNext(n: number): number[][] {
  checkCount('anbnLegalNext', 'n', n);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push([ANBN.a, ANBN.b]);
  for (let k = 1; k <= n; k++) out.push(k < n ? [ANBN.b] : [ANBN.end]);
  return out;
}

export interface AnbnBatch {
  /** [N, 2·maxN] token ids, padded with 0 after each string (for an embedding with maskZero). */
  x: Tensor<'int32'>;
  /** [N, 2·maxN] the next symbol at each step (the end after the last b); 0 on padding. */
  y: Tensor<'int32'>;
  ns: number[];
}

/** Strings aⁿbⁿ for the given n, padded to 2·maxN steps, with next-symbol targets. */
export function anbnBatch(ns: readonly number[], maxN: number): AnbnBatch {
  checkCount('anbnBatch', 'maxN', maxN);
  const len = 2 * maxN;
  const x = new Int32Array(ns.length * len);
  const y = new Int32Array(ns.length * len);
  ns.forEach((n, row) => {
    if (!(Number.isSafeInteger(n) && n >= 1 && n <= maxN))
      throw rangeError('anbnBatch', `ns[${row}]`, `an integer from 1 to maxN (${maxN})`, String(n));
    const s = anbnString(n);
    for (let t = 0; t < s.length; t++) {
      x[row * len + t] = s[t];
      y[row * len + t] = t + 1 < s.length ? s[t + 1] : ANBN.end;
    }
  });
  return { x: new Tensor('int32', x, [ns.length, len]), y: new Tensor('int32', y, [ns.length, len]), ns: [...ns] };
}

/**
 * Whether next-symbol probabilities [2n, 4] (one row per step of aⁿbⁿ) are exact: at every step
 * the most likely symbol is a legal continuation.
 */
export function anbnExact(probs: ArrayLike<number>, n: number): boolean {
  const legal = anbnLegalNext(n);
  const k = ANBN.classes;
  for (let t = 0; t < legal.length; t++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[t * k + c] > probs[t * k + best]) best = c;
    if (!legal[t].includes(best)) return false;
  }
  return true;
}
