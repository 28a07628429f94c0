// The training loop that the sequential and the encoder–decoder models share: fit's argument
// checks, seeds, validation data or split, callbacks, checkpoints and resuming, and each epoch of
// batches in a seeded order with the loss averaged over rows, the metrics, the history and the
// progress line. A model supplies its data checks, one batch's training and an evaluation.
import { rangeError, typeError } from '../errors';
import { nonNegativeInt, positiveInt } from '../validate';
import { modelFileCap, readFileCappedAsync } from '../files';
import type { Param } from '../layers/layer';
import {
  type Callback,
  EarlyStopping,
  type EarlyStoppingArgs,
  type Logs,
  type StatefulCallback,
  type TrainingModel,
} from '../train/callbacks';
import type { Metric } from '../train/metrics';
import { type Optimizer, type OptimizerConfig, optimizerFromConfig } from '../train/optimizers';
import { Rng } from '../train/rng';
import { type Batchable, type ModelData, range, takeRows } from './data';
import { decode, encode, type FileContents, writeAtomic } from './io';

export interface History {
  /** The epochs run (0-based), including those before a resumed checkpoint. */
  epoch: number[];
  /** Each log per epoch: loss, the metrics, val_loss and val_ metrics. */
  history: Record<string, number[]>;
  readonly loss: number[];
  readonly val_loss?: number[];
}

/** fit() arguments that `sequential` and `seq2seq` models share. */
export interface BaseFitArgs {
  epochs?: number;
  batchSize?: number;
  validationData?: readonly [ModelData, ModelData];
  shuffle?: boolean;
  /** Seeds shuffling and dropout (and a sequential model's initialization if it is not built
   * yet); without it they continue from the model's seed. */
  seed?: number;
  callbacks?: Callback | Callback[];
  earlyStopping?: EarlyStoppingArgs;
  /** 0: silent; 1 or 2: one line per epoch. */
  verbose?: 0 | 1 | 2;
}

/** fit() arguments of every model: the shared ones, the validation split and checkpoints. */
export interface FitArgs extends BaseFitArgs {
  /** The last fraction of the samples (before shuffling) held out as validation data, as in Keras. */
  validationSplit?: number;
  /** Save a checkpoint (weights, optimizer, generator, epoch) to `path` every `every` epochs. */
  checkpoint?: { path: string; every?: number };
  /** Continue from a checkpoint file: training picks up at its epoch and runs to `epochs`. */
  resumeFrom?: string;
}

export function makeHistory(epoch: number[], history: Record<string, number[]>): History {
  const h = { epoch, history } as History;
  for (const key of Object.keys(history)) Object.defineProperty(h, key, { get: () => history[key], enumerable: false });
  return h;
}

// Training draws from a stream other than initialization's, even when both come from one seed.
export const trainingSeed = (seed: number): number => (seed ^ 0x5bd1e995) >>> 0;

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** fit's callbacks: the user's and, with `earlyStopping`, one more; those with state are bound to the model. */
export function fitCallbacks(
  args: { callbacks?: Callback | Callback[]; earlyStopping?: EarlyStoppingArgs },
  model: TrainingModel,
): { callbacks: Callback[]; stateful: StatefulCallback[] } {
  const callbacks: Callback[] = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? [...args.callbacks] : [args.callbacks];
  if (args.earlyStopping) callbacks.push(new EarlyStopping(args.earlyStopping));
  const stateful = callbacks.filter((cb): cb is StatefulCallback => typeof (cb as StatefulCallback).setModel === 'function');
  for (const cb of stateful) cb.setModel(model);
  return { callbacks, stateful };
}

/** One batch's mean loss and the rows (or weight) it averages over. */
export type BatchLoss = { loss: number; rows: number };

