// Encoder–decoder (sequence-to-sequence) models. The encoder embeds the source and runs a GRU,
// LSTM or plain tanh RNN stack over it (padding handled by sequence lengths); the decoder starts from the encoder's
// final states, reads the target shifted right by one (teacher forcing: one RNN call per layer
// over the whole target), optionally attends over the encoder's outputs (Luong, after the RNN),
// and projects to the target vocabulary. Decoding steps the inference ops one token at a time.
// Token 0 is padding in both vocabularies; the target ends with `endToken`.
import { rangeError, typeError } from '../errors';
import { fraction, nonNegativeInt, oneOf, positiveInt } from '../validate';
import { Tensor } from '../tensor';
import { GruOp } from '../ops/gru';
import { LstmOp } from '../ops/lstm';
import { RnnOp } from '../ops/rnn';
import { Dense, Dropout, Embedding } from '../layers';
import { makeParam } from '../layers/layer';
import type { Activation, Param, RunContext } from '../layers/layer';
import { Logs, TrainingModel } from '../train/callbacks';
import { gemm } from '../train/gemm';
import { buildingFromFile, initMatrix } from '../train/initializers';
import { Loss } from '../train/losses';
import { Metric, MetricSpec, toMetrics } from '../train/metrics';
import { RnnTrainer, TrainInputs } from '../train/native-rnn';
import { Optimizer, OptimizerConfig, optimizerFromConfig, toOptimizer } from '../train/optimizers';
import { randomSeed, Rng } from '../train/rng';
import { Batchable, ModelData, range, takeRows, toBatchable } from './data';
import { compileSettings, decode, encode, floatsIn, writeAtomic } from './io';
import { BaseFitArgs, fitCallbacks, History, logsOf, makeHistory, meanLoss, runEpoch, trainingSeed, yieldToEventLoop } from './fit-loop';

const PAD = 0;

// Training draws from a stream other than initialization's, even when both come from one seed.

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
  /** Threads of the recurrent and attention calls (default GATEDRNN_THREADS, else every hardware thread). */
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

export type Seq2SeqFitArgs = BaseFitArgs;

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

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

function normalize(args: Seq2SeqArgs): Seq2SeqConfig {
  const where = 'seq2seq';
  if (args === null || typeof args !== 'object') throw typeError(where, 'its argument', 'a config object { cell, srcVocab, tgtVocab, embedDim, units, ... }', args);
  oneOf(where, 'cell', args.cell, ['gru', 'lstm', 'rnn'] as const, "'gru', 'lstm' or 'rnn'");
  const srcVocab = positiveInt(where, 'srcVocab', args.srcVocab);
  const tgtVocab = positiveInt(where, 'tgtVocab', args.tgtVocab);
  const embedDim = positiveInt(where, 'embedDim', args.embedDim);
  const units = positiveInt(where, 'units', args.units);
  const layers = args.layers === undefined ? 1 : positiveInt(where, 'layers', args.layers);
  const attention = args.attention ?? false;
  oneOf(where, 'attention', attention, [false, 'luong'] as const, "false or 'luong'");
  const attentionScore = args.attentionScore ?? 'general';
  oneOf(where, 'attentionScore', attentionScore, ['general', 'dot'] as const, "'general' or 'dot'");
  const dropout = args.dropout ?? 0;
  fraction(where, 'dropout', dropout);
  const startToken = args.startToken ?? 1;
  const endToken = args.endToken ?? 2;
  for (const [name, v] of [['startToken', startToken], ['endToken', endToken]] as const) {
    if (!isInt(v) || v < 1 || v >= tgtVocab) throw rangeError(where, name, `a token id in [1, ${tgtVocab - 1}] (0 is padding; tgtVocab ${tgtVocab})`, String(v));
  }
  if (startToken === endToken) throw rangeError(where, 'endToken', `a token other than startToken (${startToken})`, String(endToken));
  if (args.seed !== undefined) nonNegativeInt(where, 'seed', args.seed, Number.MAX_SAFE_INTEGER);
  const threads = args.threads === undefined || args.threads === null ? null : positiveInt(where, 'threads', args.threads);
  if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) throw typeError(where, 'name', 'a non-empty string', args.name);
  return {
    cell: args.cell, srcVocab, tgtVocab, embedDim, units, layers, attention, attentionScore, dropout, startToken, endToken,
    seed: args.seed ?? randomSeed(), threads, name: args.name ?? 'seq2seq',
  };
}

/** Each row's length: 1 + the position of its last non-padding token. */
function lengthsOf(ids: Int32Array, n: number, t: number): Int32Array {
  const lens = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    let len = 0;
    for (let s = 0; s < t; s++) if (ids[b * t + s] !== PAD) len = s + 1;
    lens[b] = len;
  }
  return lens;
}

/** Softmax over the first `len` of each `ts`-wide row in place; the rest become 0 (all 0 when len is 0). */
function maskedSoftmax(a: Float32Array, rows: number, ts: number, len: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * ts;
    let m = -Infinity;
    for (let s = 0; s < len; s++) if (a[o + s] > m) m = a[o + s];
    let sum = 0;
    for (let s = 0; s < len; s++) sum += Math.exp(a[o + s] - m);
    for (let s = 0; s < ts; s++) a[o + s] = s < len ? Math.exp(a[o + s] - m) / sum : 0;
  }
}

