// The embedding layer's table lookups in native code (native/cpu/embedding.h). The layer checks
// the ids first, naming the bad one; the native side checks them again on its own copy.
import { binding } from '../native';

/** out[i, :] = table[ids[i], :] for every id, rows of `d` floats. */
export function embeddingGather(table: Float32Array, ids: Int32Array, d: number, out: Float32Array): void {
  binding().embeddingGather(table, ids, d, out);
}

/** grad[ids[i], :] += dy[i, :] for every id, in order. */
export function embeddingScatterAdd(grad: Float32Array, ids: Int32Array, dy: Float32Array, d: number): void {
  binding().embeddingScatterAdd(grad, ids, dy, d);
}
