// Metrics that accumulate over an epoch (as Keras's stateful metrics do) and report one number.
// Rows are those of the loss: samples, or steps of a sequence, weighted (masked steps weigh 0).
import { rangeError, typeError } from '../errors';
import { positiveInt } from '../validate';
import type { Loss } from './losses';

export type MetricName = 'accuracy' | 'topK' | 'precision' | 'recall' | 'f1' | 'mse' | 'rmse' | 'mae';
export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'topK', 'precision', 'recall', 'f1', 'mse', 'rmse', 'mae'];
export const METRIC_ALIASES: Record<string, MetricName> = {
  acc: 'accuracy',
  meanSquaredError: 'mse',
  meanAbsoluteError: 'mae',
  mean_squared_error: 'mse',
  mean_absolute_error: 'mae',
};

/** A metric as compile takes it: a name, or { name: 'topK', k } and the like. */
export interface MetricSpec {
  name: MetricName;
  /** topK: how many of the highest scores count (default 5). */
  k?: number;
  /** Binary metrics: a prediction counts as positive above this (default 0.5). */
  threshold?: number;
}

export interface MetricBatch {
  pred: Float32Array;
  width: number;
  target: Float32Array | Int32Array;
  sparse: boolean;
  weights: Float32Array | null;
}

function argmax(a: Float32Array | Int32Array, o: number, k: number): number {
  let best = o;
  for (let j = o + 1; j < o + k; j++) if (a[j] > a[best]) best = j;
  return best - o;
}

export class Metric {
  readonly name: string;
  readonly kind: MetricName;
  readonly k: number;
  readonly threshold: number;
  private sum = 0;
  private count = 0;
  private tp: Float64Array = new Float64Array(0);
  private fp: Float64Array = new Float64Array(0);
  private fn: Float64Array = new Float64Array(0);

  constructor(spec: MetricSpec, label: string) {
    this.kind = spec.name;
    this.name = label;
    this.k = spec.k ?? 5;
    this.threshold = spec.threshold ?? 0.5;
  }

  reset(): void {
    this.sum = 0;
    this.count = 0;
    this.tp = new Float64Array(0);
  }

  update(b: MetricBatch): void {
    const { pred, width: k, target, sparse, weights } = b;
    const rows = pred.length / k;
    if (this.kind === 'precision' || this.kind === 'recall' || this.kind === 'f1') {
      const classes = k === 1 ? 1 : k;
      if (this.tp.length !== classes) {
        this.tp = new Float64Array(classes);
        this.fp = new Float64Array(classes);
        this.fn = new Float64Array(classes);
      }
      for (let r = 0; r < rows; r++) {
        const w = weights ? weights[r] : 1;
        if (w === 0) continue;
        if (k === 1) {
          const p = pred[r] > this.threshold;
          const t = target[r] > 0.5;
          if (p && t) this.tp[0] += w;
          else if (p) this.fp[0] += w;
          else if (t) this.fn[0] += w;
        } else {
          const p = argmax(pred, r * k, k);
          const t = sparse ? target[r] : argmax(target, r * k, k);
          if (p === t) this.tp[p] += w;
          else {
            this.fp[p] += w;
            if (t >= 0 && t < k) this.fn[t] += w;
          }
        }
      }
      return;
    }
    for (let r = 0; r < rows; r++) {
      const w = weights ? weights[r] : 1;
      if (w === 0) continue;
      const o = r * k;
      switch (this.kind) {
        case 'accuracy':
          if (k === 1 && !sparse) {
            this.sum += w * (pred[r] > this.threshold === target[r] > 0.5 ? 1 : 0);
          } else {
            const t = sparse ? target[r] : argmax(target, o, k);
            this.sum += w * (argmax(pred, o, k) === t ? 1 : 0);
          }
          this.count += w;
          break;
        case 'topK': {
          const t = sparse ? target[r] : argmax(target, o, k);
          const v = pred[o + t];
          let above = 0;
          for (let j = o; j < o + k; j++) if (pred[j] > v) above++;
          this.sum += w * (above < this.k ? 1 : 0);
          this.count += w;
          break;
        }
        default:
          for (let j = 0; j < k; j++) {
            const e = pred[o + j] - target[o + j];
            this.sum += w * (this.kind === 'mae' ? Math.abs(e) : e * e);
          }
          this.count += w * k;
      }
    }
  }

  result(): number {
    if (this.kind === 'precision' || this.kind === 'recall' || this.kind === 'f1') {
      // Macro average over classes (one class, the positive one, for a single sigmoid output).
      let total = 0;
      for (let c = 0; c < this.tp.length; c++) {
        const p = this.tp[c] + this.fp[c] === 0 ? 0 : this.tp[c] / (this.tp[c] + this.fp[c]);
        const r = this.tp[c] + this.fn[c] === 0 ? 0 : this.tp[c] / (this.tp[c] + this.fn[c]);
        total += this.kind === 'precision' ? p : this.kind === 'recall' ? r : p + r === 0 ? 0 : (2 * p * r) / (p + r);
      }
      return this.tp.length === 0 ? 0 : total / this.tp.length;
    }
    if (this.count === 0) return 0;
    const m = this.sum / this.count;
    return this.kind === 'rmse' ? Math.sqrt(m) : m;
  }
}

/** Resolves compile's metrics. `loss` decides which accuracy 'accuracy' means, as in Keras. */
export function toMetrics(where: string, v: unknown, loss: Loss): Metric[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw typeError(where, 'metrics', 'an array of metric names or { name, k, threshold } objects', v);
  const out: Metric[] = [];
  for (const m of v) {
    const spec: MetricSpec =
      typeof m === 'string' ? { name: (Object.hasOwn(METRIC_ALIASES, m) ? METRIC_ALIASES[m] : m) as MetricName } : (m as MetricSpec);
    if (spec === null || typeof spec !== 'object' || !(METRIC_NAMES as readonly string[]).includes(spec.name)) {
      throw rangeError(where, 'each metric', `one of ${METRIC_NAMES.join(', ')}`, typeof m === 'string' ? `"${m}"` : JSON.stringify(m));
    }
    if (spec.k !== undefined) positiveInt(where, 'metric k', spec.k);
    const threshold = spec.threshold ?? (loss.fromLogits && loss.name === 'binaryCrossentropy' ? 0 : 0.5);
    const label = typeof m === 'string' ? m : spec.name === 'topK' ? `top${spec.k ?? 5}` : spec.name;
    out.push(new Metric({ ...spec, threshold }, label));
  }
  return out;
}