/** One GRU, LSTM or plain RNN layer: parameters in ONNX layout, trained through the native BPTT kernels. */
class RnnLayer {
  readonly W: Param;
  readonly R: Param;
  readonly B: Param;
  private trainer: RnnTrainer | null = null;
  private last: { inputs: TrainInputs; saved: Float32Array } | null = null;

  constructor(readonly prefix: string, readonly cell: 'GRU' | 'LSTM' | 'RNN', readonly inputSize: number, readonly units: number, private readonly threads: number | null, rng: Rng) {
    const g = cell === 'GRU' ? 3 : cell === 'LSTM' ? 4 : 1;
    const gh = g * units;
    this.W = makeParam(`${prefix}/W`, [1, gh, inputSize]);
    this.R = makeParam(`${prefix}/R`, [1, gh, units]);
    this.B = makeParam(`${prefix}/B`, [1, 2 * gh]);
    // Keras's defaults: Glorot-uniform kernel, orthogonal recurrent kernel, zero bias, and for
    // the LSTM a forget-gate bias of 1 (gates i o f c: the third block).
    initMatrix('glorotUniform', gh, inputSize, rng, (r, c, v) => (this.W.value[r * inputSize + c] = v));
    initMatrix('orthogonal', gh, units, rng, (r, c, v) => (this.R.value[r * units + c] = v));
    if (cell === 'LSTM') this.B.value.fill(1, 2 * units, 3 * units);
  }

  get params(): Param[] {
    return [this.W, this.R, this.B];
  }

  private native(): RnnTrainer {
    this.trainer ??= new RnnTrainer({
      cell: this.cell, hiddenSize: this.units, inputSize: this.inputSize, linearBeforeReset: this.cell === 'GRU' ? 1 : 0, layout: 1,
      threads: this.threads ?? undefined,
    });
    return this.trainer;
  }

  private weights(): { W: Float32Array; R: Float32Array; B: Float32Array } {
    return { W: this.W.value, R: this.R.value, B: this.B.value };
  }

  /** X [N, T, I] → Y [N, T, H], and the final states [N, H] (c for an LSTM). */
  async forward(X: Float32Array, n: number, t: number, lengths: Int32Array, h0: Float32Array | null, c0: Float32Array | null, training: boolean): Promise<{ Y: Float32Array; h: Float32Array; c: Float32Array | null }> {
    const inputs: TrainInputs = { X, seqLength: t, batchSize: n, sequenceLens: lengths, initialH: h0, initialC: this.cell === 'LSTM' ? c0 : null };
    const out = await this.native().forwardAsync(this.weights(), inputs);
    if (training) this.last = { inputs, saved: out.saved };
    return { Y: out.Y!, h: out.Y_h!, c: this.cell === 'LSTM' ? out.Y_c! : null };
  }

  /** Gradients of the last training forward: stores dW, dR, dB; returns dX and the initial states' gradients. */
  async backward(dY: Float32Array | null, dH: Float32Array | null, dC: Float32Array | null): Promise<{ dX: Float32Array; dH0: Float32Array; dC0: Float32Array | null }> {
    const { inputs, saved } = this.last!;
    const g = await this.native().backwardAsync(this.weights(), inputs, saved, { dY, dY_h: dH, dY_c: this.cell === 'LSTM' ? dC : null });
    this.W.grad.set(g.dW);
    this.R.grad.set(g.dR);
    this.B.grad.set(g.dB);
    return { dX: g.dX, dH0: g.dInitialH, dC0: g.dInitialC ?? null };
  }

  /** The inference operator over the current weights (batch-major), for decoding. */
  op(): GruOp | LstmOp | RnnOp {
    const gh = this.W.shape[1];
    const weights = {
      W: new Tensor('float32', this.W.value, [1, gh, this.inputSize]),
      R: new Tensor('float32', this.R.value, [1, gh, this.units]),
      B: new Tensor('float32', this.B.value, [1, 2 * gh]),
    };
    const threads = this.threads ?? undefined;
    if (this.cell === 'RNN') return new RnnOp(weights, { layout: 1, threads });
    return this.cell === 'GRU' ? new GruOp(weights, { linearBeforeReset: 1, layout: 1, threads }) : new LstmOp(weights, { layout: 1, threads });
  }

  dispose(): void {
    this.trainer?.dispose();
    this.trainer = null;
    this.last = null;
  }
}

/** What decoding keeps per batch of sources: the encoder's outputs and the operators. */
interface Decoding {
  decOps: (GruOp | LstmOp | RnnOp)[];
  /** Encoder outputs [n, ts, H] and their keys for the attention score ([n, ts, H]). */
  he: Float32Array;
  ke: Float32Array;
  lens: Int32Array;
  ts: number;
}

export class Seq2Seq implements TrainingModel {
  readonly className = 'Seq2Seq';
  readonly config: Seq2SeqConfig;
  stopTraining = false;
  optimizer: Optimizer | null = null;
  private metricSpecs: (string | MetricSpec)[] | null = null;
  private metrics: Metric[] = [];
  /** Masked sparse cross-entropy: padding targets weigh nothing. */
  private readonly loss = new Loss('sparseCategoricalCrossentropy', { ignoreClass: PAD });
  /** Shuffling and dropout; carries on across fit calls unless fit is given a seed. */
  private trainRng: Rng;
  private readonly srcEmbed: Embedding;
  private readonly tgtEmbed: Embedding;
  private readonly encoder: RnnLayer[] = [];
  private readonly decoder: RnnLayer[] = [];
  private readonly encDrop: Dropout[] = [];
  private readonly decDrop: Dropout[] = [];
  private readonly attnW: Param | null = null;
  private readonly attnDense: Dense | null = null;
  private readonly output: Dense;
  /** The last training forward's attention inputs and weights, for backward. */
  private attnCache: { hd: Float32Array; he: Float32Array; ke: Float32Array; a: Float32Array; n: number; tt: number; ts: number } | null = null;