/** The row-weighted mean loss over batches [b, e) of n samples; yields to the event loop between batches. */
export async function meanLoss(n: number, batchSize: number, batch: (b: number, e: number) => Promise<BatchLoss>): Promise<number> {
  let lossSum = 0;
  let rowSum = 0;
  for (let b = 0; b < n; b += batchSize) {
    const r = await batch(b, Math.min(n, b + batchSize));
    lossSum += r.loss * r.rows;
    rowSum += r.rows;
    await yieldToEventLoop();
  }
  return rowSum === 0 ? 0 : lossSum / rowSum;
}

/** { loss, metric: value, ... } after the metrics have seen every batch. */
export function logsOf(loss: number, metrics: Metric[]): Logs {
  const logs: Logs = { loss };
  for (const m of metrics) logs[m.name] = m.result();
  return logs;
}

export interface Epoch {
  epoch: number;
  epochs: number;
  /** Samples, and the order buffer (n long) the epoch shuffles into. */
  n: number;
  order: Int32Array;
  batchSize: number;
  shuffle: boolean;
  rng: Rng;
  metrics: Metric[];
  callbacks: Callback[];
  verbose: number;
  /** Trains on the samples order[b..e) (forward, backward and the update). */
  trainBatch: (order: Int32Array, b: number, e: number) => Promise<BatchLoss>;
  /** The validation logs, or null without validation data. */
  validate: (() => Promise<Logs>) | null;
  /** Appended to: the epoch and each log. */
  epochList: number[];
  history: Record<string, number[]>;
}

/** Runs one epoch and records it in the history. */
export async function runEpoch(a: Epoch): Promise<void> {
  for (const cb of a.callbacks) await cb.onEpochBegin?.(a.epoch, {});
  // From the identity each epoch, so the order depends only on the generator's state, which a
  // checkpoint stores.
  a.order.set(range(a.n));
  if (a.shuffle) a.rng.shuffle(a.order);
  for (const m of a.metrics) m.reset();
  let batch = 0;
  const loss = await meanLoss(a.n, a.batchSize, async (b, e) => {
    for (const cb of a.callbacks) await cb.onBatchBegin?.(batch, {});
    const r = await a.trainBatch(a.order, b, e);
    for (const cb of a.callbacks) await cb.onBatchEnd?.(batch, { batch, size: e - b, loss: r.loss });
    batch++;
    return r;
  });
  const logs = logsOf(loss, a.metrics);
  if (a.validate) for (const [k, v] of Object.entries(await a.validate())) logs[`val_${k}`] = v;
  for (const cb of a.callbacks) await cb.onEpochEnd?.(a.epoch, logs);
  a.epochList.push(a.epoch);
  for (const [k, v] of Object.entries(logs)) (a.history[k] ??= []).push(v);
  if (a.verbose > 0)
    console.log(
      `Epoch ${a.epoch + 1}/${a.epochs} - ${Object.entries(logs)
        .map(([k, v]) => `${k}: ${v.toPrecision(4)}`)
        .join(' - ')}`,
    );
}

/** A model file's contents before encoding: the header and the named arrays (weights first). */
export interface ModelFile {
  header: Record<string, unknown>;
  arrays: [string, Float32Array][];
}

/** What a model gives the fit loop: its data checks, one batch's training and evaluation, its file. */
export interface Trainee {
  readonly model: TrainingModel;
  params(): Param[];
  metrics(): Metric[];
  /** How errors name validationData: '[xVal, yVal]'. */
  readonly validationPair: string;
  /** The generator of shuffling and dropout: fit reseeds it, checkpoints store it. */
  rng(): Rng;
  setRng(rng: Rng): void;
  /** Checks and converts the training pair (building the model with `seed` if it needs to) or the validation pair. */
  data(x: unknown, y: unknown, validation: boolean, seed: number | undefined): [Batchable, Batchable];
  /** Forward, backward and the optimizer's update on one batch. */
  trainBatch(x: Batchable, y: Batchable): Promise<BatchLoss>;
  evaluate(x: Batchable, y: Batchable, batchSize: number): Promise<Logs>;
  /** Checks the model's own constraints on fit's arguments. */
  checkArgs?(args: FitArgs): void;
  /** Before each epoch's batches (stateful layers start each pass from zeros). */
  beforeEpoch?(): void;
  /** The model file: architecture, weights and compile settings. */
  file(): ModelFile;
  /** Loads a checkpoint's weights after checking that it holds this architecture. */
  restore(contents: FileContents, source: string): void;
  /** Installs the optimizer a checkpoint restored. */
  setOptimizer(opt: Optimizer): void;
}

