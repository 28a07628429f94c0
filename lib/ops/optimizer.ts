// Optimizer updates in native code: the same arithmetic as the JavaScript they replace (double
// precision per element, each stored value rounded to float), so results are bit-identical.
import { binding } from '../native';

/** One Adam step's constants (see Optimizer.apply). */
export interface AdamStep {
  /** Gradient scale from global-norm clipping (1 without). */
  scale: number;
  /** lr * weightDecay for AdamW, 0 for Adam. */
  decay: number;
  beta1: number;
  beta2: number;
  /** The bias-corrected rate lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
  alpha: number;
  epsilon: number;
}

/**
 * Adam (AdamW when decay != 0) on w in place with gradient g and moments m, v (all one length):
 * over every element, or with `rows` over those rows of `rowSize` elements (in range, as the
 * caller's sparse gradient guarantees).
 */
export function adamUpdate(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  rows: Int32Array | null,
  rowSize: number,
  s: AdamStep,
): void {
  binding().adamUpdate(w, g, m, v, rows, rowSize, s.scale, s.decay, 1 - s.beta1, 1 - s.beta2, s.alpha, s.epsilon);
}
