// A sequential model's targets: their checks against the output's shape and the loss, and the
// per-row weights that mask padded steps and ignored classes out of the loss and the metrics.
import { rangeError } from '../errors';
import type { Activation } from '../layers';
import type { Loss } from '../train/losses';
import { type Batchable, toBatchable } from './data';

/** Targets y for n samples whose output has per-sample shape `out`; `label` names the last layer. */
export function checkTargets(where: string, y: unknown, n: number, loss: Loss, out: number[], label: string): Batchable {
  const b = toBatchable(where, 'y', y, loss.sparse ? 'int32' : 'float32');
  // Sparse labels drop the class axis; a single output unit may drop its axis of 1.
  const want = loss.sparse ? [n, ...out.slice(0, -1)] : [n, ...out];
  const alt = !loss.sparse && out[out.length - 1] === 1 ? [n, ...out.slice(0, -1)] : loss.sparse ? [n, ...out.slice(0, -1), 1] : null;
  const same = (a: number[], b2: number[] | null): boolean => b2 !== null && a.length === b2.length && a.every((d, i) => d === b2[i]);
  if (!same(b.dims, want) && !same(b.dims, alt)) {
    throw rangeError(
      where,
      'y.dims',
      `[${want.join(', ')}] (${loss.sparse ? 'class ids for' : 'targets matching'} the output of ${label}, [N, ${out.join(', ')}])`,
      `[${b.dims.join(', ')}]`,
    );
  }
  if (loss.sparse) {
    const k = out[out.length - 1];
    const ignore = loss.ignoreClass;
    for (let i = 0; i < b.data.length; i++) {
      const c = b.data[i];
      if (c !== ignore && !(c >= 0 && c < k))
        throw rangeError(
          where,
          `y values`,
          `class ids in [0, ${k - 1}] (the output of ${label} has ${k} units)`,
          `${c} at flat index ${i}`,
        );
    }
  }
  return b;
}

/** Per-row weights: 0 past a sequence's length and where the target is ignoreClass; null when all are 1. */
export function rowWeights(loss: Loss, out: Activation, target: Int32Array | Float32Array): Float32Array | null {
  const masked = out.lengths && out.dims.length === 3;
  if (!masked && !(loss.sparse && loss.ignoreClass !== null)) return null;
  const rows = out.data.length / out.dims[out.dims.length - 1];
  const w = new Float32Array(rows).fill(1);
  if (masked) {
    const [n, t] = out.dims;
    for (let b = 0; b < n; b++) for (let s = out.lengths![b]; s < t; s++) w[b * t + s] = 0;
  }
  if (loss.sparse) loss.applyIgnore(target as Int32Array, w);
  return w;
}

// The rows a batch's mean loss averages over: the target weights' sum, else one per output row.
export function rowsOf(out: Activation, weights: Float32Array | null | undefined): number {
  return weights ? weights.reduce((a, b) => a + b, 0) : out.data.length / out.dims[out.dims.length - 1];
}
