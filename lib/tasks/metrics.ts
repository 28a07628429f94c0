// Task metrics as pure functions over predictions and references.

function checkLengths(where: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length)
    throw new RangeError(`${where}: expected predictions and references of the same length, but received ${a.length} and ${b.length}`);
  if (a.length === 0) throw new RangeError(`${where}: expected at least one prediction, but received 0`);
}

export function accuracy(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  checkLengths('accuracy', predicted, actual);
  let hit = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] === actual[i]) hit++;
  return hit / actual.length;
}

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** For one positive class; a ratio with a zero denominator is 0 (no positive predicted or present). */
export function precisionRecallF1(predicted: ArrayLike<number>, actual: ArrayLike<number>, positive = 1): PrecisionRecallF1 {
  checkLengths('precisionRecallF1', predicted, actual);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < actual.length; i++) {
    const p = predicted[i] === positive;
    const a = actual[i] === positive;
    if (p && a) tp++;
    else if (p) fp++;
    else if (a) fn++;
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** F1 of class 1 for two classes; the unweighted mean of per-class F1 (macro) for more. */
export function f1Score(predicted: ArrayLike<number>, actual: ArrayLike<number>, numClasses = 2): number {
  if (numClasses <= 2) return precisionRecallF1(predicted, actual, 1).f1;
  let sum = 0;
  for (let c = 0; c < numClasses; c++) sum += precisionRecallF1(predicted, actual, c).f1;
  return sum / numClasses;
}

export function mse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  checkLengths('mse', predicted, actual);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += (predicted[i] - actual[i]) ** 2;
  return s / actual.length;
}

export function rmse(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  return Math.sqrt(mse(predicted, actual));
}

export function mae(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  checkLengths('mae', predicted, actual);
  let s = 0;
  for (let i = 0; i < actual.length; i++) s += Math.abs(predicted[i] - actual[i]);
  return s / actual.length;
}

/**
 * Share of days whose predicted direction matches the actual one, "up" meaning > 0 for both; a
 * prediction of exactly 0 (zero-return baseline) therefore always says "not up".
 */
export function directionalAccuracy(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  checkLengths('directionalAccuracy', predicted, actual);
  let hit = 0;
  for (let i = 0; i < actual.length; i++) if (predicted[i] > 0 === actual[i] > 0) hit++;
  return hit / actual.length;
}

/** Levenshtein distance (insertions, deletions, substitutions all cost 1). */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Phoneme error rate over a corpus: total edit distance / total reference length. */
export function phonemeErrorRate(hypotheses: readonly (readonly string[])[], references: readonly (readonly string[])[]): number {
  checkLengths('phonemeErrorRate', hypotheses, references);
  let edits = 0;
  let length = 0;
  hypotheses.forEach((h, i) => {
    edits += editDistance(h, references[i]);
    length += references[i].length;
  });
  if (length === 0) throw new RangeError('phonemeErrorRate: expected references with at least one phoneme, but all are empty');
  return edits / length;
}

/** Word error rate in the G2P sense: share of words whose phoneme sequence is not exactly right. */
export function wordErrorRate(hypotheses: readonly (readonly string[])[], references: readonly (readonly string[])[]): number {
  checkLengths('wordErrorRate', hypotheses, references);
  let wrong = 0;
  hypotheses.forEach((h, i) => {
    const r = references[i];
    if (h.length !== r.length || h.some((t, k) => t !== r[k])) wrong++;
  });
  return wrong / references.length;
}

/** The epsilon that replaces a zero n-gram match count in BLEU (Chen & Cherry 2014, method 1). */
export const BLEU_EPSILON = 0.1;

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0000');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/**
 * Corpus BLEU-4 with one reference per hypothesis: clipped n-gram precisions summed over the
 * corpus (n = 1..4), geometric mean with equal weights, times the brevity penalty
 * exp(min(0, 1 - r/c)). Smoothing: a precision whose match count is 0 uses BLEU_EPSILON matches
 * instead (method 1), so one missing order does not zero the score. A corpus with no n-gram of
 * some order (every hypothesis shorter than n, or all empty) scores 0.
 */
export function bleu(hypotheses: readonly (readonly string[])[], references: readonly (readonly string[])[], maxOrder = 4): number {
  checkLengths('bleu', hypotheses, references);
  const matches = new Array<number>(maxOrder).fill(0);
  const totals = new Array<number>(maxOrder).fill(0);
  let hypLength = 0;
  let refLength = 0;
  hypotheses.forEach((h, i) => {
    const r = references[i];
    hypLength += h.length;
    refLength += r.length;
    for (let n = 1; n <= maxOrder; n++) {
      const hc = ngramCounts(h, n);
      const rc = ngramCounts(r, n);
      for (const [g, c] of hc) matches[n - 1] += Math.min(c, rc.get(g) ?? 0);
      totals[n - 1] += Math.max(0, h.length - n + 1);
    }
  });
  if (hypLength === 0) return 0;
  let logSum = 0;
  for (let n = 0; n < maxOrder; n++) {
    if (totals[n] === 0) return 0;
    logSum += Math.log((matches[n] > 0 ? matches[n] : BLEU_EPSILON) / totals[n]);
  }
  const brevity = hypLength >= refLength ? 1 : Math.exp(1 - refLength / hypLength);
  return brevity * Math.exp(logSum / maxOrder);
}

/** Per-item scores behind accuracy: 1 where the prediction is right, else 0. */
export function correctItems(predicted: ArrayLike<number>, actual: ArrayLike<number>): number[] {
  checkLengths('correctItems', predicted, actual);
  return Array.from(actual, (a, i) => (predicted[i] === a ? 1 : 0));
}

/** Per-item squared errors, behind MSE and RMSE. */
export function squaredErrorItems(predicted: ArrayLike<number>, actual: ArrayLike<number>): number[] {
  checkLengths('squaredErrorItems', predicted, actual);
  return Array.from(actual, (a, i) => (predicted[i] - a) ** 2);
}

/** Per-word edit distances and reference lengths, behind the phoneme error rate. */
export function editItems(
  hypotheses: readonly (readonly string[])[],
  references: readonly (readonly string[])[],
): { num: number[]; den: number[] } {
  checkLengths('editItems', hypotheses, references);
  return { num: hypotheses.map((h, i) => editDistance(h, references[i])), den: references.map((r) => r.length) };
}
