// Sequential models: a stack of layers, compile / fit / evaluate / predict / summary, and the
// model file (architecture, weights, compile settings and, in checkpoints, the training state).
import { rangeError, typeError } from '../errors';
import { nonNegativeInt, positiveInt } from '../validate';
import { Tensor } from '../tensor';
import { Activation, Bidirectional, Dense, Embedding, Layer, layerFromConfig, Recurrent, serializeLayer, SerializedLayer, toSampleShape } from '../layers';
import type { Param } from '../layers';
import { Logs, StatefulCallback, TrainingModel } from '../train/callbacks';
import { Loss, LossConfig, LossName, toLoss } from '../train/losses';
import { Metric, MetricSpec, toMetrics } from '../train/metrics';
import { Optimizer, OptimizerConfig, optimizerFromConfig, toOptimizer } from '../train/optimizers';
import { randomSeed, Rng } from '../train/rng';
import { buildingFromFile } from '../train/initializers';
import { checkStages, runBytesOption } from '../memory';
import { modelFileCap, readFileCappedAsync } from '../files';
import { Batchable, ModelData, isFloat32, range, takeRows, toBatchable } from './data';
import { BaseFitArgs, fitCallbacks, History, logsOf, makeHistory, meanLoss, runEpoch, trainingSeed, yieldToEventLoop } from './fit-loop';
import { compileSettings, decode, encode, floatsIn, writeAtomic } from './io';
import { modelToOnnx, ToOnnxOptions } from './onnx';
import { LoadOnnxOptions, OnnxSession } from '../onnx/session';
import { PredictPlan } from './predict-plan';
import { Seq2Seq } from './seq2seq';

export interface SequentialArgs {
  name?: string;
  /** Seeds weight initialization, shuffling and dropout (fit's `seed` overrides the latter two). */
  seed?: number;
}

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | Loss;
  metrics?: (string | MetricSpec)[];
}

export interface FitArgs extends BaseFitArgs {
  validationSplit?: number;
  /** Save a checkpoint (weights, optimizer, generator, epoch) to `path` every `every` epochs. */
  checkpoint?: { path: string; every?: number };
  /** Continue from a checkpoint file: training picks up at its epoch and runs to `epochs`. */
  resumeFrom?: string;
}

export type { History } from './fit-loop';

interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metricSpecs: (string | MetricSpec)[];
}

// The rows a batch's mean loss averages over: the target weights' sum, else one per output row.
function rowsOf(out: Activation, weights: Float32Array | null | undefined): number {
  return weights ? weights.reduce((a, b) => a + b, 0) : out.data.length / out.dims[out.dims.length - 1];
}

export class Sequential implements TrainingModel {
  readonly className = 'Sequential';
  readonly name: string;
  readonly layers: Layer[];
  readonly seed: number | undefined;
  stopTraining = false;
  optimizer: Optimizer | null = null;
  private compiled: Compiled | null = null;
  private metrics: Metric[] = [];
  /** Shuffling and dropout; carries on across fit calls unless fit is given a seed. */
  private trainRng: Rng;
  /** predict's native plan (the model's export as a session). */
  private readonly predictPlan = new PredictPlan();
  /** Whether the running fit has updated the weights yet. */
  private updated = false;

