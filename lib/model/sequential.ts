// Sequential models: a stack of layers, compile / fit / evaluate / predict / summary, and the
// model file (architecture, weights, compile settings and, in checkpoints, the training state).
import { rangeError, typeError } from '../errors';
import { nonNegativeInt } from '../validate';
import { Tensor } from '../tensor';
import { type Activation, Bidirectional, Dense, Embedding, type Layer, layerFromConfig, Recurrent, toSampleShape } from '../layers';
import type { Param } from '../layers';
import { checkThreads } from '../layers/layer';
import type { Logs, TrainingModel } from '../train/callbacks';
import { Loss, type LossConfig, type LossName, toLoss } from '../train/losses';
import { type Metric, type MetricSpec, toMetrics } from '../train/metrics';
import { type Optimizer, optimizerFromConfig, toOptimizer } from '../train/optimizers';
import { randomSeed, Rng } from '../train/rng';
import { buildingFromFile } from '../train/initializers';
import { checkStages, runBytesOption } from '../memory';
import { type Batchable, type ModelData, range, setParams, takeRows, toBatchable } from './data';
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
} from './fit-loop';
import { compileSettings, decode, encode, floatsIn, writeAtomic } from './io';
import { modelToOnnx, type ToOnnxOptions } from './onnx';
import { type LoadOnnxOptions, OnnxSession } from '../onnx/session';
import { PredictPlan } from './predict-plan';
import { checkTargets, rowsOf, rowWeights } from './targets';
import { checkLayerList, nameLayers, summaryTable } from './layer-list';
import { loadLayerWeights, sameArchitecture, sequentialConfig, sequentialHeader, weightArrays } from './sequential-file';

export interface SequentialArgs {
  name?: string;
  /** Seeds weight initialization, shuffling and dropout (fit's `seed` overrides the latter two). */
  seed?: number;
  /**
   * Threads of every native call the layers make (recurrent and dense, training and inference);
   * default GATEDRNN_THREADS, else every hardware thread. Not stored in the model file.
   */
  threads?: number;
}

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | Loss;
  metrics?: (string | MetricSpec)[];
}

export type { FitArgs, History } from './fit-loop';

interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metricSpecs: (string | MetricSpec)[];
}

