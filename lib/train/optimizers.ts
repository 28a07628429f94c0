// Keras's optimizers (same defaults and update formulas), global-norm clipping, and state that
// a checkpoint stores. Sparse parameters (embeddings) update only the rows a batch touched, so
// their moments decay lazily, as in LazyAdam / PyTorch's SparseAdam.
import { rangeError, typeError } from '../errors';
import { adamUpdate } from '../ops/optimizer';
import { boolean, finite } from '../validate';
import type { Param } from './param';
import { Schedule, type ScheduleConfig } from './schedules';

export type OptimizerName = 'sgd' | 'adam' | 'adamw' | 'rmsprop';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['sgd', 'adam', 'adamw', 'rmsprop'];

export interface OptimizerArgs {
  learningRate?: number | Schedule;
  /** Rescale all gradients together when their global L2 norm exceeds this. */
  clipNorm?: number;
}
export interface SgdArgs extends OptimizerArgs {
  momentum?: number;
  nesterov?: boolean;
}
export interface AdamArgs extends OptimizerArgs {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}
export interface AdamWArgs extends AdamArgs {
  weightDecay?: number;
}
export interface RmspropArgs extends OptimizerArgs {
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}

export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number | ScheduleConfig;
  clipNorm: number | null;
  [key: string]: unknown;
}

const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001 };

export class Optimizer {
  readonly name: OptimizerName;
  /** A number (which reduceLROnPlateau may lower) or a schedule over steps. */
  learningRate: number | Schedule;
  readonly clipNorm: number | null;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  readonly rho: number;
  readonly centered: boolean;
  /** Updates applied so far. */
  iterations = 0;
  private slots = new Map<Param, Float32Array[]>();

  constructor(name: OptimizerName, args: AdamWArgs & SgdArgs & RmspropArgs = {}) {
    const where = `optimizers.${name}`;
    if (!(OPTIMIZER_NAMES as readonly unknown[]).includes(name))
      throw rangeError('Optimizer', 'name', `one of ${OPTIMIZER_NAMES.join(', ')}`, JSON.stringify(name));
    if (args === null || typeof args !== 'object') throw typeError(where, 'its argument', 'a config object', args);
    const num = (k: keyof typeof args, fallback: number, ok: (v: number) => boolean, expected: string): number => {
      const v = args[k];
      if (v === undefined) return fallback;
      if (typeof v !== 'number') throw typeError(where, k, expected, v);
      if (!ok(v)) throw rangeError(where, k, expected, String(v));
      return v;
    };
    this.name = name;
    if (args.learningRate instanceof Schedule) this.learningRate = args.learningRate;
    else this.learningRate = num('learningRate', DEFAULT_LR[name], (v) => v > 0 && Number.isFinite(v), 'a positive number or a schedule');
    const clip = args.clipNorm;
    if (clip !== undefined) finite(where, 'clipNorm', clip, Number.MIN_VALUE, Infinity, 'a positive number');
    this.clipNorm = clip ?? null;
    const unit = (v: number): boolean => v >= 0 && v < 1;
    this.momentum = num('momentum', 0, unit, 'a number in [0, 1)');
    if (args.nesterov !== undefined) boolean(where, 'nesterov', args.nesterov);
    this.nesterov = args.nesterov ?? false;
    this.beta1 = num('beta1', 0.9, unit, 'a number in [0, 1)');
    this.beta2 = num('beta2', 0.999, unit, 'a number in [0, 1)');
    this.rho = num('rho', 0.9, unit, 'a number in [0, 1)');
    this.epsilon = num('epsilon', 1e-7, (v) => v > 0, 'a positive number');
    this.weightDecay = num('weightDecay', name === 'adamw' ? 0.004 : 0, (v) => v >= 0, 'a non-negative number');
    if (args.centered !== undefined) boolean(where, 'centered', args.centered);
    this.centered = args.centered ?? false;
  }

  /** The rate the next update uses. */
  currentLearningRate(): number {
    return typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.at(this.iterations);
  }

