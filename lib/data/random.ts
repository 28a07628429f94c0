// Seeded randomness for dataset splits: the same seed gives the same split on every machine.

import { Rng } from '../rng';

/** Fisher–Yates over 0..n-1 with a seeded generator. */
export function shuffledIndices(n: number, seed: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

export interface SplitFractions {
  validation: number;
  test: number;
}

export interface SplitIndices {
  train: number[];
  validation: number[];
  test: number[];
}

export const DEFAULT_FRACTIONS: SplitFractions = { validation: 0.15, test: 0.15 };

function counts(n: number, fractions: SplitFractions): [number, number, number] {
  const nTest = Math.round(n * fractions.test);
  const nVal = Math.round(n * fractions.validation);
  return [n - nVal - nTest, nVal, nTest];
}

/** A shuffled split: for data whose order means nothing (mails, names, words). */
export function randomSplit(n: number, seed: number, fractions: SplitFractions = DEFAULT_FRACTIONS): SplitIndices {
  const idx = shuffledIndices(n, seed);
  const [nTrain, nVal] = counts(n, fractions);
  return { train: idx.slice(0, nTrain), validation: idx.slice(nTrain, nTrain + nVal), test: idx.slice(nTrain + nVal) };
}

/** A chronological split: train is the past, test the most recent, so no future leaks into training. */
export function chronologicalSplit(n: number, fractions: SplitFractions = DEFAULT_FRACTIONS): SplitIndices {
  const [nTrain, nVal] = counts(n, fractions);
  const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
  return { train: range(0, nTrain), validation: range(nTrain, nTrain + nVal), test: range(nTrain + nVal, n) };
}
