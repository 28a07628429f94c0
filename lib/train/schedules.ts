// Learning-rate schedules over optimizer steps (Keras's ExponentialDecay with staircase, and
// CosineDecay). reduceLROnPlateau, which needs the epoch's logs, is a callback (callbacks.ts).
import { rangeError } from '../errors';

export interface StepDecayConfig {
  initialLearningRate: number;
  /** Steps (batches) between decays. */
  decaySteps: number;
  /** Factor applied every decaySteps steps. */
  decayRate: number;
}

export interface CosineDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  /** The final rate as a fraction of the initial (default 0). */
  alpha?: number;
}

export type ScheduleConfig = ({ name: 'stepDecay' } & StepDecayConfig) | ({ name: 'cosineDecay' } & CosineDecayConfig);

export class Schedule {
  constructor(readonly config: ScheduleConfig) {
    const where = `schedules.${config.name}`;
    const pos = (k: string, v: unknown): void => {
      if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw rangeError(where, k, 'a positive number', String(v));
    };
    pos('initialLearningRate', config.initialLearningRate);
    pos('decaySteps', config.decaySteps);
    if (config.name === 'stepDecay') pos('decayRate', config.decayRate);
    else if (config.alpha !== undefined && !(config.alpha >= 0 && config.alpha <= 1))
      throw rangeError(where, 'alpha', 'a number in [0, 1]', String(config.alpha));
  }

  /** The rate for optimizer step `step` (0 for the first update). */
  at(step: number): number {
    const c = this.config;
    if (c.name === 'stepDecay') return c.initialLearningRate * c.decayRate ** Math.floor(step / c.decaySteps);
    const s = Math.min(step, c.decaySteps);
    const cos = 0.5 * (1 + Math.cos((Math.PI * s) / c.decaySteps));
    const a = c.alpha ?? 0;
    return c.initialLearningRate * ((1 - a) * cos + a);
  }
}

export const schedules = {
  stepDecay: (c: StepDecayConfig): Schedule => new Schedule({ name: 'stepDecay', ...c }),
  cosineDecay: (c: CosineDecayConfig): Schedule => new Schedule({ name: 'cosineDecay', ...c }),
};