  getConfig(): OptimizerConfig {
    const lr = typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.config;
    const base = { name: this.name, learningRate: lr, clipNorm: this.clipNorm };
    switch (this.name) {
      case 'sgd':
        return { ...base, momentum: this.momentum, nesterov: this.nesterov };
      case 'adam':
        return { ...base, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
      case 'adamw':
        return { ...base, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
      case 'rmsprop':
        return { ...base, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
    }
  }

  private slotCount(): number {
    switch (this.name) {
      case 'sgd':
        return this.momentum > 0 ? 1 : 0;
      case 'adam':
      case 'adamw':
        return 2;
      case 'rmsprop':
        return 1 + (this.momentum > 0 ? 1 : 0) + (this.centered ? 1 : 0);
    }
  }

  /** The moment arrays of each parameter, in order (what a checkpoint stores). */
  state(params: Param[]): Float32Array[] {
    return params.flatMap((p) => this.slotsOf(p));
  }

  private slotsOf(p: Param): Float32Array[] {
    let s = this.slots.get(p);
    if (!s) {
      s = Array.from({ length: this.slotCount() }, () => new Float32Array(p.value.length));
      this.slots.set(p, s);
    }
    return s;
  }

  /** One update of every parameter from its gradient. */
  apply(params: Param[]): void {
    let scale = 1;
    if (this.clipNorm !== null) {
      let sq = 0;
      forRanges(params, (p, a, b) => {
        for (let i = a; i < b; i++) sq += p.grad[i] * p.grad[i];
      });
      const norm = Math.sqrt(sq);
      if (norm > this.clipNorm) scale = this.clipNorm / norm;
    }
    const lr = this.currentLearningRate();
    const t = this.iterations + 1;
    const { momentum: mu, beta1: b1, beta2: b2, epsilon: eps, rho } = this;
    const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    const decay = lr * this.weightDecay;
    for (const p of params) {
      const s = this.slotsOf(p);
      const w = p.value;
      const g = p.grad;
      if (this.name === 'adam' || this.name === 'adamw') {
        // Natively (ops/optimizer): Keras's update in double precision per element, bit for bit what
        // the same lines compute in JavaScript, several times faster.
        adamUpdate(w, g, s[0], s[1], p.rows, p.rowSize, { scale, decay, beta1: b1, beta2: b2, alpha, epsilon: eps });
        continue;
      }
      forRanges([p], (_p, a, b) => {
        switch (this.name) {
          case 'sgd':
            if (mu === 0) for (let i = a; i < b; i++) w[i] -= lr * g[i] * scale;
            else {
              const m = s[0];
              for (let i = a; i < b; i++) {
                const gi = g[i] * scale;
                m[i] = mu * m[i] - lr * gi;
                w[i] += this.nesterov ? mu * m[i] - lr * gi : m[i];
              }
            }
            return;
          case 'rmsprop': {
            const v = s[0];
            const mom = mu > 0 ? s[1] : null;
            const avg = this.centered ? s[mu > 0 ? 2 : 1] : null;
            for (let i = a; i < b; i++) {
              const gi = g[i] * scale;
              v[i] = rho * v[i] + (1 - rho) * gi * gi;
              let denom = v[i] + eps;
              if (avg) {
                avg[i] = rho * avg[i] + (1 - rho) * gi;
                denom = v[i] - avg[i] * avg[i] + eps;
              }
              const inc = (lr * gi) / Math.sqrt(denom);
              if (mom) {
                mom[i] = mu * mom[i] + inc;
                w[i] -= mom[i];
              } else w[i] -= inc;
            }
            return;
          }
        }
      });
    }
    this.iterations++;
  }
}

/** Calls fn over the index ranges that hold gradient: all of a dense parameter, the touched rows of a sparse one. */
function forRanges(params: Param[], fn: (p: Param, a: number, b: number) => void): void {
  for (const p of params) {
    if (p.rows) for (const r of p.rows) fn(p, r * p.rowSize, (r + 1) * p.rowSize);
    else fn(p, 0, p.value.length);
  }
}

export function optimizerFromConfig(c: OptimizerConfig): Optimizer {
  const { name, learningRate, clipNorm, ...rest } = c;
  const lr = typeof learningRate === 'number' ? learningRate : new Schedule(learningRate);
  return new Optimizer(name, { ...rest, learningRate: lr, clipNorm: clipNorm ?? undefined });
}

export function toOptimizer(where: string, v: unknown): Optimizer {
  if (v instanceof Optimizer) return v;
  if (typeof v === 'string') {
    const name = v.toLowerCase();
    if ((OPTIMIZER_NAMES as readonly string[]).includes(name)) return new Optimizer(name as OptimizerName);
    throw rangeError(where, 'optimizer', `one of ${OPTIMIZER_NAMES.join(', ')} (or an optimizers.* object)`, `"${v}"`);
  }
  throw typeError(where, 'optimizer', 'an optimizer name or an optimizers.* object', v);
}

export const optimizers = {
  sgd: (args?: SgdArgs): Optimizer => new Optimizer('sgd', args),
  adam: (args?: AdamArgs): Optimizer => new Optimizer('adam', args),
  adamw: (args?: AdamWArgs): Optimizer => new Optimizer('adamw', args),
  rmsprop: (args?: RmspropArgs): Optimizer => new Optimizer('rmsprop', args),
};