  constructor(layerList: Layer[], args: SequentialArgs = {}) {
    const where = 'sequential';
    if (!Array.isArray(layerList) || layerList.length === 0) throw typeError(where, 'layers', 'a non-empty array of layers', layerList);
    layerList.forEach((l, i) => {
      if (!(l instanceof Layer)) throw typeError(where, `layers[${i}]`, 'a layer (layers.dense, layers.gru, ...)', l);
      if (l instanceof Embedding && i > 0) throw rangeError(where, `layers[${i}]`, 'an embedding only as the first layer', `${l.className} at position ${i}`);
    });
    if (new Set(layerList).size !== layerList.length) throw rangeError(where, 'layers', 'distinct layer objects', 'the same layer twice');
    if (args.seed !== undefined) nonNegativeInt(where, 'seed', args.seed, Number.MAX_SAFE_INTEGER);
    this.name = args.name ?? 'sequential';
    this.seed = args.seed;
    this.trainRng = new Rng(trainingSeed(args.seed ?? randomSeed()));
    this.layers = layerList;
    const used = new Set(layerList.map((l) => l.name).filter((n) => n !== undefined));
    const count = new Map<string, number>();
    for (const l of layerList) {
      if (l.name !== undefined) continue;
      const base = l.className.toLowerCase();
      let k = count.get(base) ?? 0;
      let name = k === 0 ? base : `${base}_${k}`;
      while (used.has(name)) name = `${base}_${++k}`;
      count.set(base, k + 1);
      used.add(name);
      l.name = name;
    }
    const declared = layerList[0].declaredInputShape;
    if (declared) this.build(declared.map((d) => (d < 0 ? null : d)));
  }

  get built(): boolean {
    return this.layers[0].built;
  }

  /**
   * Creates the weights for inputs of per-sample shape `inputShape`: [T] token ids or [T, F]
   * features, with T = null for any length (as Keras's `inputShape: [null, F]`); a number fixes
   * it. A shape a layer refuses leaves the model unbuilt.
   */
  build(inputShape: (number | null)[], seed?: number): void {
    const shape0 = toSampleShape('Sequential.build', 'inputShape', inputShape);
    if (this.built) return;
    const rng = new Rng(this.seed ?? seed ?? randomSeed());
    let shape = shape0;
    const done: Layer[] = [];
    try {
      for (const l of this.layers) {
        shape = l.build(shape, rng);
        done.push(l);
      }
    } catch (e) {
      for (const l of done) l.unbuild();
      throw e;
    }
  }

  /** Back to unbuilt: after a first fit, evaluate or predict whose input was refused. */
  private unbuild(): void {
    for (const l of this.layers) l.unbuild();
  }

  /** Runs `body`; if it throws and the model was unbuilt before, leaves it unbuilt again. */
  private async transactional<T>(body: () => Promise<T>): Promise<T> {
    const wasBuilt = this.built;
    try {
      return await body();
    } catch (e) {
      if (!wasBuilt && this.built) this.unbuild();
      throw e;
    }
  }

  /** The output shape for inputs with these dims: a free time axis takes the input's length. */
  private outputShapeFor(xDims: readonly number[]): number[] {
    return this.layers[this.layers.length - 1].outputShape!.map((d) => (d < 0 ? xDims[1] : d));
  }

  private get inputType(): 'float32' | 'int32' {
    return this.layers[0] instanceof Embedding ? 'int32' : 'float32';
  }

  get params(): Param[] {
    return this.layers.flatMap((l) => l.params);
  }

  /** Copies of every parameter, in layer order (ONNX layout for recurrent layers). */
  getWeights(): Float32Array[] {
    return this.params.map((p) => Float32Array.from(p.value));
  }

  setWeights(weights: Float32Array[]): void {
    const ps = this.params;
    if (!Array.isArray(weights) || weights.length !== ps.length) throw rangeError('Sequential.setWeights', 'weights.length', String(ps.length), String(weights?.length));
    ps.forEach((p, i) => {
      if (!isFloat32(weights[i]) || weights[i].length !== p.value.length) {
        throw rangeError('Sequential.setWeights', `weights[${i}]`, `a Float32Array(${p.value.length}) for ${p.name} [${p.shape.join(', ')}]`, String(weights[i]?.length));
      }
      p.value.set(weights[i]);
    });
  }

  /** Each layer with its parameters (name, shape, values) and config: what an exporter walks. */
  describeLayers(): { name: string; className: string; config: Record<string, unknown>; inputShape: number[] | undefined; outputShape: number[] | undefined; weights: { name: string; shape: number[]; values: Float32Array }[] }[] {
    return this.layers.map((l) => ({
      name: l.name!,
      className: l.className,
      config: l.getConfig(),
      inputShape: l.inputShape,
      outputShape: l.outputShape,
      weights: l.params.map((p) => ({ name: p.name, shape: p.shape, values: p.value })),
    }));
  }

