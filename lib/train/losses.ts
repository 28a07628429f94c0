// Keras's losses over rows of the last axis: [N, K] predictions (one row per sample) or [N, T, K]
// sequences (one row per step; steps past a row's length and targets equal to ignoreClass
// weigh nothing). The loss is the weighted mean over rows; each returns dLoss/dPrediction, and
// the cross-entropies fused with their output activation give dLoss/dLogits directly.
import { rangeError, typeError } from '../errors';
import { finite, integer } from '../validate';

export type LossName =
  | 'sparseCategoricalCrossentropy'
  | 'categoricalCrossentropy'
  | 'binaryCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'huber';
export const LOSS_NAMES: readonly LossName[] = [
  'sparseCategoricalCrossentropy',
  'categoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
];
const ALIASES: Record<string, LossName> = {
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
};

export interface LossConfig {
  fromLogits?: boolean;
  /** Sparse cross-entropy: rows whose target is this class are ignored (padding in seq2seq). */
  ignoreClass?: number | null;
  /** Huber's threshold (default 1). */
  delta?: number;
}

// Keras's backend epsilon: probabilities are clipped to [EPS, 1 - EPS] before the log.
const EPS = 1e-7;

/** The prediction, its target and per-row weights, as the model hands them to a loss. */
export interface LossInput {
  pred: Float32Array;
  /** Logits (the output Dense's pre-activation) when the loss is fused with that activation. */
  logits?: Float32Array;
  width: number;
  target: Float32Array | Int32Array;
  /** Weight per row (0 for masked rows); null: all 1. */
  weights: Float32Array | null;
}

export class Loss {
  readonly name: LossName;
  readonly fromLogits: boolean;
  readonly ignoreClass: number | null;
  readonly delta: number;

  constructor(name: LossName, config: LossConfig = {}) {
    const where = `losses.${name}`;
    if (!(LOSS_NAMES as readonly unknown[]).includes(name))
      throw rangeError('Loss', 'name', `one of ${LOSS_NAMES.join(', ')}`, JSON.stringify(name));
    if (config === null || typeof config !== 'object') throw typeError(where, 'its argument', 'a config object', config);
    if (config.fromLogits !== undefined && typeof config.fromLogits !== 'boolean')
      throw typeError(where, 'fromLogits', 'a boolean', config.fromLogits);
    if (config.ignoreClass !== undefined && config.ignoreClass !== null)
      integer(where, 'ignoreClass', config.ignoreClass, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'an integer or null');
    if (config.delta !== undefined) finite(where, 'delta', config.delta, Number.MIN_VALUE, Infinity, 'a positive number');
    this.name = name;
    this.fromLogits = config.fromLogits ?? false;
    this.ignoreClass = config.ignoreClass ?? null;
    this.delta = config.delta ?? 1;
  }

  get sparse(): boolean {
    return this.name === 'sparseCategoricalCrossentropy';
  }

  getConfig(): { name: LossName; fromLogits: boolean; ignoreClass: number | null; delta: number } {
    return { name: this.name, fromLogits: this.fromLogits, ignoreClass: this.ignoreClass, delta: this.delta };
  }

  /** The output activation this loss can fuse with (its gradient then comes w.r.t. the logits). */
  fusesWith(): 'softmax' | 'sigmoid' | null {
    if (this.fromLogits) return null;
    if (this.name === 'sparseCategoricalCrossentropy' || this.name === 'categoricalCrossentropy') return 'softmax';
    if (this.name === 'binaryCrossentropy') return 'sigmoid';
    return null;
  }

  /** Rows whose weight is zero because their target is ignoreClass. */
  applyIgnore(target: Int32Array, weights: Float32Array): void {
    if (this.ignoreClass === null) return;
    for (let r = 0; r < target.length; r++) if (target[r] === this.ignoreClass) weights[r] = 0;
  }

