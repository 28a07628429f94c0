// ONNX tensor data: data types, the check that a TensorProto holds exactly the data its dims
// declare, and conversion between TensorProto and gatedrnn's {type, data, dims} tensors.

import { OnnxParseError } from './wire';
import { typeError } from '../errors';
import { expectTensor, type TensorData, type TensorType } from '../tensor';

// The two messages of onnx.proto that tensor data needs; schema.ts holds the rest.
export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface TensorProto {
  /** Non-negative, checked. */
  dims: number[];
  data_type?: number;
  float_data: Float32Array;
  int32_data: Int32Array;
  int64_data: BigInt64Array;
  name?: string;
  doc_string?: string;
  /** A view into the decoded input (not a copy). */
  raw_data?: Uint8Array;
  double_data: Float64Array;
  uint64_data: BigUint64Array;
  data_location?: number;
  external_data: StringStringEntryProto[];
  // string_data (6) and segment (3) are skipped: gatedrnn has no string tensors.
}

/** TensorProto.DataType (onnx.proto, IR version 10/11). */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
  FLOAT4E2M1: 23,
} as const;

/** TensorProto.DataLocation. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k]));

/** The ONNX name of a data type code, e.g. 'DOUBLE (11)'; 'unknown data type 99' for codes onnx.proto lacks. */
export function dataTypeName(code: number | undefined): string {
  if (code === undefined) return 'UNDEFINED (absent)';
  const name = DATA_TYPE_NAMES[code];
  return name === undefined ? `unknown data type ${code}` : `${name} (${code})`;
}

type DataField = 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data';

/**
 * Where the elements of each fixed-width type live when raw_data is not used (onnx.proto's
 * comments on each *_data field), and their size in raw_data. Complex types take two values per
 * element. Types left out (STRING, 4-bit types, unknown codes) are not checked here: gatedrnn
 * rejects them when it converts the tensor.
 */
const STORAGE: Partial<Record<number, { bytes: number; field: DataField; values: number }>> = {
  [DataType.FLOAT]: { bytes: 4, field: 'float_data', values: 1 },
  [DataType.UINT8]: { bytes: 1, field: 'int32_data', values: 1 },
  [DataType.INT8]: { bytes: 1, field: 'int32_data', values: 1 },
  [DataType.UINT16]: { bytes: 2, field: 'int32_data', values: 1 },
  [DataType.INT16]: { bytes: 2, field: 'int32_data', values: 1 },
  [DataType.INT32]: { bytes: 4, field: 'int32_data', values: 1 },
  [DataType.INT64]: { bytes: 8, field: 'int64_data', values: 1 },
  [DataType.BOOL]: { bytes: 1, field: 'int32_data', values: 1 },
  [DataType.FLOAT16]: { bytes: 2, field: 'int32_data', values: 1 },
  [DataType.DOUBLE]: { bytes: 8, field: 'double_data', values: 1 },
  [DataType.UINT32]: { bytes: 4, field: 'uint64_data', values: 1 },
  [DataType.UINT64]: { bytes: 8, field: 'uint64_data', values: 1 },
  [DataType.COMPLEX64]: { bytes: 8, field: 'float_data', values: 2 },
  [DataType.COMPLEX128]: { bytes: 16, field: 'double_data', values: 2 },
  [DataType.BFLOAT16]: { bytes: 2, field: 'int32_data', values: 1 },
};

function label(t: TensorProto): string {
  return t.name ? `'${t.name}'` : '(unnamed)';
}

function showDims(dims: readonly number[]): string {
  // A hostile tensor may declare millions of dims; the message stays short.
  return dims.length <= 8 ? `[${dims.join(', ')}]` : `[${dims.slice(0, 8).join(', ')}, ... (${dims.length} dims)]`;
}

function showCount(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : `about ${n.toPrecision(3)}`;
}

/** What is wrong with a tensor's data, if anything: the field to blame and why. */
export interface TensorDataProblem {
  field: string;
  detail: string;
}

/**
 * Checks that a tensor's data matches its dims (for the fixed-width types) and is inside the
 * file. Nothing is allocated: the element count is a float product, which may be inexact past
 * 2^53 but is then certainly larger than any buffer, so huge declared dims fail here.
 */
export function tensorDataProblem(t: TensorProto): TensorDataProblem | undefined {
  if (t.data_location === DataLocation.EXTERNAL || t.external_data.length > 0) {
    return {
      field: t.data_location === DataLocation.EXTERNAL ? 'data_location' : 'external_data',
      detail: `tensor ${label(t)}: external data is not supported (its data lives in another file); save the model with its weights inside the .onnx file`,
    };
  }
  const storage = STORAGE[t.data_type ?? DataType.UNDEFINED];
  if (storage === undefined) return undefined;
  const n = t.dims.reduce((a, b) => a * b, 1);
  const what = `tensor ${label(t)} has dims ${showDims(t.dims)}: ${showCount(n)} ${DATA_TYPE_NAMES[t.data_type!]} elements`;

  // raw_data wins when it holds bytes; an empty raw_data beside a typed field is treated as absent.
  const typed = t[storage.field];
  if (t.raw_data !== undefined && (t.raw_data.byteLength > 0 || typed.length === 0)) {
    const need = n * storage.bytes;
    if (t.raw_data.byteLength !== need) {
      return { field: 'raw_data', detail: `${what} need ${showCount(need)} bytes, but raw_data holds ${t.raw_data.byteLength}` };
    }
    return undefined;
  }
  const need = n * storage.values;
  if (typed.length !== need) {
    return { field: storage.field, detail: `${what} need ${showCount(need)} values in ${storage.field}, but it holds ${typed.length}` };
  }
  return undefined;
}