  compile(args: CompileArgs): void {
    const where = 'Sequential.compile';
    if (args === null || typeof args !== 'object') throw typeError(where, 'its argument', '{ optimizer, loss, metrics }', args);
    const loss = toLoss(where, args.loss);
    const optimizer = toOptimizer(where, args.optimizer);
    this.metrics = toMetrics(where, args.metrics, loss);
    this.compiled = { optimizer, loss, metricSpecs: args.metrics ?? [] };
    this.optimizer = optimizer;
  }

  private requireCompiled(where: string): Compiled {
    if (!this.compiled) throw new Error(`${where}: the model is not compiled; call model.compile({ optimizer, loss, metrics }) first`);
    return this.compiled;
  }

  private toX(where: string, x: unknown, seed?: number): Batchable {
    const b = toBatchable(where, 'x', x, this.inputType);
    // Built from data, the time axis stays free: a model trained at one length runs at any.
    if (!this.built) {
      const sample: (number | null)[] = b.dims.slice(1);
      if (sample.length >= 2 || (this.inputType === 'int32' && sample.length === 1)) sample[0] = null;
      this.build(sample, seed);
    }
    return b;
  }

  private toY(where: string, y: unknown, xDims: readonly number[]): Batchable {
    const n = xDims[0];
    const loss = this.compiled!.loss;
    const b = toBatchable(where, 'y', y, loss.sparse ? 'int32' : 'float32');
    const out = this.outputShapeFor(xDims);
    const last = this.layers[this.layers.length - 1];
    // Sparse labels drop the class axis; a single output unit may drop its axis of 1.
    const want = loss.sparse ? [n, ...out.slice(0, -1)] : [n, ...out];
    const alt = !loss.sparse && out[out.length - 1] === 1 ? [n, ...out.slice(0, -1)] : loss.sparse ? [n, ...out.slice(0, -1), 1] : null;
    const same = (a: number[], b2: number[] | null): boolean => b2 !== null && a.length === b2.length && a.every((d, i) => d === b2[i]);
    if (!same(b.dims, want) && !same(b.dims, alt)) {
      throw rangeError(where, 'y.dims', `[${want.join(', ')}] (${loss.sparse ? 'class ids for' : 'targets matching'} the output of ${last.label}, [N, ${out.join(', ')}])`, `[${b.dims.join(', ')}]`);
    }
    if (loss.sparse) {
      const k = out[out.length - 1];
      const ignore = loss.ignoreClass;
      for (let i = 0; i < b.data.length; i++) {
        const c = b.data[i];
        if (c !== ignore && !(c >= 0 && c < k)) throw rangeError(where, `y values`, `class ids in [0, ${k - 1}] (the output of ${last.label} has ${k} units)`, `${c} at flat index ${i}`);
      }
    }
    return b;
  }

  /** The recurrent layers built with stateful: true. */
  private get statefulLayers(): Recurrent[] {
    return this.layers.filter((l): l is Recurrent => l instanceof Recurrent && l.stateful);
  }

  /**
   * Zeroes the carried states of stateful recurrent layers. fit does it at the start of every
   * epoch and before validation, evaluate and predict at their start: each pass over a dataset
   * reads its chunks from the beginning.
   */
  resetStates(): void {
    for (const l of this.layers) {
      if (l instanceof Recurrent) l.resetStates();
      else if (l instanceof Bidirectional) l.layer.resetStates();
    }
  }

  private async forward(x: Activation, training: boolean): Promise<Activation> {
    const ctx = { training, rng: this.trainRng };
    let a = x;
    for (const l of this.layers) a = await l.forward(a, ctx);
    return a;
  }