export class Sequential implements TrainingModel {
  readonly className = 'Sequential';
  readonly name: string;
  readonly layers: Layer[];
  readonly seed: number | undefined;
  readonly threads: number | undefined;
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
    checkLayerList(where, layerList);
    if (args.seed !== undefined) nonNegativeInt(where, 'seed', args.seed, Number.MAX_SAFE_INTEGER);
    this.threads = checkThreads(where, args.threads);
    this.name = args.name ?? 'sequential';
    this.seed = args.seed;
    this.trainRng = new Rng(trainingSeed(args.seed ?? randomSeed()));
    this.layers = layerList;
    for (const l of layerList) l.setThreads(this.threads);
    nameLayers(layerList);
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
    setParams('Sequential.setWeights', this.params, weights);
  }

  /** Each layer with its parameters (name, shape, values) and config: what an exporter walks. */
  describeLayers(): {
    name: string;
    className: string;
    config: Record<string, unknown>;
    inputShape: number[] | undefined;
    outputShape: number[] | undefined;
    weights: { name: string; shape: number[]; values: Float32Array }[];
  }[] {
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
    return checkTargets(where, y, xDims[0], this.compiled!.loss, this.outputShapeFor(xDims), this.layers[this.layers.length - 1].label);
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

  private lossOf(out: Activation, target: Batchable): { loss: number; grad: Float32Array; weights: Float32Array | null; fused: boolean } {
    const loss = this.compiled!.loss;
    const last = this.layers[this.layers.length - 1];
    const fused = last instanceof Dense && loss.fusesWith() !== null && loss.fusesWith() === last.activation;
    const weights = rowWeights(loss, out, target.data);
    const width = out.dims[out.dims.length - 1];
    const r = loss.compute({
      pred: out.data as Float32Array,
      logits: fused ? (last as Dense).preactivation! : undefined,
      width,
      target: target.data,
      weights,
    });
    return { ...r, weights, fused };
  }

  private updateMetrics(out: Activation, target: Batchable, weights: Float32Array | null): void {
    const sparse = this.compiled!.loss.sparse;
    for (const m of this.metrics)
      m.update({ pred: out.data as Float32Array, width: out.dims[out.dims.length - 1], target: target.data, sparse, weights });
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

  /**
   * Trains; resolves to the history of losses and metrics per epoch. Yields to the event loop
   * between batches. A first fit that fails before its first update leaves the model unbuilt.
   */
  async fit(x: ModelData, y: ModelData, args: FitArgs = {}): Promise<History> {
    const where = 'Sequential.fit';
    this.requireCompiled(where);
    const wasBuilt = this.built;
    this.updated = false;
    try {
      return await runFit(where, this.trainee(where), x, y, args);
    } catch (e) {
      if (!wasBuilt && this.built && !this.updated) this.unbuild();
      throw e;
    }
  }

  /** What the fit loop trains: this model's data checks, batches, evaluation and file. */
  private trainee(where: string): Trainee {
    return {
      model: this,
      params: () => this.params,
      metrics: () => this.metrics,
      validationPair: '[xVal, yVal]',
      rng: () => this.trainRng,
      setRng: (r) => {
        this.trainRng = r;
      },
      data: (x, y, validation, seed) => {
        const X = validation ? toBatchable(where, 'validationData[0]', x, this.inputType) : this.toX(where, x, seed);
        const Y = this.toY(where, y, X.dims);
        if (!validation && Y.dims[0] !== X.dims[0])
          throw rangeError(where, 'y.dims[0]', `${X.dims[0]} (one target per sample of x)`, String(Y.dims[0]));
        return [X, Y];
      },
      trainBatch: (xb, yb) => this.trainBatch(xb, yb),
      evaluate: (X, Y, batchSize) => this.evaluateBatches(X, Y, batchSize),
      checkArgs: (args) => {
        if (this.statefulLayers.length > 0 && args.shuffle !== false) {
          throw rangeError(
            where,
            'shuffle',
            'false for a model with stateful layers (row b of each batch continues row b of the one before)',
            String(args.shuffle ?? true),
          );
        }
      },
      beforeEpoch: () => this.resetStates(),
      file: () => this.file(),
      restore: (contents, source) => {
        if (!sameArchitecture(contents.header, this.layers))
          throw new Error(`${where}: the checkpoint ${source} holds a different architecture than this model`);
        loadLayerWeights(this.layers, contents.arrays, source);
      },
      setOptimizer: (opt) => {
        this.optimizer = opt;
        this.compiled!.optimizer = opt;
      },
    };
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
      return this.evaluateBatches(X, Y, batchSizeOf(where, args.batchSize));
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

  private async predictBody(
    x: ModelData,
    args: { batchSize?: number; maxRunBytes?: number; resetStates?: boolean },
  ): Promise<Tensor<'float32'>> {
    const where = 'Sequential.predict';
    const X = this.toX(where, x);
    const batchSize = batchSizeOf(where, args.batchSize);
    const n = X.dims[0];
    const outShape = this.outputShapeFor(X.dims);
    const row = outShape.reduce((a, b) => a * b, 1);
    checkStages(
      where,
      this.predictStages(X.dims, Math.min(n, batchSize), n * row * 4),
      runBytesOption(where, 'args.maxRunBytes', args.maxRunBytes),
    );
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
    const text = summaryTable(this.name, this.layers);
    if (args.print ?? true) console.log(text);
    return text;
  }

  /** Writes the model (architecture, weights, compile settings) to one file, atomically. */
  async save(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw typeError('Sequential.save', 'path', 'a file path', path);
    if (!this.built) throw new Error('Sequential.save: the model has no weights yet; call model.build(inputShape) or fit first');
    const { header, arrays } = this.file();
    await writeAtomic(path, encode(header, arrays));
  }

  /** The model file's header and arrays: architecture, compile settings and weights. */
  private file(): ModelFile {
    return { header: sequentialHeader(this, this.compiled), arrays: weightArrays(this.layers) };
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
   * What a server should run: see docs/serving.md. Without options, it runs on the model's threads.
   */
  toSession(options?: LoadOnnxOptions): OnnxSession {
    if (!this.built) throw new Error('Sequential.toSession: the model has no weights yet; call model.build(inputShape) or fit first');
    return new OnnxSession(this.toOnnx(), options === undefined && this.threads !== undefined ? { threads: this.threads } : options);
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
    const arch = sequentialConfig(where, header);
    const c = compileSettings(where, header.compile, true);
    // Built within what the file holds: no parameter is allocated or initialized past it.
    const model = buildingFromFile(where, floatsIn(contents), () => {
      const built = new Sequential(arch.layers.map(layerFromConfig), { name: arch.name, seed: arch.seed });
      built.build(arch.inputShape, 0);
      return built;
    });
    loadLayerWeights(model.layers, arrays, source);
    if (c) {
      const { name, ...config } = c.loss!;
      model.compile({
        optimizer: optimizerFromConfig(c.optimizer),
        loss: new Loss(name as LossName, config as LossConfig),
        metrics: c.metrics,
      });
    }
    return model;
  }
}

export function sequential(layerList: Layer[], args?: SequentialArgs): Sequential {
  return new Sequential(layerList, args);
}