  constructor(args: Seq2SeqArgs) {
    const c = (this.config = normalize(args));
    const rng = new Rng(c.seed);
    this.trainRng = new Rng(trainingSeed(c.seed));
    const rnn = c.cell === 'gru' ? 'GRU' : c.cell === 'lstm' ? 'LSTM' : 'RNN';
    const H = c.units;
    this.srcEmbed = new Embedding({ name: 'encoder_embedding', inputDim: c.srcVocab, outputDim: c.embedDim, maskZero: true });
    this.srcEmbed.build([-1], rng);
    for (let l = 0; l < c.layers; l++) {
      const fin = l === 0 ? c.embedDim : H;
      this.encDrop.push(new Dropout({ name: `encoder_dropout_${l}`, rate: c.dropout }));
      this.encDrop[l].build([-1, fin], rng);
      this.encoder.push(new RnnLayer(`encoder/${rnn.toLowerCase()}_${l}`, rnn, fin, H, c.threads, rng));
    }
    this.tgtEmbed = new Embedding({ name: 'decoder_embedding', inputDim: c.tgtVocab, outputDim: c.embedDim });
    this.tgtEmbed.build([-1], rng);
    for (let l = 0; l < c.layers; l++) {
      const fin = l === 0 ? c.embedDim : H;
      this.decDrop.push(new Dropout({ name: `decoder_dropout_${l}`, rate: c.dropout }));
      this.decDrop[l].build([-1, fin], rng);
      this.decoder.push(new RnnLayer(`decoder/${rnn.toLowerCase()}_${l}`, rnn, fin, H, c.threads, rng));
    }
    if (c.attention) {
      if (c.attentionScore === 'general') {
        this.attnW = makeParam('attention/Wa', [H, H]);
        initMatrix('glorotUniform', H, H, rng, (r, col, v) => (this.attnW!.value[r * H + col] = v));
      }
      this.attnDense = new Dense({ name: 'attention_dense', units: H, activation: 'tanh' });
      this.attnDense.build([-1, 2 * H], rng);
    }
    this.output = new Dense({ name: 'output', units: c.tgtVocab, activation: 'softmax' });
    this.output.build([-1, H], rng);
  }

  /** Every trainable parameter, in a fixed order (the order of getWeights and the optimizer's state). */
  get params(): Param[] {
    return [
      ...this.srcEmbed.params,
      ...this.encoder.flatMap((l) => l.params),
      ...this.tgtEmbed.params,
      ...this.decoder.flatMap((l) => l.params),
      ...(this.attnW ? [this.attnW] : []),
      ...(this.attnDense ? this.attnDense.params : []),
      ...this.output.params,
    ];
  }

  /** Names of the parameters as the model file stores them, in `params` order. */
  private paramNames(): string[] {
    const named = (prefix: string, ps: Param[]): string[] => ps.map((p) => `${prefix}/${p.name}`);
    return [
      ...named('encoder/embedding', this.srcEmbed.params),
      ...this.encoder.flatMap((l) => l.params.map((p) => p.name)),
      ...named('decoder/embedding', this.tgtEmbed.params),
      ...this.decoder.flatMap((l) => l.params.map((p) => p.name)),
      ...(this.attnW ? [this.attnW.name] : []),
      ...(this.attnDense ? named('attention/dense', this.attnDense.params) : []),
      ...named('output', this.output.params),
    ];
  }

  countParams(): number {
    return this.params.reduce((a, p) => a + p.value.length, 0);
  }

  getWeights(): Float32Array[] {
    return this.params.map((p) => Float32Array.from(p.value));
  }

  setWeights(weights: Float32Array[]): void {
    const ps = this.params;
    if (!Array.isArray(weights) || weights.length !== ps.length) throw rangeError('Seq2Seq.setWeights', 'weights.length', String(ps.length), String(weights?.length));
    ps.forEach((p, i) => {
      if (Object.prototype.toString.call(weights[i]) !== '[object Float32Array]' || weights[i].length !== p.value.length) {
        throw rangeError('Seq2Seq.setWeights', `weights[${i}]`, `a Float32Array(${p.value.length}) for ${p.name} [${p.shape.join(', ')}]`, String(weights[i]?.length));
      }
      p.value.set(weights[i]);
    });
  }

  compile(args: Seq2SeqCompileArgs): void {
    const where = 'Seq2Seq.compile';
    if (args === null || typeof args !== 'object') throw typeError(where, 'its argument', '{ optimizer, metrics }', args);
    this.optimizer = toOptimizer(where, args.optimizer);
    this.metrics = toMetrics(where, args.metrics, this.loss);
    this.metricSpecs = args.metrics ?? [];
  }

  // --- data ------------------------------------------------------------------------------------