/** The decoder's check of every TensorProto; `start` is the tensor's first byte in the input. */
export function checkTensorData(t: TensorProto, start: number): void {
  const problem = tensorDataProblem(t);
  if (problem) throw new OnnxParseError('TensorProto', problem.field, start, problem.detail);
}

// ---------------------------------------------------------------------------------------------
// TensorProto <-> {type, data, dims}

/** A tensor as gatedrnn holds it, with its data type and data kept together for narrowing. */
export type TypedTensor =
  | { type: 'float32'; data: Float32Array; dims: number[] }
  | { type: 'int32'; data: Int32Array; dims: number[] }
  | { type: 'int64'; data: BigInt64Array; dims: number[] };

const TENSOR_TYPE_OF: Partial<Record<number, TensorType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
};
const DATA_TYPE_OF: Record<TensorType, number> = { float32: DataType.FLOAT, int32: DataType.INT32, int64: DataType.INT64 };
const TYPED_FIELD: Record<TensorType, DataField> = { float32: 'float_data', int32: 'int32_data', int64: 'int64_data' };

// raw_data is little-endian by definition; on a little-endian host it can be copied as is.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function allocate(type: TensorType, n: number): TensorData {
  if (type === 'float32') return new Float32Array(n);
  if (type === 'int32') return new Int32Array(n);
  return new BigInt64Array(n);
}

function fromRaw(type: TensorType, raw: Uint8Array, n: number): TensorData {
  const out = allocate(type, n);
  if (LITTLE_ENDIAN) {
    // A fresh, aligned buffer: raw_data is a view into the file at any byte offset.
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let k = 0; k < n; k++) {
    if (type === 'float32') out[k] = view.getFloat32(4 * k, true);
    else if (type === 'int32') out[k] = view.getInt32(4 * k, true);
    else out[k] = view.getBigInt64(8 * k, true);
  }
  return out;
}

/**
 * A FLOAT, INT32 or INT64 TensorProto as a {type, data, dims} tensor whose data is a fresh copy.
 * Other data types are an error that names the type; so is data that does not match the dims.
 */
export function tensorToTyped(t: TensorProto): TypedTensor {
  const type = TENSOR_TYPE_OF[t.data_type ?? DataType.UNDEFINED];
  if (type === undefined) {
    throw new TypeError(
      `tensorToTyped: tensor ${label(t)} has data type ${dataTypeName(t.data_type)}; gatedrnn supports FLOAT (float32), INT32 (int32) and INT64 (int64)`,
    );
  }
  const problem = tensorDataProblem(t);
  if (problem) throw new RangeError(`tensorToTyped: ${problem.detail}`);
  const dims = [...t.dims];
  const n = dims.reduce((a, b) => a * b, 1);
  const typed = t[TYPED_FIELD[type]];
  const useRaw = t.raw_data !== undefined && (t.raw_data.byteLength > 0 || typed.length === 0);
  const data = useRaw ? fromRaw(type, t.raw_data!, n) : typed.slice();
  return { type, data, dims } as TypedTensor;
}

/** An ONNX TensorProto (raw_data, little-endian) from a gatedrnn or onnxruntime tensor, for export. */
export function typedToTensorProto(name: string, tensor: { type: string; data: unknown; dims: readonly number[] }): TensorProto {
  if (typeof name !== 'string') throw typeError('typedToTensorProto', 'name', 'a string', name);
  const type = tensor?.type;
  if (type !== 'float32' && type !== 'int32' && type !== 'int64') {
    throw typeError('typedToTensorProto', `${name || 'tensor'}.type`, "'float32', 'int32' or 'int64'", type);
  }
  const t = expectTensor('typedToTensorProto', name || 'tensor', tensor, type);
  const data = t.data as TensorData;
  const raw = new Uint8Array(data.byteLength);
  if (LITTLE_ENDIAN) {
    raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else {
    const view = new DataView(raw.buffer);
    for (let k = 0; k < data.length; k++) {
      if (type === 'float32') view.setFloat32(4 * k, data[k] as number, true);
      else if (type === 'int32') view.setInt32(4 * k, data[k] as number, true);
      else view.setBigInt64(8 * k, data[k] as bigint, true);
    }
  }
  return {
    dims: [...t.dims],
    data_type: DATA_TYPE_OF[type],
    float_data: new Float32Array(0),
    int32_data: new Int32Array(0),
    int64_data: new BigInt64Array(0),
    name,
    raw_data: raw,
    double_data: new Float64Array(0),
    uint64_data: new BigUint64Array(0),
    external_data: [],
  };
}