  /** Per-row weights: 0 past a sequence's length and where the target is ignoreClass. */
  private rowWeights(out: Activation, target: Int32Array | Float32Array): Float32Array | null {
    const loss = this.compiled!.loss;
    const masked = out.lengths && out.dims.length === 3;
    if (!masked && !(loss.sparse && loss.ignoreClass !== null)) return null;
    const rows = out.data.length / out.dims[out.dims.length - 1];
    const w = new Float32Array(rows).fill(1);
    if (masked) {
      const [n, t] = out.dims;
      for (let b = 0; b < n; b++) for (let s = out.lengths![b]; s < t; s++) w[b * t + s] = 0;
    }
    if (loss.sparse) loss.applyIgnore(target as Int32Array, w);
    return w;
  }

  private lossOf(out: Activation, target: Batchable): { loss: number; grad: Float32Array; weights: Float32Array | null; fused: boolean } {
    const loss = this.compiled!.loss;
    const last = this.layers[this.layers.length - 1];
    const fused = last instanceof Dense && loss.fusesWith() !== null && loss.fusesWith() === last.activation;
    const weights = this.rowWeights(out, target.data);
    const width = out.dims[out.dims.length - 1];
    const r = loss.compute({ pred: out.data as Float32Array, logits: fused ? (last as Dense).preactivation! : undefined, width, target: target.data, weights });
    return { ...r, weights, fused };
  }

  private updateMetrics(out: Activation, target: Batchable, weights: Float32Array | null): void {
    const sparse = this.compiled!.loss.sparse;
    for (const m of this.metrics) m.update({ pred: out.data as Float32Array, width: out.dims[out.dims.length - 1], target: target.data, sparse, weights });
  }

  private async trainBatch(xb: Batchable, yb: Batchable): Promise<{ loss: number; rows: number }> {
    const out = await this.forward(xb, true);
    const { loss, grad, weights, fused } = this.lossOf(out, yb);
    this.updateMetrics(out, yb, weights);
    const last = this.layers[this.layers.length - 1];
    let g: Float32Array | null = fused ? await (last as Dense).backwardFromPreactivation(grad) : await last.backward(grad);
    for (let i = this.layers.length - 2; i >= 0 && g; i--) g = await this.layers[i].backward(g);
    this.optimizer!.apply(this.params);
    this.updated = true;
    return { loss, rows: rowsOf(out, weights) };
  }

  private checkBatchSize(where: string, v: unknown): number {
    if (v === undefined) return 32;
    positiveInt(where, 'batchSize', v);
    return v as number;
  }

  /**
   * Trains; resolves to the history of losses and metrics per epoch. Yields to the event loop
   * between batches. A first fit that fails before its first update leaves the model unbuilt.
   */
  async fit(x: ModelData, y: ModelData, args: FitArgs = {}): Promise<History> {
    const wasBuilt = this.built;
    this.updated = false;
    try {
      return await this.fitBody(x, y, args);
    } catch (e) {
      if (!wasBuilt && this.built && !this.updated) this.unbuild();
      throw e;
    }
  }

