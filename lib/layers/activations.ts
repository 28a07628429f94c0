// Elementwise activations of Dense (softmax over the last axis) and their backward passes.
import { oneOf } from '../validate';

export type ActivationName = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'softmax';
export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'tanh', 'sigmoid', 'softmax'];

export function checkActivation(where: string, v: unknown): ActivationName {
  if (v === undefined || v === null) return 'linear';
  return oneOf(where, 'activation', v, ACTIVATIONS, `one of ${ACTIVATIONS.join(', ')}`);
}

/** y = f(z); `width` is the last axis (softmax normalizes each row of it). */
export function activate(name: ActivationName, z: Float32Array, y: Float32Array, width: number): void {
  const n = z.length;
  switch (name) {
    case 'linear':
      y.set(z);
      return;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = Math.max(z[i], 0);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(z[i]);
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-z[i]));
      return;
    case 'softmax':
      for (let r = 0; r < n; r += width) {
        let m = -Infinity;
        for (let j = r; j < r + width; j++) if (z[j] > m) m = z[j];
        let s = 0;
        for (let j = r; j < r + width; j++) {
          const e = Math.exp(z[j] - m);
          y[j] = e;
          s += e;
        }
        const inv = 1 / s;
        for (let j = r; j < r + width; j++) y[j] *= inv;
      }
      return;
  }
}

/** dz = dy * f'(z), from y = f(z); in place over dy. */
export function activateBackward(name: ActivationName, z: Float32Array, y: Float32Array, dy: Float32Array, width: number): void {
  const n = dy.length;
  switch (name) {
    case 'linear':
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if (!(z[i] > 0)) dy[i] = 0;
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) dy[i] *= 1 - y[i] * y[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dy[i] *= y[i] * (1 - y[i]);
      return;
    case 'softmax':
      for (let r = 0; r < n; r += width) {
        let dot = 0;
        for (let j = r; j < r + width; j++) dot += dy[j] * y[j];
        for (let j = r; j < r + width; j++) dy[j] = y[j] * (dy[j] - dot);
      }
      return;
  }
}
