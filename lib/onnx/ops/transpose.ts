// Transpose as loops over as few axes as the permutation allows. Axes of size 1 are dropped and
// output axes that read consecutive input axes are merged, so the perms exporters put around
// recurrent nodes ([1, 0, 2], [0, 2, 1, 3], [2, 0, 1, 3]) become two or three nested loops whose
// inner one copies a contiguous run, instead of an odometer step per row.
import { type Value, stridesOf, words } from '../values';

/** out = x with its axes in the order `perm` (out.dims[k] = x.dims[perm[k]]). */
export function transposeInto(x: Value, out: Value, perm: readonly number[]): void {
  const { data: src, width } = words(x);
  const dst = words(out).data;
  if (dst.length === 0) return;
  // An int64 element is two words: one more axis, which stays last.
  const inDims = width === 1 ? x.dims : [...x.dims, width];
  const order = width === 1 ? perm : [...perm, perm.length];
  const inStrides = stridesOf(inDims);
  // Input axes of size > 1, renumbered; then output axes merged where they read input axes a, a + 1.
  const renumber = new Array<number>(inDims.length).fill(-1);
  let kept = 0;
  inDims.forEach((d, a) => {
    if (d > 1) renumber[a] = kept++;
  });
  const dims: number[] = [];
  const strides: number[] = [];
  let prev = -2;
  for (const a of order) {
    const r = renumber[a];
    if (r < 0) continue;
    if (r === prev + 1) {
      dims[dims.length - 1] *= inDims[a];
      strides[strides.length - 1] = inStrides[a];
    } else {
      dims.push(inDims[a]);
      strides.push(inStrides[a]);
    }
    prev = r;
  }
  const n = dims.length;
  if (n <= 1) {
    // Every axis in order: the same elements in the same order.
    dst.set(src.subarray(0, dst.length));
    return;
  }
  const run = dims[n - 1];
  const step = strides[n - 1];
  let o = 0;
  if (n === 2) {
    for (let a = 0, oa = 0; a < dims[0]; a++, oa += strides[0]) o = copyRun(dst, o, src, oa, run, step);
  } else if (n === 3) {
    for (let a = 0, oa = 0; a < dims[0]; a++, oa += strides[0]) {
      for (let b = 0, ob = oa; b < dims[1]; b++, ob += strides[1]) o = copyRun(dst, o, src, ob, run, step);
    }
  } else {
    // Rank 4 and more: an odometer over the outer axes, the last two as loops.
    const outer = n - 2;
    const idx = new Array<number>(outer).fill(0);
    const rows = dst.length / (run * dims[n - 2]);
    let off = 0;
    for (let r = 0; r < rows; r++) {
      for (let b = 0, ob = off; b < dims[n - 2]; b++, ob += strides[n - 2]) o = copyRun(dst, o, src, ob, run, step);
      for (let k = outer - 1; k >= 0; k--) {
        idx[k]++;
        off += strides[k];
        if (idx[k] < dims[k]) break;
        off -= strides[k] * dims[k];
        idx[k] = 0;
      }
    }
  }
}

/** Copies `run` elements from src (from `off`, every `step`) to dst at `o`; returns the next o. */
function copyRun(dst: Int32Array | Uint8Array, o: number, src: Int32Array | Uint8Array, off: number, run: number, step: number): number {
  if (step === 1 && run >= 32) {
    dst.set(src.subarray(off, off + run), o);
    return o + run;
  }
  for (let j = 0, i = off; j < run; j++, i += step) dst[o++] = src[i];
  return o;
}
