// x and y as fit/evaluate/predict take them: Tensors or nested arrays, turned into one flat
// typed array with dims, and sliced into batches by row.
import { rangeError, typeError } from '../errors';
import { describe } from '../errors';
import type { Param } from '../layers/layer';
import type { TensorLike } from '../tensor';

/** Nested arrays of numbers, rows first: [[1, 2], [3, 4]] is two samples of two values. */
export type NestedNumbers = readonly number[] | readonly NestedNumbers[];

/**
 * What fit, evaluate and predict take as x and y: a tensor (`Tensor`, onnxruntime's, or any
 * `{ type, data, dims }`) whose first dim is the sample, or nested arrays of numbers.
 */
export type ModelData = TensorLike | NestedNumbers;

export interface Batchable {
  data: Float32Array | Int32Array;
  dims: number[];
}

function flatten(where: string, name: string, v: unknown[]): { values: number[]; dims: number[] } {
  const dims: number[] = [];
  let level: unknown = v;
  while (Array.isArray(level)) {
    dims.push(level.length);
    level = level[0];
  }
  const values: number[] = [];
  const walk = (a: unknown, depth: number, path: string): void => {
    if (depth === dims.length) {
      if (typeof a !== 'number') throw typeError(where, `${name}${path}`, 'a number', a);
      values.push(a);
      return;
    }
    if (!Array.isArray(a) || a.length !== dims[depth]) {
      throw rangeError(where, `${name}${path}`, `an array of length ${dims[depth]} (nested arrays must be rectangular)`, describe(a));
    }
    for (let i = 0; i < a.length; i++) walk(a[i], depth + 1, `${path}[${i}]`);
  };
  walk(v, 0, '');
  return { values, dims };
}

/** Converts x or y to `type`; integer types take only integer values. */
export function toBatchable(where: string, name: string, v: unknown, type: 'float32' | 'int32'): Batchable {
  let data: ArrayLike<number | bigint>;
  let dims: number[];
  if (Array.isArray(v)) {
    const f = flatten(where, name, v);
    data = f.values;
    dims = f.dims;
  } else if (v !== null && typeof v === 'object' && 'data' in v && 'dims' in v && ArrayBuffer.isView((v as { data: unknown }).data)) {
    const t = v as { data: ArrayLike<number | bigint>; dims: readonly number[] };
    data = t.data;
    dims = [...t.dims];
    if (dims.reduce((a, b) => a * b, 1) !== data.length) {
      throw rangeError(
        where,
        `${name}.data.length`,
        `${dims.reduce((a, b) => a * b, 1)} (the product of dims [${dims.join(', ')}])`,
        String(data.length),
      );
    }
  } else {
    throw typeError(where, name, 'a Tensor or a nested array of numbers', v);
  }
  if (dims.length < 1 || dims[0] < 1) throw rangeError(where, `${name}.dims`, 'at least one sample', `[${dims.join(', ')}]`);
  const tag = Object.prototype.toString.call(data);
  if (type === 'float32') {
    if (tag === '[object Float32Array]') return { data: data as Float32Array, dims };
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
    return { data: out, dims };
  }
  if (tag === '[object Int32Array]') return { data: data as Int32Array, dims };
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const n = Number(data[i]);
    if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647)
      throw rangeError(where, `${name} values`, 'int32 integers (token ids or class labels)', `${String(data[i])} at flat index ${i}`);
    out[i] = n;
  }
  return { data: out, dims };
}

/** The rows `idx[a..b)` of `t`, copied into one new array. */
export function takeRows(t: Batchable, idx: Int32Array, a: number, b: number): Batchable {
  const row = t.data.length / t.dims[0];
  const out = isFloat32(t.data) ? new Float32Array((b - a) * row) : new Int32Array((b - a) * row);
  for (let i = a; i < b; i++) out.set(t.data.subarray(idx[i] * row, idx[i] * row + row), (i - a) * row);
  return { data: out, dims: [b - a, ...t.dims.slice(1)] };
}

export function range(n: number, from = 0): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = from + i;
  return a;
}

// By tag, as lib/tensor.ts checks: arrays from another realm are still the right kind.
export function isFloat32(a: unknown): a is Float32Array {
  return Object.prototype.toString.call(a) === '[object Float32Array]';
}

/** Sets each parameter's values from `weights` (one Float32Array per parameter, in order), checking each size. */
export function setParams(where: string, params: Param[], weights: Float32Array[]): void {
  if (!Array.isArray(weights) || weights.length !== params.length)
    throw rangeError(where, 'weights.length', String(params.length), String(weights?.length));
  params.forEach((p, i) => {
    if (!isFloat32(weights[i]) || weights[i].length !== p.value.length) {
      throw rangeError(
        where,
        `weights[${i}]`,
        `a Float32Array(${p.value.length}) for ${p.name} [${p.shape.join(', ')}]`,
        String(weights[i]?.length),
      );
    }
    p.value.set(weights[i]);
  });
}
