// Encoder–decoder (sequence-to-sequence) models. The encoder embeds the source and runs a GRU,
// LSTM or plain tanh RNN stack over it (padding handled by sequence lengths); the decoder starts
// from the encoder's final states, reads the target shifted right by one (teacher forcing: one
// RNN call per layer over the whole target), optionally attends over the encoder's outputs
// (Luong, after the RNN), and projects to the target vocabulary. Decoding steps the inference ops
// one token at a time. Token 0 is padding in both vocabularies; the target ends with `endToken`.
import { rangeError, typeError } from '../../errors';
import { oneOf } from '../../validate';
import { Dense, Dropout, Embedding, Gru, type Layer, Lstm, type Recurrent, SimpleRnn } from '../../layers';
import type { Activation, Param, RunContext } from '../../layers/layer';
import type { Logs, TrainingModel } from '../../train/callbacks';
import { buildingFromFile } from '../../train/initializers';
import { Loss } from '../../train/losses';
import { type Metric, type MetricSpec, toMetrics } from '../../train/metrics';
import { type Optimizer, optimizerFromConfig, toOptimizer } from '../../train/optimizers';
import { Rng } from '../../train/rng';
import { type Batchable, type ModelData, range, setParams, takeRows, toBatchable } from '../data';
import {
  batchSizeOf,
  type FitArgs,
  type History,
  logsOf,
  meanLoss,
  type ModelFile,
  runFit,
  type Trainee,
  trainingSeed,
  yieldToEventLoop,
} from '../fit-loop';
import { compileSettings, decode, encode, type FileContents, floatsIn, writeAtomic } from '../io';
import { LuongAttention } from './attention';
import {
  checkPositive,
  type DecodeArgs,
  lengthsOf,
  normalize,
  PAD,
  type Seq2SeqArgs,
  type Seq2SeqCompileArgs,
  type Seq2SeqConfig,
} from './config';
import { beam, type Decoder, greedy, inferenceOp } from './decoding';