  private tokens(where: string, name: string, v: unknown, vocab: number, vocabName: string): Batchable {
    const b = toBatchable(where, name, v, 'int32');
    if (b.dims.length !== 2 || b.dims[1] < 1) throw rangeError(where, `${name}.dims`, '[N, T] token ids', `[${b.dims.join(', ')}]`);
    const ids = b.data as Int32Array;
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i] >= 0 && ids[i] < vocab)) throw rangeError(where, `${name} values`, `token ids in [0, ${vocab - 1}] (${vocabName} ${vocab})`, `${ids[i]} at flat index ${i}`);
    }
    return b;
  }

  private pair(where: string, src: unknown, tgt: unknown, srcName = 'src', tgtName = 'tgt'): [Batchable, Batchable] {
    const s = this.tokens(where, srcName, src, this.config.srcVocab, 'srcVocab');
    const t = this.tokens(where, tgtName, tgt, this.config.tgtVocab, 'tgtVocab');
    if (t.dims[0] !== s.dims[0]) throw rangeError(where, `${tgtName}.dims[0]`, `${s.dims[0]} (one target per source in ${srcName})`, String(t.dims[0]));
    return [s, t];
  }

  // --- teacher-forced forward and backward -------------------------------------------------------

  /** Encoder outputs of the top layer and every layer's final states. */
  private async encode(src: Int32Array, n: number, ts: number, ctx: RunContext): Promise<{ he: Float32Array; lens: Int32Array; h: Float32Array[]; c: (Float32Array | null)[] }> {
    let x: Activation = await this.srcEmbed.forward({ data: src, dims: [n, ts] }, ctx);
    const lens = x.lengths!;
    const h: Float32Array[] = [];
    const c: (Float32Array | null)[] = [];
    for (let l = 0; l < this.encoder.length; l++) {
      x = await this.encDrop[l].forward(x, ctx);
      const out = await this.encoder[l].forward(x.data as Float32Array, n, ts, lens, null, null, ctx.training);
      h.push(out.h);
      c.push(out.c);
      x = { data: out.Y, dims: [n, ts, this.config.units], lengths: lens };
    }
    return { he: x.data as Float32Array, lens, h, c };
  }

  /** The loss of one batch (teacher forcing); with `train`, also the gradients of every parameter. */
  private async step(src: Batchable, tgt: Batchable, train: boolean): Promise<{ loss: number; rows: number }> {
    const ctx: RunContext = { training: train, rng: this.trainRng };
    const [n, ts] = src.dims;
    const tt = tgt.dims[1];
    const H = this.config.units;
    const target = tgt.data as Int32Array;
    const enc = await this.encode(src.data as Int32Array, n, ts, ctx);
    // The decoder reads <start> y0 .. y(T-2) and predicts y0 .. y(T-1).
    const decIn = new Int32Array(n * tt);
    for (let b = 0; b < n; b++) {
      decIn[b * tt] = this.config.startToken;
      decIn.set(target.subarray(b * tt, b * tt + tt - 1), b * tt + 1);
    }
    const tgtLens = lengthsOf(target, n, tt);
    let x: Activation = await this.tgtEmbed.forward({ data: decIn, dims: [n, tt] }, ctx);
    for (let l = 0; l < this.decoder.length; l++) {
      x = await this.decDrop[l].forward(x, ctx);
      const out = await this.decoder[l].forward(x.data as Float32Array, n, tt, tgtLens, enc.h[l], enc.c[l], train);
      x = { data: out.Y, dims: [n, tt, H] };
    }
    if (this.attnDense) {
      const concat = this.attend(x.data as Float32Array, enc.he, enc.lens, n, tt, ts, train);
      x = await this.attnDense.forward({ data: concat, dims: [n, tt, 2 * H] }, ctx);
    }
    const probs = (await this.output.forward(x, ctx)).data as Float32Array;
    const weights = new Float32Array(n * tt).fill(1);
    this.loss.applyIgnore(target, weights);
    const V = this.config.tgtVocab;
    const { loss, grad } = this.loss.compute({ pred: probs, logits: this.output.preactivation!, width: V, target, weights });
    for (const m of this.metrics) m.update({ pred: probs, width: V, target, sparse: true, weights });
    const rows = weights.reduce((a, w) => a + w, 0);
    if (train) await this.backward(grad);
    return { loss, rows };
  }

  private async backward(dLogits: Float32Array): Promise<void> {
    let dTop = await this.output.backwardFromPreactivation(dLogits);
    let dEncTop: Float32Array | null = null;
    if (this.attnDense) {
      const r = this.attendBackward(await this.attnDense.backward(dTop));
      dTop = r.dHd;
      dEncTop = r.dHe;
    }
    // The decoder's initial-state gradients are the encoder's final-state gradients, layer by layer.
    const dH: Float32Array[] = [];
    const dC: (Float32Array | null)[] = [];
    for (let l = this.decoder.length - 1; l >= 0; l--) {
      const r = await this.decoder[l].backward(dTop, null, null);
      dH[l] = r.dH0;
      dC[l] = r.dC0;
      dTop = await this.decDrop[l].backward(r.dX);
    }
    await this.tgtEmbed.backward(dTop);
    let dY = dEncTop;
    for (let l = this.encoder.length - 1; l >= 0; l--) {
      const r = await this.encoder[l].backward(dY, dH[l], dC[l]);
      dY = await this.encDrop[l].backward(r.dX);
    }
    await this.srcEmbed.backward(dY!);
  }

  /** Attention keys: Wa·s for each encoder output s ('general'), or s itself ('dot'). */
  private keys(he: Float32Array, rows: number): Float32Array {
    if (!this.attnW) return he;
    const H = this.config.units;
    return gemm({ transB: true, M: rows, N: H, K: H, A: he, B: this.attnW.value, C: new Float32Array(rows * H), threads: this.config.threads ?? undefined });
  }

  /** [context; hd] per decoder step, context = softmax over valid source steps of (hd · key) applied to the encoder outputs. */
  private attend(hd: Float32Array, he: Float32Array, lens: Int32Array, n: number, tt: number, ts: number, train: boolean): Float32Array {
    const H = this.config.units;
    const threads = this.config.threads ?? undefined;
    const ke = this.keys(he, n * ts);
    const a = new Float32Array(n * tt * ts);
    const context = new Float32Array(n * tt * H);
    for (let b = 0; b < n; b++) {
      const heB = he.subarray(b * ts * H, (b + 1) * ts * H);
      const aB = a.subarray(b * tt * ts, (b + 1) * tt * ts);
      gemm({ transB: true, M: tt, N: ts, K: H, A: hd.subarray(b * tt * H, (b + 1) * tt * H), B: ke.subarray(b * ts * H, (b + 1) * ts * H), C: aB, threads });
      maskedSoftmax(aB, tt, ts, lens[b]);
      gemm({ M: tt, N: H, K: ts, A: aB, B: heB, C: context.subarray(b * tt * H, (b + 1) * tt * H), threads });
    }
    if (train) this.attnCache = { hd, he, ke, a, n, tt, ts };
    return concatRows(context, hd, n * tt, H);
  }

  private attendBackward(dConcat: Float32Array): { dHd: Float32Array; dHe: Float32Array } {
    const { hd, he, ke, a, n, tt, ts } = this.attnCache!;
    const H = this.config.units;
    const threads = this.config.threads ?? undefined;
    const rows = n * tt;
    const dCtx = new Float32Array(rows * H);
    const dHd = new Float32Array(rows * H);
    for (let r = 0; r < rows; r++) {
      dCtx.set(dConcat.subarray(r * 2 * H, r * 2 * H + H), r * H);
      dHd.set(dConcat.subarray(r * 2 * H + H, (r + 1) * 2 * H), r * H);
    }
    const dHe = new Float32Array(n * ts * H);
    // 'dot': the keys are the encoder outputs, so their gradient adds into dHe directly.
    const dKe = this.attnW ? new Float32Array(n * ts * H) : dHe;
    const dA = new Float32Array(tt * ts);
    for (let b = 0; b < n; b++) {
      const t0 = b * tt * H, t1 = (b + 1) * tt * H;
      const s0 = b * ts * H, s1 = (b + 1) * ts * H;
      const aB = a.subarray(b * tt * ts, (b + 1) * tt * ts);
      const dC = dCtx.subarray(t0, t1);
      gemm({ transB: true, M: tt, N: ts, K: H, A: dC, B: he.subarray(s0, s1), C: dA, threads });
      gemm({ transA: true, M: ts, N: H, K: tt, A: aB, B: dC, C: dHe.subarray(s0, s1), threads });
      // Softmax backward: dScore = a ⊙ (dA − Σ a·dA) per row (masked steps have a = 0).
      for (let t = 0; t < tt; t++) {
        let dot = 0;
        for (let s = 0; s < ts; s++) dot += aB[t * ts + s] * dA[t * ts + s];
        for (let s = 0; s < ts; s++) dA[t * ts + s] = aB[t * ts + s] * (dA[t * ts + s] - dot);
      }
      gemm({ M: tt, N: H, K: ts, A: dA, B: ke.subarray(s0, s1), C: dHd.subarray(t0, t1), beta: 1, threads });
      gemm({ transA: true, M: ts, N: H, K: tt, A: dA, B: hd.subarray(t0, t1), C: dKe.subarray(s0, s1), beta: this.attnW ? 0 : 1, threads });
    }
    if (this.attnW) {
      gemm({ transA: true, M: H, N: H, K: n * ts, A: dKe, B: he, C: this.attnW.grad, threads });
      gemm({ M: n * ts, N: H, K: H, A: dKe, B: this.attnW.value, C: dHe, beta: 1, threads });
    }
    this.attnCache = null;
    return { dHd, dHe };
  }

  // --- fit / evaluate ------------------------------------------------------------------------------

  /** The mean masked cross-entropy of a batch and its gradients (stored in each parameter's grad); no update. */
  async computeGradients(src: unknown, tgt: unknown): Promise<number> {
    const [s, t] = this.pair('Seq2Seq.computeGradients', src, tgt);
    return (await this.step(s, t, true)).loss;
  }

  private requireOptimizer(where: string): Optimizer {
    if (!this.optimizer) throw new Error(`${where}: the model is not compiled; call model.compile({ optimizer, metrics }) first`);
    return this.optimizer;
  }

  /** Trains with teacher forcing; resolves to the history of losses and metrics per epoch. Yields to the event loop between batches. */
  async fit(src: ModelData, tgt: ModelData, args: Seq2SeqFitArgs = {}): Promise<History> {
    const where = 'Seq2Seq.fit';
    this.requireOptimizer(where);
    if (args === null || typeof args !== 'object') throw typeError(where, 'its third argument', 'an options object', args);
    const epochs = args.epochs ?? 1;
    nonNegativeInt(where, 'epochs', epochs, Number.MAX_SAFE_INTEGER);
    const batchSize = args.batchSize === undefined ? 32 : positiveInt(where, 'batchSize', args.batchSize);
    if (args.seed !== undefined) nonNegativeInt(where, 'seed', args.seed, Number.MAX_SAFE_INTEGER);
    const [S, T] = this.pair(where, src, tgt);
    let val: [Batchable, Batchable] | null = null;
    if (args.validationData !== undefined) {
      if (!Array.isArray(args.validationData) || args.validationData.length !== 2) throw typeError(where, 'validationData', '[srcVal, tgtVal]', args.validationData);
      val = this.pair(where, args.validationData[0], args.validationData[1], 'validationData[0]', 'validationData[1]');
    }
    const { callbacks: cbs } = fitCallbacks(args, this);
    if (args.seed !== undefined) this.trainRng = new Rng(trainingSeed(args.seed));
    const verbose = args.verbose ?? 1;
    const history: Record<string, number[]> = {};
    const epochList: number[] = [];
    const n = S.dims[0];
    const order = range(n);
    this.stopTraining = false;
    for (const cb of cbs) await cb.onTrainBegin?.({});
    for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
      await runEpoch({
        epoch, epochs, n, order, batchSize, shuffle: args.shuffle ?? true, rng: this.trainRng, metrics: this.metrics,
        callbacks: cbs, verbose, epochList, history,
        trainBatch: async (o, b, e) => {
          const r = await this.step(takeRows(S, o, b, e), takeRows(T, o, b, e), true);
          // Read the optimizer each batch: a callback (ReduceLROnPlateau) may replace its settings.
          this.requireOptimizer(where).apply(this.params);
          return r;
        },
        validate: val ? () => this.evaluateBatches(val![0], val![1], batchSize) : null,
      });
    }
    for (const cb of cbs) await cb.onTrainEnd?.({});
    return makeHistory(epochList, history);
  }

  private async evaluateBatches(S: Batchable, T: Batchable, batchSize: number): Promise<Logs> {
    for (const m of this.metrics) m.reset();
    const all = range(S.dims[0]);
    const loss = await meanLoss(S.dims[0], batchSize, (b, e) => this.step(takeRows(S, all, b, e), takeRows(T, all, b, e), false));
    return logsOf(loss, this.metrics);
  }

  /** Teacher-forced loss and metrics on (src, tgt), as { loss, accuracy, ... }. */
  async evaluate(src: ModelData, tgt: ModelData, args: { batchSize?: number } = {}): Promise<Logs> {
    const where = 'Seq2Seq.evaluate';
    this.requireOptimizer(where);
    const [S, T] = this.pair(where, src, tgt);
    const batchSize = args.batchSize === undefined ? 32 : positiveInt(where, 'batchSize', args.batchSize);
    return this.evaluateBatches(S, T, batchSize);
  }

  // --- decoding --------------------------------------------------------------------------------------

  /** Token sequences for each source (without the end token), by greedy or beam-search decoding. */
  async predict(src: ModelData, args: DecodeArgs = {}): Promise<number[][]> {
    const where = 'Seq2Seq.predict';
    if (args === null || typeof args !== 'object') throw typeError(where, 'its second argument', 'an options object { method, beamWidth, maxLength }', args);
    const method = args.method ?? 'greedy';
    oneOf(where, 'method', method, ['greedy', 'beam'] as const, "'greedy' or 'beam'");
    const beamWidth = args.beamWidth === undefined ? 4 : positiveInt(where, 'beamWidth', args.beamWidth);
    const S = this.tokens(where, 'src', src, this.config.srcVocab, 'srcVocab');
    const maxLength = args.maxLength === undefined ? 2 * S.dims[1] + 2 : positiveInt(where, 'maxLength', args.maxLength);
    const batchSize = args.batchSize === undefined ? 64 : positiveInt(where, 'batchSize', args.batchSize);
    const n = S.dims[0];
    const all = range(n);
    const result: number[][] = [];
    const decOps = this.decoder.map((l) => l.op());
    try {
      for (let b = 0; b < n; b += batchSize) {
        const e = Math.min(n, b + batchSize);
        const chunk = takeRows(S, all, b, e);
        const enc = await this.encode(chunk.data as Int32Array, e - b, S.dims[1], { training: false, rng: this.trainRng });
        const dec: Decoding = { decOps, he: enc.he, ke: this.attnDense ? this.keys(enc.he, (e - b) * S.dims[1]) : enc.he, lens: enc.lens, ts: S.dims[1] };
        const states = { h: enc.h, c: enc.c };
        result.push(...(method === 'greedy' ? await this.greedy(dec, states, e - b, maxLength) : await this.beam(dec, states, e - b, beamWidth, maxLength)));
        await yieldToEventLoop();
      }
    } finally {
      for (const op of decOps) op.dispose();
    }
    return result;
  }

  /**
   * One decoder step for `tokens` (one row per hypothesis; `srcOf` names each row's source, rows of
   * a source adjacent): log-probabilities [rows, V] and the new states.
   */
  private async decodeStep(dec: Decoding, tokens: Int32Array, srcOf: Int32Array, h: Float32Array[], c: (Float32Array | null)[]): Promise<{ logp: Float64Array; h: Float32Array[]; c: (Float32Array | null)[] }> {
    const rows = tokens.length;
    const H = this.config.units;
    const ctx: RunContext = { training: false, rng: this.trainRng };
    let x = (await this.tgtEmbed.forward({ data: tokens, dims: [rows, 1] }, ctx)).data as Float32Array;
    const h2: Float32Array[] = [];
    const c2: (Float32Array | null)[] = [];
    for (let l = 0; l < dec.decOps.length; l++) {
      const op = dec.decOps[l];
      const X = new Tensor('float32', x, [rows, 1, l === 0 ? this.config.embedDim : H]);
      const initialH = new Tensor('float32', h[l], [rows, 1, H]);
      if (op instanceof LstmOp) {
        const out = op.run({ X, initialH, initialC: new Tensor('float32', c[l]!, [rows, 1, H]) }, { outputs: ['Y_h', 'Y_c'] });
        h2.push(out.Y_h!.data);
        c2.push(out.Y_c!.data);
      } else {
        h2.push(op.run({ X, initialH }, { outputs: ['Y_h'] }).Y_h!.data);
        c2.push(null);
      }
      x = h2[l];
    }
    let top: Activation = { data: x, dims: [rows, 1, H] };
    if (this.attnDense) top = await this.attnDense.forward({ data: this.attendStep(dec, x, srcOf), dims: [rows, 1, 2 * H] }, ctx);
    await this.output.forward(top, ctx);
    // Log-softmax of the logits in float64: the scores beam search adds up.
    const z = this.output.preactivation!;
    const V = this.config.tgtVocab;
    const logp = new Float64Array(rows * V);
    for (let r = 0; r < rows; r++) {
      const o = r * V;
      let m = -Infinity;
      for (let j = 0; j < V; j++) if (z[o + j] > m) m = z[o + j];
      let s = 0;
      for (let j = 0; j < V; j++) s += Math.exp(z[o + j] - m);
      const lse = m + Math.log(s);
      for (let j = 0; j < V; j++) logp[o + j] = z[o + j] - lse;
    }
    return { logp, h: h2, c: c2 };
  }

  /** Attention for single decoder steps: each run of rows of one source against that source's outputs. */
  private attendStep(dec: Decoding, hd: Float32Array, srcOf: Int32Array): Float32Array {
    const H = this.config.units;
    const { ts } = dec;
    const threads = this.config.threads ?? undefined;
    const rows = srcOf.length;
    const context = new Float32Array(rows * H);
    for (let r0 = 0; r0 < rows; ) {
      const b = srcOf[r0];
      let r1 = r0 + 1;
      while (r1 < rows && srcOf[r1] === b) r1++;
      const m = r1 - r0;
      const a = new Float32Array(m * ts);
      gemm({ transB: true, M: m, N: ts, K: H, A: hd.subarray(r0 * H, r1 * H), B: dec.ke.subarray(b * ts * H, (b + 1) * ts * H), C: a, threads });
      maskedSoftmax(a, m, ts, dec.lens[b]);
      gemm({ M: m, N: H, K: ts, A: a, B: dec.he.subarray(b * ts * H, (b + 1) * ts * H), C: context.subarray(r0 * H, r1 * H), threads });
      r0 = r1;
    }
    return concatRows(context, hd, rows, H);
  }

  private async greedy(dec: Decoding, states: { h: Float32Array[]; c: (Float32Array | null)[] }, n: number, maxLength: number): Promise<number[][]> {
    const { startToken, endToken, tgtVocab: V } = this.config;
    const out: number[][] = Array.from({ length: n }, () => []);
    const done = new Uint8Array(n);
    const tokens = new Int32Array(n).fill(startToken);
    const srcOf = range(n);
    let { h, c } = states;
    let left = n;
    for (let step = 0; step < maxLength && left > 0; step++) {
      const r = await this.decodeStep(dec, tokens, srcOf, h, c);
      ({ h, c } = r);
      for (let b = 0; b < n; b++) {
        if (done[b]) continue;
        const tok = argmax(r.logp, b * V, V);
        if (tok === endToken) {
          done[b] = 1;
          left--;
        } else {
          out[b].push(tok);
          tokens[b] = tok;
        }
      }
    }
    return out;
  }

  /**
   * Beam search: each step expands every live hypothesis by its `width` best tokens and keeps the
   * `width` best of all candidates by summed log-probability; a kept candidate that is the end
   * token is finished. A source is done when `width` hypotheses have finished or the best
   * finished one scores at least the best live one (a longer one only scores lower).
   */
  private async beam(dec: Decoding, states: { h: Float32Array[]; c: (Float32Array | null)[] }, n: number, width: number, maxLength: number): Promise<number[][]> {
    const { startToken, endToken, tgtVocab: V, units: H } = this.config;
    interface Hyp { tokens: number[]; score: number; row: number }
    let live: Hyp[][] = Array.from({ length: n }, (_, b) => [{ tokens: [], score: 0, row: b }]);
    const finished: { tokens: number[]; score: number }[][] = Array.from({ length: n }, () => []);
    let { h, c } = states;
    for (let step = 0; step < maxLength; step++) {
      const flat = live.flatMap((hyps, b) => hyps.map((hyp) => ({ hyp, b })));
      if (flat.length === 0) break;
      const rows = flat.length;
      const tokens = new Int32Array(rows);
      const srcOf = new Int32Array(rows);
      const gather = (s: Float32Array): Float32Array => {
        const g = new Float32Array(rows * H);
        flat.forEach(({ hyp }, r) => g.set(s.subarray(hyp.row * H, hyp.row * H + H), r * H));
        return g;
      };
      flat.forEach(({ hyp, b }, r) => {
        tokens[r] = hyp.tokens.length ? hyp.tokens[hyp.tokens.length - 1] : startToken;
        srcOf[r] = b;
      });
      const res = await this.decodeStep(dec, tokens, srcOf, h.map(gather), c.map((s) => (s ? gather(s) : null)));
      ({ h, c } = res);
      const next: Hyp[][] = Array.from({ length: n }, () => []);
      let r = 0;
      for (let b = 0; b < n; b++) {
        const cands: { score: number; row: number; tok: number }[] = [];
        for (const hyp of live[b]) {
          for (const tok of topK(res.logp, r * V, V, width)) cands.push({ score: hyp.score + res.logp[r * V + tok], row: r, tok });
          r++;
        }
        cands.sort((x, y) => y.score - x.score); // stable: ties keep the earlier hypothesis and token
        for (const cand of cands.slice(0, width)) {
          const parent = flat[cand.row].hyp;
          if (cand.tok === endToken) finished[b].push({ tokens: parent.tokens, score: cand.score });
          else next[b].push({ tokens: [...parent.tokens, cand.tok], score: cand.score, row: cand.row });
        }
        const bestDone = finished[b].reduce((m, f) => Math.max(m, f.score), -Infinity);
        if (finished[b].length >= width || (next[b].length > 0 && bestDone >= next[b][0].score)) next[b] = [];
      }
      live = next;
    }
    // Hypotheses still live at maxLength compete as they are.
    return finished.map((fs, b) => [...fs, ...live[b]].reduce((best, f) => (f.score > best.score ? f : best)).tokens);
  }

  // --- files -----------------------------------------------------------------------------------------

  /** Writes the model (config, weights, optimizer settings) to one file, atomically; `loadModel` reads it. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw typeError('Seq2Seq.save', 'path', 'a file path', path);
    const names = this.paramNames();
    const header: Record<string, unknown> = {
      format: 'gatedrnn-model',
      model: { className: this.className, config: this.config },
      compile: this.optimizer && { optimizer: this.optimizer.getConfig(), metrics: this.metricSpecs ?? [] },
    };
    await writeAtomic(path, encode(header, this.params.map((p, i) => [names[i], p.value])));
  }

  /** Rebuilds a model from a file's bytes (what loadModel reads for a Seq2Seq file). */
  static fromBytes(bytes: Uint8Array, source = 'bytes'): Seq2Seq {
    const where = `loadModel(${source})`;
    const contents = decode(bytes, source);
    const { header, arrays } = contents;
    const m = header.model as { className?: string; config?: Seq2SeqArgs } | undefined;
    if (header.format !== 'gatedrnn-model' || !m || m.className !== 'Seq2Seq' || m.config === null || typeof m.config !== 'object') {
      throw new Error(`${where}: the header does not describe a Seq2Seq model`);
    }
    const c = compileSettings(where, header.compile, false);
    const { threads, ...config } = m.config as Seq2SeqArgs & { threads: number | null };
    // Built within what the file holds: no parameter is allocated or initialized past it.
    const model = buildingFromFile(where, floatsIn(contents), () => new Seq2Seq({ ...config, threads: threads ?? undefined }));
    const names = model.paramNames();
    model.params.forEach((p, i) => {
      const a = arrays.get(names[i]);
      if (!a) throw new Error(`${where}: the file has no weights for ${names[i]}`);
      if (a.length !== p.value.length) throw new Error(`${where}: ${names[i]} holds ${a.length} values, expected ${p.value.length} for shape [${p.shape.join(', ')}]`);
      p.value.set(a);
    });
    if (c) model.compile({ optimizer: optimizerFromConfig(c.optimizer), metrics: c.metrics });
    return model;
  }

  /** Frees the native resources (made again on demand). */
  dispose(): void {
    for (const l of [...this.encoder, ...this.decoder]) l.dispose();
  }
}