  private async fitBody(x: ModelData, y: ModelData, args: FitArgs): Promise<History> {
    const where = 'Sequential.fit';
    const c = this.requireCompiled(where);
    if (args === null || typeof args !== 'object') throw typeError(where, 'its third argument', 'an options object', args);
    const epochs = args.epochs ?? 1;
    nonNegativeInt(where, 'epochs', epochs, Number.MAX_SAFE_INTEGER);
    const batchSize = this.checkBatchSize(where, args.batchSize);
    if (args.seed !== undefined) nonNegativeInt(where, 'seed', args.seed, Number.MAX_SAFE_INTEGER);
    const verbose = args.verbose ?? 1;
    const every = args.checkpoint?.every ?? 1;
    if (args.checkpoint !== undefined && (typeof args.checkpoint.path !== 'string' || !(Number.isSafeInteger(every) && every > 0))) {
      throw typeError(where, 'checkpoint', '{ path: string, every?: positive integer }', args.checkpoint);
    }
    if (this.statefulLayers.length > 0 && args.shuffle !== false) {
      throw rangeError(where, 'shuffle', 'false for a model with stateful layers (row b of each batch continues row b of the one before)', String(args.shuffle ?? true));
    }
    let X = this.toX(where, x, args.seed);
    let Y = this.toY(where, y, X.dims);
    if (Y.dims[0] !== X.dims[0]) throw rangeError(where, 'y.dims[0]', `${X.dims[0]} (one target per sample of x)`, String(Y.dims[0]));
    let val: [Batchable, Batchable] | null = null;
    if (args.validationData !== undefined) {
      if (!Array.isArray(args.validationData) || args.validationData.length !== 2) throw typeError(where, 'validationData', '[xVal, yVal]', args.validationData);
      const vx = toBatchable(where, 'validationData[0]', args.validationData[0], this.inputType);
      val = [vx, this.toY(where, args.validationData[1], vx.dims)];
    } else if (args.validationSplit !== undefined) {
      const s = args.validationSplit;
      if (typeof s !== 'number') throw typeError(where, 'validationSplit', 'a number in (0, 1)', s);
      if (!(s > 0 && s < 1)) throw rangeError(where, 'validationSplit', 'a number in (0, 1)', String(s));
      // As Keras: the last fraction of the samples, before any shuffling.
      const n = X.dims[0];
      const nVal = Math.floor(n * s);
      if (nVal < 1 || nVal >= n) throw rangeError(where, 'validationSplit', `a fraction leaving both parts non-empty for ${n} samples`, String(s));
      const nTrain = n - nVal;
      val = [takeRows(X, range(nVal, nTrain), 0, nVal), takeRows(Y, range(nVal, nTrain), 0, nVal)];
      X = takeRows(X, range(nTrain), 0, nTrain);
      Y = takeRows(Y, range(nTrain), 0, nTrain);
    }

    const { callbacks: cbs, stateful } = fitCallbacks(args, this);

    if (args.seed !== undefined) this.trainRng = new Rng(trainingSeed(args.seed));
    let epoch0 = 0;
    const history: Record<string, number[]> = {};
    const epochList: number[] = [];
    if (args.resumeFrom !== undefined) {
      const state = await this.restoreCheckpoint(args.resumeFrom, stateful);
      epoch0 = state.epoch;
      for (const [k, v] of Object.entries(state.history)) history[k] = [...v];
      epochList.push(...range(epoch0));
    }

    this.stopTraining = false;
    const n = X.dims[0];
    const order = range(n);
    for (const cb of cbs) await cb.onTrainBegin?.({});
    for (let epoch = epoch0; epoch < epochs && !this.stopTraining; epoch++) {
      this.resetStates();
      await runEpoch({
        epoch, epochs, n, order, batchSize, shuffle: args.shuffle ?? true, rng: this.trainRng, metrics: this.metrics,
        callbacks: cbs, verbose, epochList, history,
        trainBatch: (o, b, e) => this.trainBatch(takeRows(X, o, b, e), takeRows(Y, o, b, e)),
        validate: val ? () => this.evaluateBatches(val![0], val![1], batchSize) : null,
      });
      if (args.checkpoint && ((epoch + 1) % every === 0 || epoch + 1 === epochs || this.stopTraining)) {
        await this.writeFile(args.checkpoint.path, { epoch: epoch + 1, history, callbacks: stateful });
      }
    }
    for (const cb of cbs) await cb.onTrainEnd?.({});
    return makeHistory(epochList, history);
  }

  private async evaluateBatches(X: Batchable, Y: Batchable, batchSize: number): Promise<Logs> {
    this.resetStates();
    for (const m of this.metrics) m.reset();
    const all = range(X.dims[0]);
    const loss = await meanLoss(X.dims[0], batchSize, async (b, e) => {
      const yb = takeRows(Y, all, b, e);
      const out = await this.forward(takeRows(X, all, b, e), false);
      const { loss, weights } = this.lossOf(out, yb);
      this.updateMetrics(out, yb, weights);
      return { loss, rows: rowsOf(out, weights) };
    });
    return logsOf(loss, this.metrics);
  }