/** One recurrent layer of the encoder or decoder stack: every step's output and the final states. */
function recurrentLayer(cell: Seq2SeqConfig['cell'], name: string, units: number): Recurrent {
  const args = { name, units, returnSequences: true };
  return cell === 'gru' ? new Gru(args) : cell === 'lstm' ? new Lstm(args) : new SimpleRnn(args);
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
  private readonly encoder: Recurrent[] = [];
  private readonly decoder: Recurrent[] = [];
  private readonly encDrop: Dropout[] = [];
  private readonly decDrop: Dropout[] = [];
  private readonly attention: LuongAttention | null = null;
  private readonly output: Dense;

  constructor(args: Seq2SeqArgs) {
    const c = (this.config = normalize(args));
    const rng = new Rng(c.seed);
    this.trainRng = new Rng(trainingSeed(c.seed));
    const H = c.units;
    this.srcEmbed = new Embedding({ name: 'encoder_embedding', inputDim: c.srcVocab, outputDim: c.embedDim, maskZero: true });
    this.srcEmbed.build([-1], rng);
    const stack = (side: 'encoder' | 'decoder', drops: Dropout[], layers: Recurrent[]): void => {
      for (let l = 0; l < c.layers; l++) {
        const fin = l === 0 ? c.embedDim : H;
        drops.push(new Dropout({ name: `${side}_dropout_${l}`, rate: c.dropout }));
        drops[l].build([-1, fin], rng);
        layers.push(recurrentLayer(c.cell, `${side}/${c.cell}_${l}`, H));
        layers[l].build([-1, fin], rng);
      }
    };
    stack('encoder', this.encDrop, this.encoder);
    this.tgtEmbed = new Embedding({ name: 'decoder_embedding', inputDim: c.tgtVocab, outputDim: c.embedDim });
    this.tgtEmbed.build([-1], rng);
    stack('decoder', this.decDrop, this.decoder);
    if (c.attention) this.attention = new LuongAttention(H, c.attentionScore, rng, () => this.threads);
    this.output = new Dense({ name: 'output', units: c.tgtVocab, activation: 'softmax' });
    this.output.build([-1, H], rng);
    for (const l of this.layers) l.setThreads(this.threads);
  }

  private get threads(): number | undefined {
    return this.config.threads ?? undefined;
  }

  private get layers(): Layer[] {
    return [
      this.srcEmbed,
      ...this.encDrop,
      ...this.encoder,
      this.tgtEmbed,
      ...this.decDrop,
      ...this.decoder,
      ...(this.attention ? [this.attention.dense] : []),
      this.output,
    ];
  }

  /** Every trainable parameter, in a fixed order (the order of getWeights and the optimizer's state). */
  get params(): Param[] {
    return this.namedParams().map(([, p]) => p);
  }

  /** The parameters with the names the model file stores them under, in `params` order. */
  private namedParams(): [string, Param][] {
    const named = (prefix: string, ps: Param[]): [string, Param][] => ps.map((p) => [`${prefix}/${p.name}`, p]);
    const a = this.attention;
    return [
      ...named('encoder/embedding', this.srcEmbed.params),
      ...this.encoder.flatMap((l) => named(l.name!, l.params)),
      ...named('decoder/embedding', this.tgtEmbed.params),
      ...this.decoder.flatMap((l) => named(l.name!, l.params)),
      ...(a?.Wa ? named('attention', [a.Wa]) : []),
      ...(a ? named('attention/dense', a.dense.params) : []),
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
    setParams('Seq2Seq.setWeights', this.params, weights);
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
      if (!(ids[i] >= 0 && ids[i] < vocab))
        throw rangeError(where, `${name} values`, `token ids in [0, ${vocab - 1}] (${vocabName} ${vocab})`, `${ids[i]} at flat index ${i}`);
    }
    return b;
  }

  private pair(where: string, src: unknown, tgt: unknown, srcName = 'src', tgtName = 'tgt'): [Batchable, Batchable] {
    const s = this.tokens(where, srcName, src, this.config.srcVocab, 'srcVocab');
    const t = this.tokens(where, tgtName, tgt, this.config.tgtVocab, 'tgtVocab');
    if (t.dims[0] !== s.dims[0])
      throw rangeError(where, `${tgtName}.dims[0]`, `${s.dims[0]} (one target per source in ${srcName})`, String(t.dims[0]));
    return [s, t];
  }

  // --- teacher-forced forward and backward -------------------------------------------------------

  /** Encoder outputs of the top layer and every layer's final states. */
  private async encode(
    src: Int32Array,
    n: number,
    ts: number,
    ctx: RunContext,
  ): Promise<{ he: Float32Array; lens: Int32Array; h: Float32Array[]; c: (Float32Array | null)[] }> {
    let x: Activation = await this.srcEmbed.forward({ data: src, dims: [n, ts] }, ctx);
    const lens = x.lengths!;
    const h: Float32Array[] = [];
    const c: (Float32Array | null)[] = [];
    for (let l = 0; l < this.encoder.length; l++) {
      x = await this.encDrop[l].forward(x, ctx);
      const out = await this.encoder[l].forwardWithStates({ ...x, lengths: lens }, ctx);
      h.push(out.h);
      c.push(out.c);
      x = out.y;
    }
    return { he: x.data as Float32Array, lens, h, c };
  }

  /** The loss of one batch (teacher forcing); with `train`, also the gradients of every parameter. */
  private async step(src: Batchable, tgt: Batchable, train: boolean): Promise<{ loss: number; rows: number }> {
    const ctx: RunContext = { training: train, rng: this.trainRng };
    const [n, ts] = src.dims;
    const tt = tgt.dims[1];
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
      x = (await this.decoder[l].forwardWithStates({ ...x, lengths: tgtLens }, ctx, { h: enc.h[l], c: enc.c[l] })).y;
      x = { data: x.data, dims: x.dims };
    }
    if (this.attention) x = await this.attention.forward(x.data as Float32Array, enc.he, enc.lens, n, tt, ts, ctx);
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
    if (this.attention) {
      const r = await this.attention.backward(dTop);
      dTop = r.dHd;
      dEncTop = r.dHe;
    }
    // The decoder's initial-state gradients are the encoder's final-state gradients, layer by layer.
    const dH: Float32Array[] = [];
    const dC: (Float32Array | null)[] = [];
    for (let l = this.decoder.length - 1; l >= 0; l--) {
      const r = await this.decoder[l].backwardWithStates(dTop, null, null);
      dH[l] = r.dH0;
      dC[l] = r.dC0;
      dTop = await this.decDrop[l].backward(r.dX);
    }
    await this.tgtEmbed.backward(dTop);
    let dY = dEncTop;
    for (let l = this.encoder.length - 1; l >= 0; l--) {
      const r = await this.encoder[l].backwardWithStates(dY, dH[l], dC[l]);
      dY = await this.encDrop[l].backward(r.dX);
    }
    await this.srcEmbed.backward(dY!);
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

  /**
   * Trains with teacher forcing; resolves to the history of losses and metrics per epoch. Yields
   * to the event loop between batches. Takes Sequential's validationSplit, checkpoint and resumeFrom.
   */
  async fit(src: ModelData, tgt: ModelData, args: FitArgs = {}): Promise<History> {
    const where = 'Seq2Seq.fit';
    this.requireOptimizer(where);
    return runFit(where, this.trainee(where), src, tgt, args);
  }

  /** What the fit loop trains: this model's data checks, batches, evaluation and file. */
  private trainee(where: string): Trainee {
    return {
      model: this,
      params: () => this.params,
      metrics: () => this.metrics,
      validationPair: '[srcVal, tgtVal]',
      rng: () => this.trainRng,
      setRng: (r) => {
        this.trainRng = r;
      },
      data: (src, tgt, validation) =>
        validation ? this.pair(where, src, tgt, 'validationData[0]', 'validationData[1]') : this.pair(where, src, tgt),
      trainBatch: async (s, t) => {
        const r = await this.step(s, t, true);
        // Read the optimizer each batch: a callback (ReduceLROnPlateau) may replace its settings.
        this.requireOptimizer(where).apply(this.params);
        return r;
      },
      evaluate: (S, T, batchSize) => this.evaluateBatches(S, T, batchSize),
      file: () => this.file(),
      restore: (contents, source) => {
        const config = (contents.header.model as { config?: Record<string, unknown> } | undefined)?.config ?? {};
        const arch = (c: Record<string, unknown>): string => JSON.stringify({ ...c, name: undefined, seed: undefined, threads: undefined });
        if (arch(config) !== arch({ ...this.config }))
          throw new Error(`${where}: the checkpoint ${source} holds a different architecture than this model`);
        this.loadWeights(`${where}: the checkpoint ${source}`, contents);
      },
      setOptimizer: (opt) => {
        this.optimizer = opt;
      },
    };
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
    return this.evaluateBatches(S, T, batchSizeOf(where, args.batchSize));
  }

  // --- decoding --------------------------------------------------------------------------------------

  /** Token sequences for each source (without the end token), by greedy or beam-search decoding. */
  async predict(src: ModelData, args: DecodeArgs = {}): Promise<number[][]> {
    const where = 'Seq2Seq.predict';
    if (args === null || typeof args !== 'object')
      throw typeError(where, 'its second argument', 'an options object { method, beamWidth, maxLength }', args);
    const method = args.method ?? 'greedy';
    oneOf(where, 'method', method, ['greedy', 'beam'] as const, "'greedy' or 'beam'");
    const beamWidth = args.beamWidth === undefined ? 4 : checkPositive(where, 'beamWidth', args.beamWidth);
    const S = this.tokens(where, 'src', src, this.config.srcVocab, 'srcVocab');
    const ts = S.dims[1];
    const maxLength = args.maxLength === undefined ? 2 * ts + 2 : checkPositive(where, 'maxLength', args.maxLength);
    const batchSize = args.batchSize === undefined ? 64 : checkPositive(where, 'batchSize', args.batchSize);
    const n = S.dims[0];
    const all = range(n);
    const result: number[][] = [];
    const ops = this.decoder.map((l) => inferenceOp(l, this.threads));
    const ctx: RunContext = { training: false, rng: this.trainRng };
    try {
      for (let b = 0; b < n; b += batchSize) {
        const e = Math.min(n, b + batchSize);
        const enc = await this.encode(takeRows(S, all, b, e).data as Int32Array, e - b, ts, ctx);
        const memory = { he: enc.he, ke: this.attention ? this.attention.keys(enc.he, (e - b) * ts) : enc.he, lens: enc.lens, ts };
        const dec: Decoder = {
          config: this.config,
          tgtEmbed: this.tgtEmbed,
          ops,
          attention: this.attention,
          output: this.output,
          ctx,
          memory,
        };
        const states = { h: enc.h, c: enc.c };
        result.push(
          ...(method === 'greedy' ? await greedy(dec, states, e - b, maxLength) : await beam(dec, states, e - b, beamWidth, maxLength)),
        );
        await yieldToEventLoop();
      }
    } finally {
      for (const op of ops) op.dispose();
    }
    return result;
  }

  // --- files -----------------------------------------------------------------------------------------

  /** The model file's header (config, optimizer settings) and weights. */
  private file(): ModelFile {
    const header: Record<string, unknown> = {
      format: 'gatedrnn-model',
      model: { className: this.className, config: this.config },
      compile: this.optimizer && { optimizer: this.optimizer.getConfig(), metrics: this.metricSpecs ?? [] },
    };
    return { header, arrays: this.namedParams().map(([name, p]) => [name, p.value]) };
  }

  /** Writes the model (config, weights, optimizer settings) to one file, atomically; `loadModel` reads it. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw typeError('Seq2Seq.save', 'path', 'a file path', path);
    const { header, arrays } = this.file();
    await writeAtomic(path, encode(header, arrays));
  }

  /** Sets every weight from a file's arrays; `where` starts the errors. */
  private loadWeights(where: string, { arrays }: FileContents): void {
    for (const [name, p] of this.namedParams()) {
      const a = arrays.get(name);
      if (!a) throw new Error(`${where}: the file has no weights for ${name}`);
      if (a.length !== p.value.length)
        throw new Error(`${where}: ${name} holds ${a.length} values, expected ${p.value.length} for shape [${p.shape.join(', ')}]`);
      p.value.set(a);
    }
  }

  /** Rebuilds a model from a file's bytes (what loadModel reads for a Seq2Seq file). */
  static fromBytes(bytes: Uint8Array, source = 'bytes'): Seq2Seq {
    const where = `loadModel(${source})`;
    const contents = decode(bytes, source);
    const { header } = contents;
    const m = header.model as { className?: string; config?: Seq2SeqArgs } | undefined;
    if (header.format !== 'gatedrnn-model' || !m || m.className !== 'Seq2Seq' || m.config === null || typeof m.config !== 'object') {
      throw new Error(`${where}: the header does not describe a Seq2Seq model`);
    }
    const c = compileSettings(where, header.compile, false);
    const { threads, ...config } = m.config as Seq2SeqArgs & { threads: number | null };
    // Built within what the file holds: no parameter is allocated or initialized past it.
    const model = buildingFromFile(where, floatsIn(contents), () => new Seq2Seq({ ...config, threads: threads ?? undefined }));
    model.loadWeights(where, contents);
    if (c) model.compile({ optimizer: optimizerFromConfig(c.optimizer), metrics: c.metrics });
    return model;
  }

  /** Frees the native resources (made again on demand). */
  dispose(): void {
    for (const l of [...this.encoder, ...this.decoder]) l.dispose();
  }
}

/** An encoder–decoder model (see Seq2SeqArgs). */
export function seq2seq(args: Seq2SeqArgs): Seq2Seq {
  return new Seq2Seq(args);
}
