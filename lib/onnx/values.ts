// The values an ONNX graph passes between nodes: gatedrnn's three tensor types plus bool (what
// Equal produces and Where consumes), with allocation that is always bounded and the small
// shape helpers every op module shares.
import { MAX_ARRAY_BYTES, availableMemory, claim } from '../memory';

export type ValueType = 'float32' | 'int32' | 'int64' | 'bool';
export type ValueData = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export interface Value {
  type: ValueType;
  data: ValueData;
  dims: readonly number[];
}

/** An error in a node: names the node, its op and opset, as every load or run error does. */
export class NodeError extends Error {}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * The most elements one value may hold: what Node can allocate and the machine can hold. A file
 * can ask for any dims (ConstantOfShape, Expand, Range, a MatMul of huge declared sizes); every
 * allocation goes through `allocate`, so none can exceed this.
 */
const MAX_BYTES = Math.min(MAX_ARRAY_BYTES, availableMemory().bytes / 2);

/** Thrown by `allocate` past the limit of `withElementLimit`: the work is deferred, not wrong. */
export class OverLimit extends Error {}

let elementLimit = Infinity;

/**
 * Runs `fn` with allocations capped at `limit` elements each (constant folding at load: a file
 * must not make loading allocate more than its size justifies; what is over is left for run time).
 */
export function withElementLimit<T>(limit: number, fn: () => T): T {
  const saved = elementLimit;
  elementLimit = limit;
  try {
    return fn();
  } finally {
    elementLimit = saved;
  }
}

export function checkSize(where: string, type: ValueType, dims: readonly number[]): number {
  const n = sizeOf(dims);
  if (n > elementLimit) throw new OverLimit(`${where}: ${n} elements is over the folding limit`);
  const bytes = n * bytesOf(type);
  if (!Number.isFinite(n) || bytes > MAX_BYTES) {
    const shown = dims.length <= 8 ? dims.join(', ') : `${dims.slice(0, 8).join(', ')}, ...`;
    throw new RangeError(
      `${where}: a ${type} output of dims [${shown}] would need ${(bytes / 2 ** 30).toFixed(1)} GiB, more than the ${(MAX_BYTES / 2 ** 30).toFixed(1)} GiB one tensor may use`,
    );
  }
  // Counted against the run's budget (lib/memory.ts) before it is allocated.
  if (elementLimit === Infinity) claim(where, bytes);
  return n;
}

export function bytesOf(type: ValueType): number {
  return type === 'int64' ? 8 : type === 'bool' ? 1 : 4;
}

export function allocate(where: string, type: ValueType, dims: readonly number[]): Value {
  const n = checkSize(where, type, dims);
  const data =
    type === 'float32'
      ? new Float32Array(n)
      : type === 'int32'
        ? new Int32Array(n)
        : type === 'int64'
          ? new BigInt64Array(n)
          : new Uint8Array(n);
  return { type, data, dims: [...dims] };
}

export function emptyLike(type: ValueType, n: number): ValueData {
  return type === 'float32'
    ? new Float32Array(n)
    : type === 'int32'
      ? new Int32Array(n)
      : type === 'int64'
        ? new BigInt64Array(n)
        : new Uint8Array(n);
}

/** Row-major strides. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let k = dims.length - 1; k >= 0; k--) {
    s[k] = acc;
    acc *= dims[k];
  }
  return s;
}

/** Numpy (multidirectional) broadcasting of several shapes; undefined when they do not broadcast. */
export function broadcastDims(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let k = 0; k < s.length; k++) {
      const o = rank - s.length + k;
      const d = s[k];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else return undefined;
    }
  }
  return out;
}

/**
 * For each output element (row-major over `outDims`), the flat offset into an input of `dims`
 * broadcast to `outDims`; computed once per call with a counter, no division per element.
 * `where` names the caller in the error when the output is too large to hold.
 */
export function broadcastOffsets(where: string, dims: readonly number[], outDims: readonly number[]): Int32Array | null {
  const rank = outDims.length;
  if (dims.length === rank && dims.every((d, k) => d === outDims[k])) return null; // identity
  // The offsets are as large as the output: the same bound, checked before allocating.
  const n = checkSize(where, 'int32', outDims);
  const inStrides = stridesOf(dims);
  const step = new Array<number>(rank).fill(0);
  for (let k = 0; k < dims.length; k++) {
    const o = rank - dims.length + k;
    step[o] = dims[k] === 1 ? 0 : inStrides[k];
  }
  const offsets = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = off;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      off += step[k];
      if (idx[k] < outDims[k]) break;
      off -= step[k] * outDims[k];
      idx[k] = 0;
    }
  }
  return offsets;
}

/** A value's elements as JS numbers (shape arithmetic: axes, starts, dims). */
export function toNumbers(v: Value): number[] {
  const out = new Array<number>(v.data.length);
  for (let k = 0; k < v.data.length; k++) out[k] = Number(v.data[k]);
  return out;
}

export function fromNumbers(type: ValueType, values: readonly number[], dims: readonly number[] = [values.length]): Value {
  const data = emptyLike(type, values.length);
  if (type === 'int64') for (let k = 0; k < values.length; k++) (data as BigInt64Array)[k] = BigInt(Math.trunc(values[k]));
  else for (let k = 0; k < values.length; k++) (data as Float32Array)[k] = values[k];
  return { type, data, dims: [...dims] };
}

/** Normalizes an axis in [-rank, rank) to [0, rank); undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}

/**
 * A value's data as 32-bit words (bool: bytes), and how many words make one element. Copy loops
 * (Gather, Transpose, Slice) work on these so they see one array type whatever the element type:
 * a loop that meets Float32Array and BigInt64Array in turn is deoptimized by V8.
 */
export function words(v: Value): { data: Int32Array | Uint8Array; width: number } {
  const d = v.data;
  if (v.type === 'bool') return { data: d as Uint8Array, width: 1 };
  return { data: new Int32Array(d.buffer, d.byteOffset, d.byteLength >> 2), width: v.type === 'int64' ? 2 : 1 };
}
