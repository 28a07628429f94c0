// Tensors: {type, data, dims}, structurally compatible with onnxruntime-common's Tensor (whose
// instances are accepted as they are), plus the shape checks the operators share.
import { describe, rangeError, typeError } from './errors';

export type TensorType = 'float32' | 'int32' | 'int64';
export type TensorData = Float32Array | Int32Array | BigInt64Array;

type DataOf<T extends TensorType> = T extends 'float32' ? Float32Array : T extends 'int32' ? Int32Array : BigInt64Array;

/** Anything shaped like a tensor: ours, onnxruntime's, or a plain object literal. */
export interface TensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

const ARRAY_OF: Record<TensorType, string> = {
  float32: 'Float32Array',
  int32: 'Int32Array',
  int64: 'BigInt64Array',
};

// By tag rather than instanceof: typed arrays made in another realm (a vm context, a test
// runner's sandbox, a native addon) are still the right kind.
function isArrayOf(type: TensorType, data: unknown): boolean {
  return Object.prototype.toString.call(data) === `[object ${ARRAY_OF[type]}]`;
}

export function sizeOf(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function checkDims(where: string, name: string, dims: unknown): readonly number[] {
  if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw typeError(where, `${name}.dims`, 'an array of non-negative integers', dims);
  }
  return dims;
}

export class Tensor<T extends TensorType = TensorType> implements TensorLike {
  readonly type: T;
  readonly data: DataOf<T>;
  readonly dims: readonly number[];

  constructor(type: T, data: DataOf<T>, dims?: readonly number[]) {
    if (!Object.hasOwn(ARRAY_OF, type)) throw typeError('Tensor', 'type', "'float32', 'int32' or 'int64'", type);
    if (!isArrayOf(type, data)) throw typeError('Tensor', 'data', `a ${ARRAY_OF[type]} for type '${type}'`, data);
    const shape = dims === undefined ? [data.length] : [...checkDims('Tensor', 'the tensor', dims)];
    if (sizeOf(shape) !== data.length) {
      throw rangeError('Tensor', 'data.length', `${sizeOf(shape)} (the product of dims [${shape.join(', ')}])`, String(data.length));
    }
    this.type = type;
    this.data = data;
    this.dims = Object.freeze(shape);
  }

  get size(): number {
    return this.data.length;
  }
}

/**
 * Checks that `value` is a tensor of `type` whose data matches its dims, and returns it typed.
 * `where` names the caller (e.g. 'GruOp.run') and `name` the argument (e.g. 'X').
 */
export function expectTensor<T extends TensorType>(where: string, name: string, value: unknown, type: T): TensorLike & { data: DataOf<T> } {
  if (value === null || typeof value !== 'object' || !('data' in value) || !('dims' in value)) {
    throw typeError(where, name, `a ${type} tensor ({ type, data, dims })`, value);
  }
  const t = value as TensorLike;
  if (t.type !== type) {
    throw typeError(where, `${name}.type`, `'${type}'`, t.type);
  }
  if (!isArrayOf(type, t.data)) {
    throw typeError(where, `${name}.data`, `a ${ARRAY_OF[type]}`, t.data);
  }
  const dims = checkDims(where, name, t.dims);
  const length = (t.data as TensorData).length;
  if (sizeOf(dims) !== length) {
    throw rangeError(where, `${name}.data.length`, `${sizeOf(dims)} (the product of dims [${dims.join(', ')}])`, String(length));
  }
  return t as TensorLike & { data: DataOf<T> };
}

/** Checks dims exactly; `expected` entries of -1 match any size. `meaning` names the axes. */
export function expectDims(where: string, name: string, dims: readonly number[], expected: readonly number[], meaning: string): void {
  const ok = dims.length === expected.length && expected.every((e, i) => e < 0 || e === dims[i]);
  if (!ok) {
    const shown = expected.map((e) => (e < 0 ? '*' : String(e))).join(', ');
    throw rangeError(where, `${name}.dims`, `[${shown}] (${meaning})`, `[${dims.join(', ')}]`);
  }
}

export { describe };