/** Rows of [a; b] from rows of a [rows, w] and b [rows, w]. */
function concatRows(a: Float32Array, b: Float32Array, rows: number, w: number): Float32Array {
  const out = new Float32Array(rows * 2 * w);
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * w, r * w + w), r * 2 * w);
    out.set(b.subarray(r * w, r * w + w), r * 2 * w + w);
  }
  return out;
}

/** Index of the largest of a[o .. o+k) (the first on ties). */
function argmax(a: Float64Array, o: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[o + j] > a[o + best]) best = j;
  return best;
}

/** The `k` largest of a[o .. o+v), best first (the lower index on ties). */
function topK(a: Float64Array, o: number, v: number, k: number): number[] {
  const idx: number[] = [];
  for (let j = 0; j < v; j++) {
    const x = a[o + j];
    if (idx.length === k) {
      if (x <= a[o + idx[k - 1]]) continue;
      idx.pop();
    }
    let p = idx.length;
    idx.push(j);
    while (p > 0 && x > a[o + idx[p - 1]]) {
      idx[p] = idx[p - 1];
      p--;
    }
    idx[p] = j;
  }
  return idx;
}

/** An encoder–decoder model (see Seq2SeqArgs). */
export function seq2seq(args: Seq2SeqArgs): Seq2Seq {
  return new Seq2Seq(args);
}