  /** The loss and metrics on (x, y), as { loss, accuracy, ... }. */
  async evaluate(x: ModelData, y: ModelData, args: { batchSize?: number } = {}): Promise<Logs> {
    const where = 'Sequential.evaluate';
    this.requireCompiled(where);
    return this.transactional(async () => {
      const X = this.toX(where, x);
      const Y = this.toY(where, y, X.dims);
      if (Y.dims[0] !== X.dims[0]) throw rangeError(where, 'y.dims[0]', `${X.dims[0]} (one target per sample of x)`, String(Y.dims[0]));
      return this.evaluateBatches(X, Y, this.checkBatchSize(where, args.batchSize));
    });
  }

  /**
   * The model's outputs for x, as one float32 Tensor [N, ...output shape] (a free time axis takes
   * x's length), each batch one native call of the model's plan (its export as a session) off
   * the event loop. Stateful layers start from zeros unless `resetStates` is false: then x
   * continues the streams of the last call, so a long text can be predicted in pieces (stateful
   * models run layer by layer).
   */
  async predict(x: ModelData, args: { batchSize?: number; maxRunBytes?: number; resetStates?: boolean } = {}): Promise<Tensor<'float32'>> {
    return this.transactional(() => this.predictBody(x, args));
  }

  private async predictBody(x: ModelData, args: { batchSize?: number; maxRunBytes?: number; resetStates?: boolean }): Promise<Tensor<'float32'>> {
    const where = 'Sequential.predict';
    const X = this.toX(where, x);
    const batchSize = this.checkBatchSize(where, args.batchSize);
    const n = X.dims[0];
    const outShape = this.outputShapeFor(X.dims);
    const row = outShape.reduce((a, b) => a * b, 1);
    checkStages(where, this.predictStages(X.dims, Math.min(n, batchSize), n * row * 4), runBytesOption(where, 'args.maxRunBytes', args.maxRunBytes));
    const result = new Float32Array(n * row);
    const all = range(n);
    if (args.resetStates !== false) this.resetStates();
    // Stateful layers carry their states from call to call: those models run layer by layer.
    // Inputs of a shape the first layer refuses go to the layers too, which say what they expected.
    const stateful = this.layers.some((l) => l instanceof Recurrent && l.stateful);
    const sample = this.layers[0].inputShape!;
    const fits = X.dims.length === sample.length + 1 && sample.every((d, k) => d < 0 || d === X.dims[k + 1]);
    const session = stateful || !fits ? null : this.predictPlan.sessionFor(this.params, () => this.toOnnx());
    for (let b = 0; b < n; b += batchSize) {
      const e = Math.min(n, b + batchSize);
      const xb = takeRows(X, all, b, e);
      const planned = session && (await this.predictPlan.run(session, xb, [e - b, ...outShape]));
      result.set(planned || ((await this.forward(xb, false)).data as Float32Array), b * row);
      if (e < n) await yieldToEventLoop();
    }
    return new Tensor('float32', result, [n, ...outShape]);
  }

  /** What predict holds at once in each layer: the result, and the layer's input and output for one batch. */
  private predictStages(xDims: readonly number[], rows: number, resultBytes: number): { label: string; bytes: number }[] {
    // A variable axis (-1) takes the input's size on that axis (the time axis of a sequence).
    const size = (shape: readonly number[]): number => shape.reduce((a, d, k) => a * (d < 0 ? (xDims[k + 1] ?? 1) : d), 1);
    return this.layers.map((l) => ({ label: l.label, bytes: resultBytes + rows * 4 * (size(l.inputShape!) + size(l.outputShape!)) }));
  }

