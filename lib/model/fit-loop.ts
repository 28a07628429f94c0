// The training loop that the sequential and the encoder–decoder models share: an epoch of batches
// in a seeded order with the callbacks, the loss averaged over rows, the metrics, validation, the
// history and the progress line.

import { Callback, EarlyStopping, EarlyStoppingArgs, Logs, StatefulCallback, TrainingModel } from '../train/callbacks';
import { Metric } from '../train/metrics';
import { Rng } from '../train/rng';
import { ModelData, range } from './data';

export interface History {
  /** The epochs run (0-based), including those before a resumed checkpoint. */
  epoch: number[];
  /** Each log per epoch: loss, the metrics, val_loss and val_ metrics. */
  history: Record<string, number[]>;
  readonly loss: number[];
  readonly val_loss?: number[];
}

/** history.loss, history.val_loss, ... read history.history, as in tfjs. */
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
  if (a.verbose > 0) console.log(`Epoch ${a.epoch + 1}/${a.epochs} - ${Object.entries(logs).map(([k, v]) => `${k}: ${v.toPrecision(4)}`).join(' - ')}`);
}
