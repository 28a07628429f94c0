// Keras's weight initializers, drawing from a seeded Rng. Shapes are given as Keras sees the
// matrix (fanIn x fanOut); the caller lays the values out in ONNX order.
import { oneOf } from '../validate';
import type { Rng } from '../rng';

export type InitializerName = 'glorotUniform' | 'orthogonal' | 'zeros' | 'ones' | 'randomUniform' | 'randomNormal';
export const INITIALIZER_NAMES: readonly InitializerName[] = [
  'glorotUniform',
  'orthogonal',
  'zeros',
  'ones',
  'randomUniform',
  'randomNormal',
];

export function checkInitializer(where: string, arg: string, v: unknown): InitializerName {
  return oneOf(where, arg, v, INITIALIZER_NAMES, `one of ${INITIALIZER_NAMES.join(', ')}`);
}

/**
 * Fills `out[offset + r*stride + c]`-style storage through `set(r, c, value)` for a rows x cols
 * matrix (rows = fan out, cols = fan in: ONNX's [G*H, I] blocks), initialized as Keras would
 * initialize its [fanIn, fanOut] kernel.
 */
// While a saved model is rebuilt from its file: the floats the file's arrays hold. Every
// parameter that the header's config implies is counted against them before it is allocated, so a
// header that claims more than the file holds is an error before the allocation, and loading costs
// memory in proportion to the file; the initializers are skipped (the file's values replace theirs).
let fromFile: { where: string; floats: number; left: number } | null = null;

/** Runs fn (which builds a model from a file's header) with the parameters bounded by the file. */
export function buildingFromFile<T>(where: string, floats: number, fn: () => T): T {
  const outer = fromFile;
  fromFile = { where, floats, left: floats };
  try {
    return fn();
  } finally {
    fromFile = outer;
  }
}

/** Called before a parameter of `count` floats is allocated; throws past a file's contents. */
export function claimParameter(name: string, shape: readonly number[], count: number): void {
  if (fromFile === null) return;
  if (!(count <= fromFile.left)) {
    throw new Error(
      `${fromFile.where}: the header's config implies parameter ${name} of shape [${shape.join(', ')}] (${count} floats), ` +
        `but the file's arrays hold ${fromFile.floats} floats in all and ${fromFile.left} are left for it`,
    );
  }
  fromFile.left -= count;
}

export function initMatrix(
  name: InitializerName,
  rows: number,
  cols: number,
  rng: Rng,
  set: (r: number, c: number, v: number) => void,
): void {
  if (fromFile !== null) return;
  switch (name) {
    case 'zeros':
    case 'ones': {
      const v = name === 'ones' ? 1 : 0;
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) set(r, c, v);
      return;
    }
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / (rows + cols));
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) set(r, c, (2 * rng.next() - 1) * limit);
      return;
    }
    case 'randomUniform': // Keras: [-0.05, 0.05)
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) set(r, c, (2 * rng.next() - 1) * 0.05);
      return;
    case 'randomNormal': // Keras: stddev 0.05
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) set(r, c, rng.normal() * 0.05);
      return;
    case 'orthogonal': {
      // Orthonormalize a Gaussian matrix with the longer side as rows (modified Gram-Schmidt in
      // float64), then transpose back if needed: Keras's QR of a normal matrix, sign-fixed.
      const tall = rows >= cols;
      const n = tall ? rows : cols;
      const k = tall ? cols : rows;
      const q: Float64Array[] = [];
      for (let j = 0; j < k; j++) {
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) v[i] = rng.normal();
        for (const u of q) {
          let d = 0;
          for (let i = 0; i < n; i++) d += u[i] * v[i];
          for (let i = 0; i < n; i++) v[i] -= d * u[i];
        }
        let norm = 0;
        for (let i = 0; i < n; i++) norm += v[i] * v[i];
        norm = Math.sqrt(norm);
        for (let i = 0; i < n; i++) v[i] /= norm;
        q.push(v);
      }
      for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) tall ? set(i, j, q[j][i]) : set(j, i, q[j][i]);
      return;
    }
  }
}