  /** A table of layers, output shapes and parameter counts; printed unless `print` is false. */
  summary(args: { print?: boolean } = {}): string {
    if (!this.built) throw new Error('Sequential.summary: the model has no shapes yet; call model.build(inputShape) or fit/predict first');
    const rows = this.layers.map((l) => [`${l.name} (${l.className})`, `(None, ${l.outputShape!.map((d) => (d < 0 ? 'None' : String(d))).join(', ')})`, String(l.countParams())]);
    const head = ['Layer (type)', 'Output Shape', 'Param #'];
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
    const line = (r: string[]): string => r.map((c, i) => (i === 2 ? c : c.padEnd(w[i]))).join('');
    const rule = '─'.repeat(w[0] + w[1] + w[2]);
    const total = this.layers.reduce((a, l) => a + l.countParams(), 0);
    const text = [`Model: "${this.name}"`, rule, line(head), rule, ...rows.map(line), rule, `Total params: ${total}`, `Trainable params: ${total}`, `Non-trainable params: 0`, rule].join('\n');
    if (args.print ?? true) console.log(text);
    return text;
  }

  private serializeModel(): Record<string, unknown> {
    return {
      format: 'gatedrnn-model',
      model: { className: this.className, config: { name: this.name, seed: this.seed, inputShape: this.layers[0].inputShape!.map((d) => (d < 0 ? null : d)), layers: this.layers.map(serializeLayer) } },
      compile: this.compiled && {
        optimizer: this.compiled.optimizer.getConfig(),
        loss: this.compiled.loss.getConfig(),
        metrics: this.compiled.metricSpecs,
      },
    };
  }

  /** Writes the model (architecture, weights, compile settings) to one file, atomically. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw typeError('Sequential.save', 'path', 'a file path', path);
    if (!this.built) throw new Error('Sequential.save: the model has no weights yet; call model.build(inputShape) or fit first');
    await this.writeFile(path);
  }

  /** The model file; a checkpoint adds the training state (optimizer, generator, epoch, history). */
  private async writeFile(path: string, training?: { epoch: number; history: Record<string, number[]>; callbacks: StatefulCallback[] }): Promise<void> {
    const header = this.serializeModel();
    const arrays: [string, Float32Array][] = [];
    this.layers.forEach((l, i) => l.params.forEach((p) => arrays.push([`${i}/${l.name}/${p.name}`, p.value])));
    if (training) {
      const opt = this.optimizer!;
      opt.state(this.params).forEach((s, i) => arrays.push([`optimizer/${i}`, s]));
      header.training = {
        epoch: training.epoch,
        iterations: opt.iterations,
        optimizer: opt.getConfig(),
        rng: this.trainRng.state,
        history: training.history,
        callbacks: training.callbacks.map((cb) => ({ kind: cb.kind, state: cb.getState() })),
      };
    }
    await writeAtomic(path, encode(header, arrays));
  }

  private loadWeights(arrays: Map<string, Float32Array>, source: string): void {
    this.layers.forEach((l, i) =>
      l.params.forEach((p) => {
        const key = `${i}/${l.name}/${p.name}`;
        const a = arrays.get(key);
        if (!a) throw new Error(`loadModel(${source}): the file has no weights for ${key}`);
        if (a.length !== p.value.length) throw new Error(`loadModel(${source}): ${key} holds ${a.length} values, expected ${p.value.length} for shape [${p.shape.join(', ')}]`);
        p.value.set(a);
      }),
    );
  }

  private async restoreCheckpoint(file: string, stateful: StatefulCallback[]): Promise<{ epoch: number; history: Record<string, number[]> }> {
    const where = 'Sequential.fit';
    const { header, arrays } = decode(await readFileCappedAsync(where, file, modelFileCap()), file);
    const t = header.training as { epoch: number; iterations: number; optimizer: OptimizerConfig; rng: number[]; history: Record<string, number[]>; callbacks: { kind: string; state: Record<string, unknown> }[] } | undefined;
    if (!t) throw new Error(`${where}: resumeFrom ${file} is a saved model, not a checkpoint (it has no training state)`);
    const saved = JSON.stringify((header.model as { config: { layers: SerializedLayer[] } }).config.layers.map((s) => ({ ...s, config: { ...s.config, name: undefined } })));
    const mine = JSON.stringify(this.layers.map(serializeLayer).map((s) => ({ ...s, config: { ...s.config, name: undefined } })));
    if (saved !== mine) throw new Error(`${where}: the checkpoint ${file} holds a different architecture than this model`);
    this.loadWeights(arrays, file);
    const opt = optimizerFromConfig(t.optimizer);
    opt.iterations = t.iterations;
    opt.state(this.params).forEach((s, i) => {
      const a = arrays.get(`optimizer/${i}`);
      if (!a || a.length !== s.length) throw new Error(`${where}: the checkpoint ${file} lacks optimizer state ${i} of the expected size`);
      s.set(a);
    });
    this.optimizer = opt;
    this.compiled!.optimizer = opt;
    this.trainRng.state = t.rng;
    for (const cb of stateful) {
      const s = t.callbacks.find((c) => c.kind === cb.kind);
      if (s) cb.setState(s.state);
    }
    return { epoch: t.epoch, history: t.history };
  }

