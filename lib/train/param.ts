// A trainable parameter: what layers own and optimizers update.
import { rangeError } from '../errors';
import { MAX_ARRAY_BYTES } from '../memory';
import { claimParameter } from './initializers';

/** A trainable array in ONNX layout, its gradient, and for sparse updates the rows the last batch touched. */
export interface Param {
  name: string;
  shape: number[];
  value: Float32Array;
  grad: Float32Array;
  /** Sparse gradients (embeddings): only these rows of `grad` are nonzero; null means dense. */
  rows: Int32Array | null;
  rowSize: number;
}

export function makeParam(name: string, shape: number[], rowSize = 0): Param {
  const n = shape.reduce((a, b) => a * b, 1);
  claimParameter(name, shape, n);
  // Checked here rather than left to V8's "Invalid typed array length".
  if (!(n * 4 <= MAX_ARRAY_BYTES)) {
    throw rangeError(
      `parameter ${name}`,
      'its shape',
      `at most ${MAX_ARRAY_BYTES / 4} floats (the largest array Node can hold)`,
      `[${shape.join(', ')}] = ${n} floats`,
    );
  }
  return { name, shape, value: new Float32Array(n), grad: new Float32Array(n), rows: null, rowSize };
}