  /** Returns the loss and dLoss/dPred (dLoss/dLogits when `logits` is given). */
  compute(inp: LossInput): { loss: number; grad: Float32Array } {
    const { width: k, weights } = inp;
    const rows = inp.pred.length / k;
    let wsum = 0;
    if (weights) for (let r = 0; r < rows; r++) wsum += weights[r];
    else wsum = rows;
    const grad = new Float32Array(inp.pred.length);
    if (wsum === 0) return { loss: 0, grad };
    const inv = 1 / wsum;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const w = weights ? weights[r] : 1;
      if (w === 0) continue;
      total += w * this.row(inp, r * k, k, r, grad, w * inv);
    }
    return { loss: total * inv, grad };
  }

  // One row's loss; adds scale * dLoss_row/d(pred or logits) into grad.
  private row(inp: LossInput, o: number, k: number, r: number, grad: Float32Array, scale: number): number {
    const p = inp.pred;
    const z = this.fromLogits ? p : inp.logits;
    const t = inp.target;
    switch (this.name) {
      case 'sparseCategoricalCrossentropy':
      case 'categoricalCrossentropy': {
        const sparse = this.sparse;
        const label = sparse ? t[r] : -1;
        if (z) {
          // From logits: loss = logsumexp(z) * sum(t) - t . z; grad = softmax(z) * sum(t) - t.
          let m = -Infinity;
          for (let j = 0; j < k; j++) if (z[o + j] > m) m = z[o + j];
          let s = 0;
          for (let j = 0; j < k; j++) s += Math.exp(z[o + j] - m);
          const lse = m + Math.log(s);
          let tsum = 0;
          let loss = 0;
          for (let j = 0; j < k; j++) {
            const tj = sparse ? (j === label ? 1 : 0) : t[o + j];
            tsum += tj;
            loss -= tj * (z[o + j] - lse);
          }
          for (let j = 0; j < k; j++) {
            const tj = sparse ? (j === label ? 1 : 0) : t[o + j];
            grad[o + j] += scale * (Math.exp(z[o + j] - lse) * tsum - tj);
          }
          return loss;
        }
        // From probabilities, as Keras: q = p / sum(p), clipped to [EPS, 1 - EPS], -sum(t log q).
        let s = 0;
        for (let j = 0; j < k; j++) s += p[o + j];
        let loss = 0;
        let gq = 0; // sum_j dL/dq_j * q_j
        for (let j = 0; j < k; j++) {
          const tj = sparse ? (j === label ? 1 : 0) : t[o + j];
          if (tj === 0) continue;
          const q = p[o + j] / s;
          const qc = q < EPS ? EPS : Math.min(q, 1 - EPS);
          loss -= tj * Math.log(qc);
          if (qc === q) gq -= tj;
        }
        for (let j = 0; j < k; j++) {
          const tj = sparse ? (j === label ? 1 : 0) : t[o + j];
          const q = p[o + j] / s;
          const clipped = q < EPS || q > 1 - EPS;
          const g = tj === 0 || clipped ? 0 : -tj / q;
          grad[o + j] += (scale * (g - gq)) / s;
        }
        return loss;
      }
      case 'binaryCrossentropy': {
        let loss = 0;
        for (let j = 0; j < k; j++) {
          const tj = t[o + j];
          if (z) {
            const zj = z[o + j];
            loss += Math.max(zj, 0) - zj * tj + Math.log1p(Math.exp(-Math.abs(zj)));
            grad[o + j] += (scale * (1 / (1 + Math.exp(-zj)) - tj)) / k;
          } else {
            const pj = p[o + j];
            const pc = pj < EPS ? EPS : Math.min(pj, 1 - EPS);
            loss -= tj * Math.log(pc) + (1 - tj) * Math.log(1 - pc);
            if (pc === pj) grad[o + j] += (scale * (-tj / pj + (1 - tj) / (1 - pj))) / k;
          }
        }
        return loss / k;
      }
      case 'meanSquaredError': {
        let loss = 0;
        for (let j = 0; j < k; j++) {
          const e = p[o + j] - t[o + j];
          loss += e * e;
          grad[o + j] += (scale * 2 * e) / k;
        }
        return loss / k;
      }
      case 'meanAbsoluteError': {
        let loss = 0;
        for (let j = 0; j < k; j++) {
          const e = p[o + j] - t[o + j];
          loss += Math.abs(e);
          grad[o + j] += (scale * Math.sign(e)) / k;
        }
        return loss / k;
      }
      case 'huber': {
        const d = this.delta;
        let loss = 0;
        for (let j = 0; j < k; j++) {
          const e = p[o + j] - t[o + j];
          const a = Math.abs(e);
          loss += a <= d ? 0.5 * e * e : d * (a - 0.5 * d);
          grad[o + j] += (scale * (a <= d ? e : d * Math.sign(e))) / k;
        }
        return loss / k;
      }
    }
  }
}

export function toLoss(where: string, v: unknown): Loss {
  if (v instanceof Loss) return v;
  if (typeof v === 'string') {
    // Own keys only: 'constructor' or 'toString' are not losses.
    const name = (LOSS_NAMES as readonly string[]).includes(v) ? (v as LossName) : Object.hasOwn(ALIASES, v) ? ALIASES[v] : undefined;
    if (name) return new Loss(name);
    throw rangeError(where, 'loss', `one of ${LOSS_NAMES.join(', ')} (or a losses.* object)`, `"${v}"`);
  }
  throw typeError(where, 'loss', 'a loss name or a losses.* object', v);
}

export const losses = {
  sparseCategoricalCrossentropy: (c?: LossConfig): Loss => new Loss('sparseCategoricalCrossentropy', c),
  categoricalCrossentropy: (c?: LossConfig): Loss => new Loss('categoricalCrossentropy', c),
  binaryCrossentropy: (c?: LossConfig): Loss => new Loss('binaryCrossentropy', c),
  meanSquaredError: (): Loss => new Loss('meanSquaredError'),
  meanAbsoluteError: (): Loss => new Loss('meanAbsoluteError'),
  huber: (c?: LossConfig): Loss => new Loss('huber', c),
};