  /**
   * The model as an ONNX file (bytes) for onnxruntime or loadOnnx: native GRU/LSTM nodes,
   * Gather, Gemm/MatMul, opset 14 by default, batch and time dims dynamic.
   */
  toOnnx(options?: ToOnnxOptions): Uint8Array {
    return modelToOnnx(this, options);
  }

  /**
   * The model as an inference session (what loadOnnx gives for its toOnnx export): the weights
   * packed once, `session.run` computing the whole pass off the event loop, with no training
   * state kept. The model stays usable; later changes to its weights do not reach the session.
   * What a server should run: see docs/serving.md.
   */
  toSession(options?: LoadOnnxOptions): OnnxSession {
    if (!this.built) throw new Error('Sequential.toSession: the model has no weights yet; call model.build(inputShape) or fit first');
    return new OnnxSession(this.toOnnx(), options);
  }

  /** Frees the layers' native resources. */
  dispose(): void {
    this.predictPlan.dispose();
    for (const l of this.layers) l.dispose();
  }

  /** Rebuilds a model from a file's bytes (what loadModel reads). */
  static fromBytes(bytes: Uint8Array, source = 'bytes'): Sequential {
    const where = `loadModel(${source})`;
    const contents = decode(bytes, source);
    const { header, arrays } = contents;
    const m = header.model as { className: string; config: { name: string; seed?: number; inputShape: (number | null)[]; layers: SerializedLayer[] } } | undefined;
    if (header.format !== 'gatedrnn-model' || !m || m.className !== 'Sequential' || !Array.isArray(m.config?.layers) || !Array.isArray(m.config.inputShape)) {
      throw new Error(`${where}: the header does not describe a Sequential model`);
    }
    const c = compileSettings(where, header.compile, true);
    // Built within what the file holds: no parameter is allocated or initialized past it.
    const model = buildingFromFile(where, floatsIn(contents), () => {
      const built = new Sequential(m.config.layers.map(layerFromConfig), { name: m.config.name, seed: m.config.seed });
      built.build(m.config.inputShape, 0);
      return built;
    });
    model.loadWeights(arrays, source);
    if (c) {
      const { name, ...config } = c.loss!;
      model.compile({ optimizer: optimizerFromConfig(c.optimizer), loss: new Loss(name as LossName, config as LossConfig), metrics: c.metrics });
    }
    return model;
  }
}

export function sequential(layerList: Layer[], args?: SequentialArgs): Sequential {
  return new Sequential(layerList, args);
}

/**
 * Reads a model saved with model.save (or a fit checkpoint): architecture, weights and compile
 * settings. A Seq2Seq file gives a Seq2Seq: `await loadModel<Seq2Seq>(path)`.
 */
export async function loadModel<M extends Sequential | Seq2Seq = Sequential>(path: string): Promise<M> {
  if (typeof path !== 'string' || path === '') throw typeError('loadModel', 'path', 'a file path', path);
  const bytes = await readFileCappedAsync('loadModel', path, modelFileCap());
  const kind = (decode(bytes, path).header.model as { className?: unknown } | undefined)?.className;
  return (kind === 'Seq2Seq' ? Seq2Seq.fromBytes(bytes, path) : Sequential.fromBytes(bytes, path)) as M;
}