interface TrainingState {
  epoch: number;
  iterations: number;
  optimizer: OptimizerConfig;
  rng: number[];
  history: Record<string, number[]>;
  callbacks: { kind: string; state: Record<string, unknown> }[];
}

const checkSeed = (where: string, v: unknown): void => {
  if (v !== undefined) nonNegativeInt(where, 'seed', v, Number.MAX_SAFE_INTEGER);
};

/** fit's batchSize (default 32); evaluate's too. */
export function batchSizeOf(where: string, v: unknown): number {
  if (v === undefined) return 32;
  return positiveInt(where, 'batchSize', v);
}

/** The last `fraction` of the samples as validation data, the rest for training (as Keras, before shuffling). */
function splitOff(
  where: string,
  X: Batchable,
  Y: Batchable,
  fraction: unknown,
): { train: [Batchable, Batchable]; val: [Batchable, Batchable] } {
  if (typeof fraction !== 'number') throw typeError(where, 'validationSplit', 'a number in (0, 1)', fraction);
  if (!(fraction > 0 && fraction < 1)) throw rangeError(where, 'validationSplit', 'a number in (0, 1)', String(fraction));
  const n = X.dims[0];
  const nVal = Math.floor(n * fraction);
  if (nVal < 1 || nVal >= n)
    throw rangeError(where, 'validationSplit', `a fraction leaving both parts non-empty for ${n} samples`, String(fraction));
  const nTrain = n - nVal;
  const tail = range(nVal, nTrain);
  const head = range(nTrain);
  return {
    train: [takeRows(X, head, 0, nTrain), takeRows(Y, head, 0, nTrain)],
    val: [takeRows(X, tail, 0, nVal), takeRows(Y, tail, 0, nVal)],
  };
}

/** Writes the model file plus the training state: optimizer, generator, epoch, history, callbacks. */
async function writeCheckpoint(
  t: Trainee,
  path: string,
  epoch: number,
  history: Record<string, number[]>,
  stateful: StatefulCallback[],
): Promise<void> {
  const { header, arrays } = t.file();
  const opt = t.model.optimizer!;
  opt.state(t.params()).forEach((s, i) => arrays.push([`optimizer/${i}`, s]));
  const training: TrainingState = {
    epoch,
    iterations: opt.iterations,
    optimizer: opt.getConfig(),
    rng: t.rng().state,
    history,
    callbacks: stateful.map((cb) => ({ kind: cb.kind, state: cb.getState() })),
  };
  header.training = training;
  await writeAtomic(path, encode(header, arrays));
}

/** Loads a checkpoint into the model: weights, optimizer, generator and callback states. */
async function restoreCheckpoint(
  where: string,
  t: Trainee,
  file: string,
  stateful: StatefulCallback[],
): Promise<{ epoch: number; history: Record<string, number[]> }> {
  const contents = decode(await readFileCappedAsync(where, file, modelFileCap()), file);
  const state = contents.header.training as TrainingState | undefined;
  if (!state) throw new Error(`${where}: resumeFrom ${file} is a saved model, not a checkpoint (it has no training state)`);
  t.restore(contents, file);
  const opt = optimizerFromConfig(state.optimizer);
  opt.iterations = state.iterations;
  opt.state(t.params()).forEach((s, i) => {
    const a = contents.arrays.get(`optimizer/${i}`);
    if (!a || a.length !== s.length) throw new Error(`${where}: the checkpoint ${file} lacks optimizer state ${i} of the expected size`);
    s.set(a);
  });
  t.setOptimizer(opt);
  t.rng().state = state.rng;
  for (const cb of stateful) {
    const s = state.callbacks.find((c) => c.kind === cb.kind);
    if (s) cb.setState(s.state);
  }
  return { epoch: state.epoch, history: state.history };
}

