// fit's callbacks: plain objects with any of the hooks below, plus Keras's EarlyStopping and
// ReduceLROnPlateau, whose state a checkpoint stores so a resumed run behaves the same.
import { rangeError, typeError } from '../errors';
import { nonNegativeInt, oneOf } from '../validate';
import type { Optimizer } from './optimizers';

export type Logs = Record<string, number>;

export interface Callback {
  onTrainBegin?(logs: Logs): void | Promise<void>;
  onTrainEnd?(logs: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** What the built-in callbacks can see of the model being trained. */
export interface TrainingModel {
  stopTraining: boolean;
  optimizer: Optimizer | null;
  getWeights(): Float32Array[];
  setWeights(w: Float32Array[]): void;
}

export interface StatefulCallback extends Callback {
  readonly kind: string;
  setModel(m: TrainingModel): void;
  getState(): Record<string, unknown>;
  setState(s: Record<string, unknown>): void;
}

interface MonitorArgs {
  /** The log to watch (default 'val_loss'; 'loss' when there is no validation). */
  monitor?: string;
  /** 'min' or 'max'; 'auto' (default) picks max for accuracy-like names. */
  mode?: 'auto' | 'min' | 'max';
  minDelta?: number;
  patience?: number;
}

class Monitor {
  readonly monitor: string;
  readonly sign: number;
  readonly minDelta: number;
  readonly patience: number;
  best = Infinity;
  wait = 0;

  constructor(where: string, a: MonitorArgs, patience: number, minDelta: number) {
    if (a === null || typeof a !== 'object') throw typeError(where, 'its argument', 'a config object', a);
    this.monitor = a.monitor ?? 'val_loss';
    const mode = a.mode ?? 'auto';
    oneOf(where, 'mode', mode, ['auto', 'min', 'max'], "'auto', 'min' or 'max'");
    const maxish = /acc|precision|recall|f1|top/.test(this.monitor);
    this.sign = mode === 'max' || (mode === 'auto' && maxish) ? -1 : 1;
    this.minDelta = Math.abs(a.minDelta ?? minDelta);
    this.patience = a.patience ?? patience;
    nonNegativeInt(where, 'patience', this.patience, Number.MAX_SAFE_INTEGER);
  }

  /** The watched value (falling back from val_x to x when fit has no validation data). */
  value(logs: Logs): number | undefined {
    if (this.monitor in logs) return logs[this.monitor];
    if (this.monitor.startsWith('val_') && this.monitor.slice(4) in logs) return logs[this.monitor.slice(4)];
    return undefined;
  }

  /** True when `v` improves on the best so far (which it then becomes). */
  improved(v: number): boolean {
    if (this.sign * v < this.best - this.minDelta) {
      this.best = this.sign * v;
      this.wait = 0;
      return true;
    }
    this.wait++;
    return false;
  }
}

export interface EarlyStoppingArgs extends MonitorArgs {
  /** Put back the weights of the best epoch when stopping. */
  restoreBestWeights?: boolean;
}

export class EarlyStopping implements StatefulCallback {
  readonly kind = 'earlyStopping';
  private m: Monitor;
  private model: TrainingModel | null = null;
  private bestWeights: Float32Array[] | null = null;
  readonly restoreBestWeights: boolean;
  stoppedEpoch = -1;

  constructor(args: EarlyStoppingArgs = {}) {
    this.m = new Monitor('callbacks.earlyStopping', args, 0, 0);
    this.restoreBestWeights = args.restoreBestWeights ?? false;
  }

  setModel(m: TrainingModel): void {
    this.model = m;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const v = this.m.value(logs);
    if (v === undefined) return;
    if (this.m.improved(v)) {
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
    } else if (this.m.wait >= this.m.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
      if (this.bestWeights) this.model!.setWeights(this.bestWeights);
    }
  }

  getState(): Record<string, unknown> {
    return { best: this.m.best, wait: this.m.wait };
  }

  setState(s: Record<string, unknown>): void {
    this.m.best = typeof s.best === 'number' ? s.best : Infinity; // JSON keeps Infinity as null
    this.m.wait = s.wait as number;
  }
}

export interface ReduceLROnPlateauArgs extends MonitorArgs {
  factor?: number;
  cooldown?: number;
  minLr?: number;
}

export class ReduceLROnPlateau implements StatefulCallback {
  readonly kind = 'reduceLROnPlateau';
  private m: Monitor;
  private model: TrainingModel | null = null;
  readonly factor: number;
  readonly cooldown: number;
  readonly minLr: number;
  private cooldownLeft = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    const where = 'callbacks.reduceLROnPlateau';
    this.m = new Monitor(where, args, 10, 1e-4);
    this.factor = args.factor ?? 0.1;
    if (typeof this.factor !== 'number') throw typeError(where, 'factor', 'a number in (0, 1)', this.factor);
    if (!(this.factor > 0 && this.factor < 1)) throw rangeError(where, 'factor', 'a number in (0, 1)', String(this.factor));
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
  }

  setModel(m: TrainingModel): void {
    this.model = m;
  }

  onEpochEnd(_epoch: number, logs: Logs): void {
    const v = this.m.value(logs);
    const opt = this.model!.optimizer!;
    if (v === undefined) return;
    if (typeof opt.learningRate !== 'number')
      throw typeError('callbacks.reduceLROnPlateau', "the optimizer's learningRate", 'a number (not a schedule)', opt.learningRate);
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.m.wait = 0;
    }
    if (!this.m.improved(v) && this.m.wait >= this.m.patience && this.cooldownLeft === 0) {
      opt.learningRate = Math.max(opt.learningRate * this.factor, this.minLr);
      this.cooldownLeft = this.cooldown;
      this.m.wait = 0;
    }
    logs.lr = opt.learningRate;
  }

  getState(): Record<string, unknown> {
    return { best: this.m.best, wait: this.m.wait, cooldownLeft: this.cooldownLeft };
  }

  setState(s: Record<string, unknown>): void {
    this.m.best = typeof s.best === 'number' ? s.best : Infinity; // JSON keeps Infinity as null
    this.m.wait = s.wait as number;
    this.cooldownLeft = s.cooldownLeft as number;
  }
}

export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs): EarlyStopping => new EarlyStopping(args),
  reduceLROnPlateau: (args?: ReduceLROnPlateauArgs): ReduceLROnPlateau => new ReduceLROnPlateau(args),
};
