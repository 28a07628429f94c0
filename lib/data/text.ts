// Token vocabularies and fixed-length id matrices for the text tasks.
import { Tensor } from '../tensor';

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const EOS = '<eos>';

export interface Vocabulary {
  /** Token of each id; the special tokens come first, so <pad> is always id 0. */
  readonly tokens: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

export function vocabularyFromTokens(tokens: readonly string[]): Vocabulary {
  return { tokens: [...tokens], index: new Map(tokens.map((t, i) => [t, i])) };
}

/**
 * Builds a vocabulary from token lists (the training split only, so nothing about validation or
 * test data leaks in): `specials` first, then tokens by falling count, ties in code-point order
 * so the result does not depend on input order; capped at `maxSize` ids in all.
 */
export function buildVocabulary(
  sequences: Iterable<readonly string[]>,
  specials: readonly string[],
  maxSize = Infinity,
  minCount = 1,
): Vocabulary {
  const counts = new Map<string, number>();
  for (const seq of sequences) for (const t of seq) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const s of specials) counts.delete(s);
  const ranked = [...counts.entries()]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([t]) => t);
  return vocabularyFromTokens([...specials, ...ranked.slice(0, Math.max(0, maxSize - specials.length))]);
}

/** Ids of `tokens`; unknown tokens map to <unk> (which must then be in the vocabulary). */
export function encodeTokens(vocab: Vocabulary, tokens: readonly string[]): number[] {
  const unk = vocab.index.get(UNK);
  return tokens.map((t) => {
    const id = vocab.index.get(t) ?? unk;
    if (id === undefined) throw new Error(`encodeTokens: the token "${t}" is not in the vocabulary, which has no ${UNK}`);
    return id;
  });
}

export type Padding = 'pre' | 'post';

/**
 * Packs id lists into an int32 [N, T] tensor. Sequences longer than T keep their first T ids;
 * shorter ones are filled with 0 (<pad>) before them ('pre', so a recurrent layer's final state
 * has just read real tokens) or after them ('post').
 */
export function padSequences(sequences: readonly (readonly number[])[], length: number, padding: Padding = 'pre'): Tensor<'int32'> {
  const out = new Int32Array(sequences.length * length);
  sequences.forEach((seq, n) => {
    const kept = seq.length > length ? seq.slice(0, length) : seq;
    const offset = n * length + (padding === 'pre' ? length - kept.length : 0);
    for (let t = 0; t < kept.length; t++) out[offset + t] = kept[t];
  });
  return new Tensor('int32', out, [sequences.length, length]);
}

export function labelTensor(labels: readonly number[]): Tensor<'int32'> {
  return new Tensor('int32', Int32Array.from(labels), [labels.length]);
}