/**
 * fit: checks the arguments, holds out validation data, restores a checkpoint if asked, runs the
 * epochs with the callbacks and writes checkpoints; resolves to the history.
 */
export async function runFit(where: string, t: Trainee, x: unknown, y: unknown, args: FitArgs): Promise<History> {
  if (args === null || typeof args !== 'object') throw typeError(where, 'its third argument', 'an options object', args);
  const epochs = args.epochs ?? 1;
  nonNegativeInt(where, 'epochs', epochs, Number.MAX_SAFE_INTEGER);
  const batchSize = batchSizeOf(where, args.batchSize);
  checkSeed(where, args.seed);
  const verbose = args.verbose ?? 1;
  const every = args.checkpoint?.every ?? 1;
  if (
    args.checkpoint !== undefined &&
    (args.checkpoint === null || typeof args.checkpoint.path !== 'string' || !(Number.isSafeInteger(every) && every > 0))
  ) {
    throw typeError(where, 'checkpoint', '{ path: string, every?: positive integer }', args.checkpoint);
  }
  t.checkArgs?.(args);
  let [X, Y] = t.data(x, y, false, args.seed);
  let val: [Batchable, Batchable] | null = null;
  if (args.validationData !== undefined) {
    if (!Array.isArray(args.validationData) || args.validationData.length !== 2)
      throw typeError(where, 'validationData', t.validationPair, args.validationData);
    val = t.data(args.validationData[0], args.validationData[1], true, undefined);
  } else if (args.validationSplit !== undefined) {
    const parts = splitOff(where, X, Y, args.validationSplit);
    [X, Y] = parts.train;
    val = parts.val;
  }
  const { callbacks: cbs, stateful } = fitCallbacks(args, t.model);
  if (args.seed !== undefined) t.setRng(new Rng(trainingSeed(args.seed)));
  let epoch0 = 0;
  const history: Record<string, number[]> = {};
  const epochList: number[] = [];
  if (args.resumeFrom !== undefined) {
    const state = await restoreCheckpoint(where, t, args.resumeFrom, stateful);
    epoch0 = state.epoch;
    for (const [k, v] of Object.entries(state.history)) history[k] = [...v];
    epochList.push(...range(epoch0));
  }
  const model = t.model;
  model.stopTraining = false;
  const n = X.dims[0];
  const order = range(n);
  for (const cb of cbs) await cb.onTrainBegin?.({});
  for (let epoch = epoch0; epoch < epochs && !model.stopTraining; epoch++) {
    t.beforeEpoch?.();
    await runEpoch({
      epoch,
      epochs,
      n,
      order,
      batchSize,
      shuffle: args.shuffle ?? true,
      rng: t.rng(),
      metrics: t.metrics(),
      callbacks: cbs,
      verbose,
      epochList,
      history,
      trainBatch: (o, b, e) => t.trainBatch(takeRows(X, o, b, e), takeRows(Y, o, b, e)),
      validate: val ? () => t.evaluate(val![0], val![1], batchSize) : null,
    });
    if (args.checkpoint && ((epoch + 1) % every === 0 || epoch + 1 === epochs || model.stopTraining)) {
      await writeCheckpoint(t, args.checkpoint.path, epoch + 1, history, stateful);
    }
  }
  for (const cb of cbs) await cb.onTrainEnd?.({});
  return makeHistory(epochList, history);
}
