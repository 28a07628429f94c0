// A sequence-to-sequence model's configuration: the constructor's, compile's and decoding's
// arguments, their checks and defaults, and the padding convention (token 0 in both vocabularies).
import { rangeError, typeError } from '../../errors';
import { fraction, nonNegativeInt, oneOf, positiveInt } from '../../validate';
import type { MetricSpec } from '../../train/metrics';
import type { Optimizer } from '../../train/optimizers';
import { randomSeed } from '../../train/rng';
import { checkThreads } from '../../layers/layer';
import type { FitArgs } from '../fit-loop';

export const PAD = 0;

export interface Seq2SeqArgs {
  cell: 'gru' | 'lstm' | 'rnn';
  srcVocab: number;
  tgtVocab: number;
  embedDim: number;
  /** Hidden units of every encoder and decoder layer. */
  units: number;
  /** Recurrent layers in the encoder and in the decoder (default 1). */
  layers?: number;
  /** false (default) or 'luong': attention over the encoder outputs after the decoder RNN. */
  attention?: false | 'luong';
  /** Luong's score: 'general' (hᵀ·Wa·s, default) or 'dot' (hᵀ·s). */
  attentionScore?: 'general' | 'dot';
  /** Dropout rate on the input of every recurrent layer while training (default 0). */
  dropout?: number;
  /** The decoder's first input (default 1). */
  startToken?: number;
  /** Ends a target sequence; decoding stops there (default 2). */
  endToken?: number;
  /** Seeds weight initialization, shuffling and dropout (fit's `seed` overrides the latter two). */
  seed?: number;
  /** Threads of every native call: recurrent, dense, attention and decoding (default GATEDRNN_THREADS, else every hardware thread). */
  threads?: number;
  name?: string;
}

export interface Seq2SeqConfig {
  cell: 'gru' | 'lstm' | 'rnn';
  srcVocab: number;
  tgtVocab: number;
  embedDim: number;
  units: number;
  layers: number;
  attention: false | 'luong';
  attentionScore: 'general' | 'dot';
  dropout: number;
  startToken: number;
  endToken: number;
  seed: number;
  threads: number | null;
  name: string;
}

export interface Seq2SeqCompileArgs {
  optimizer: string | Optimizer;
  /** Over the target tokens that are not padding, e.g. ['accuracy']. */
  metrics?: (string | MetricSpec)[];
}

export type Seq2SeqFitArgs = FitArgs;

export interface DecodeArgs {
  /** 'greedy' (default) or 'beam'. */
  method?: 'greedy' | 'beam';
  /** Hypotheses kept per source in beam search (default 4). */
  beamWidth?: number;
  /** Most tokens per output, the end token not counted (default 2 × source length + 2). */
  maxLength?: number;
  /** Sources decoded together (default 64). */
  batchSize?: number;
}

export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

export const checkPositive = (where: string, name: string, v: unknown): number => positiveInt(where, name, v);

/** The constructor's arguments checked, with their defaults filled in. */
export function normalize(args: Seq2SeqArgs): Seq2SeqConfig {
  const where = 'seq2seq';
  if (args === null || typeof args !== 'object')
    throw typeError(where, 'its argument', 'a config object { cell, srcVocab, tgtVocab, embedDim, units, ... }', args);
  oneOf(where, 'cell', args.cell, ['gru', 'lstm', 'rnn'] as const, "'gru', 'lstm' or 'rnn'");
  const srcVocab = checkPositive(where, 'srcVocab', args.srcVocab);
  const tgtVocab = checkPositive(where, 'tgtVocab', args.tgtVocab);
  const embedDim = checkPositive(where, 'embedDim', args.embedDim);
  const units = checkPositive(where, 'units', args.units);
  const layers = args.layers === undefined ? 1 : checkPositive(where, 'layers', args.layers);
  const attention = args.attention ?? false;
  oneOf(where, 'attention', attention, [false, 'luong'] as const, "false or 'luong'");
  const attentionScore = args.attentionScore ?? 'general';
  oneOf(where, 'attentionScore', attentionScore, ['general', 'dot'] as const, "'general' or 'dot'");
  const dropout = args.dropout ?? 0;
  fraction(where, 'dropout', dropout);
  const startToken = args.startToken ?? 1;
  const endToken = args.endToken ?? 2;
  for (const [name, v] of [
    ['startToken', startToken],
    ['endToken', endToken],
  ] as const) {
    if (!isInt(v) || v < 1 || v >= tgtVocab)
      throw rangeError(where, name, `a token id in [1, ${tgtVocab - 1}] (0 is padding; tgtVocab ${tgtVocab})`, String(v));
  }
  if (startToken === endToken) throw rangeError(where, 'endToken', `a token other than startToken (${startToken})`, String(endToken));
  if (args.seed !== undefined) nonNegativeInt(where, 'seed', args.seed, Number.MAX_SAFE_INTEGER);
  const threads = args.threads === null ? null : (checkThreads(where, args.threads) ?? null);
  if (args.name !== undefined && (typeof args.name !== 'string' || args.name === ''))
    throw typeError(where, 'name', 'a non-empty string', args.name);
  return {
    cell: args.cell,
    srcVocab,
    tgtVocab,
    embedDim,
    units,
    layers,
    attention,
    attentionScore,
    dropout,
    startToken,
    endToken,
    seed: args.seed ?? randomSeed(),
    threads,
    name: args.name ?? 'seq2seq',
  };
}

/** Each row's length: 1 + the position of its last non-padding token. */
export function lengthsOf(ids: Int32Array, n: number, t: number): Int32Array {
  const lens = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    let len = 0;
    for (let s = 0; s < t; s++) if (ids[b * t + s] !== PAD) len = s + 1;
    lens[b] = len;
  }
  return lens;
}
