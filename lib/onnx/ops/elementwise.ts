// Elementwise ops: unary math, binary arithmetic and comparison with numpy broadcasting, Where,
// Cast. Tight loops over typed arrays; int64 goes through BigInt (shape arithmetic, small).
import { DataType } from '../schema';
import { NodeError, type Value, type ValueType, allocate, broadcastDims, broadcastOffsets, checkSize } from '../values';
import { ANY, NUMERIC, type OpDef, input, pure, simple } from './types';

type Unary = (x: number) => number;

function unaryFloat(f: Unary): OpDef {
  return simple([], [1, 1], () =>
    pure((inputs, where) => {
      const x = input(where, inputs, 0, ['float32']);
      const out = allocate(where, 'float32', x.dims);
      const a = x.data as Float32Array;
      const o = out.data as Float32Array;
      for (let k = 0; k < a.length; k++) o[k] = f(a[k]);
      return [out];
    }),
  );
}

/** Neg and Abs: defined on ints too. */
function unarySigned(f: Unary, big: (x: bigint) => bigint): OpDef {
  return simple([], [1, 1], () =>
    pure((inputs, where) => {
      const x = input(where, inputs, 0, NUMERIC);
      const out = allocate(where, x.type, x.dims);
      if (x.type === 'int64') {
        const a = x.data as BigInt64Array;
        const o = out.data as BigInt64Array;
        for (let k = 0; k < a.length; k++) o[k] = BigInt.asIntN(64, big(a[k]));
      } else {
        const a = x.data as Float32Array | Int32Array;
        const o = out.data as Float32Array | Int32Array;
        for (let k = 0; k < a.length; k++) o[k] = f(a[k]);
      }
      return [out];
    }),
  );
}

const sigmoid: Unary = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function leakyRelu(): OpDef {
  return simple(['alpha'], [1, 1], (ctx) => {
    const alpha = ctx.attrs.float('alpha', 0.01);
    return pure((inputs, where) => {
      const x = input(where, inputs, 0, ['float32']);
      const out = allocate(where, 'float32', x.dims);
      const a = x.data as Float32Array;
      const o = out.data as Float32Array;
      for (let k = 0; k < a.length; k++) o[k] = a[k] >= 0 ? a[k] : alpha * a[k];
      return [out];
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Binary ops

interface BinaryFns {
  f: (a: number, b: number) => number;
  i32?: (a: number, b: number) => number;
  i64?: (a: bigint, b: bigint) => bigint;
}

/** The output dims of a binary op and each operand's offsets into it (null: the identity). */
function broadcastPair(where: string, a: Value, b: Value): { dims: number[]; oa: Int32Array | null; ob: Int32Array | null } {
  const dims = broadcastDims([a.dims, b.dims]);
  if (!dims) {
    throw new NodeError(
      `${where}: inputs of dims [${a.dims.join(', ')}] and [${b.dims.join(', ')}] do not broadcast (numpy rules: trailing dims equal or 1)`,
    );
  }
  checkSize(where, a.type, dims);
  return { dims, oa: broadcastOffsets(where, a.dims, dims), ob: broadcastOffsets(where, b.dims, dims) };
}

function sameType(where: string, a: Value, b: Value): void {
  if (a.type !== b.type) throw new NodeError(`${where}: inputs must have one element type, but received ${a.type} and ${b.type}`);
}

function binary(fns: BinaryFns, types: readonly ValueType[] = NUMERIC): OpDef {
  return simple([], [2, 2], () =>
    pure((inputs, where) => {
      const a = input(where, inputs, 0, types);
      const b = input(where, inputs, 1, types);
      sameType(where, a, b);
      const { dims, oa, ob } = broadcastPair(where, a, b);
      const out = allocate(where, a.type, dims);
      const n = out.data.length;
      if (a.type === 'int64') {
        const x = a.data as BigInt64Array;
        const y = b.data as BigInt64Array;
        const o = out.data as BigInt64Array;
        const f = fns.i64!;
        try {
          for (let i = 0; i < n; i++) o[i] = BigInt.asIntN(64, f(x[oa ? oa[i] : i], y[ob ? ob[i] : i]));
        } catch (e) {
          throw new NodeError(`${where}: ${(e as Error).message}`);
        }
        return [out];
      }
      const x = a.data as Float32Array | Int32Array;
      const y = b.data as Float32Array | Int32Array;
      const o = out.data as Float32Array | Int32Array;
      const f = a.type === 'int32' ? fns.i32! : fns.f;
      if (oa === null && ob === null) for (let i = 0; i < n; i++) o[i] = f(x[i], y[i]);
      else if (oa === null) for (let i = 0; i < n; i++) o[i] = f(x[i], y[ob![i]]);
      else if (ob === null) for (let i = 0; i < n; i++) o[i] = f(x[oa[i]], y[i]);
      else for (let i = 0; i < n; i++) o[i] = f(x[oa[i]], y[ob[i]]);
      return [out];
    }),
  );
}

function intDiv(a: number, b: number): number {
  if (b === 0) throw new Error('integer division by zero');
  return Math.trunc(a / b) | 0;
}

function bigDiv(a: bigint, b: bigint): bigint {
  if (b === 0n) throw new Error('integer division by zero');
  return a / b;
}

function pow(): OpDef {
  return simple([], [2, 2], () =>
    pure((inputs, where) => {
      const a = input(where, inputs, 0, ['float32']);
      const b = input(where, inputs, 1, NUMERIC);
      const { dims, oa, ob } = broadcastPair(where, a, b);
      const out = allocate(where, 'float32', dims);
      const x = a.data as Float32Array;
      const o = out.data as Float32Array;
      const n = o.length;
      for (let i = 0; i < n; i++) o[i] = x[oa ? oa[i] : i] ** Number(b.data[ob ? ob[i] : i]);
      return [out];
    }),
  );
}

function equal(): OpDef {
  return simple([], [2, 2], () =>
    pure((inputs, where) => {
      const a = input(where, inputs, 0, ANY);
      const b = input(where, inputs, 1, ANY);
      sameType(where, a, b);
      const { dims, oa, ob } = broadcastPair(where, a, b);
      const out = allocate(where, 'bool', dims);
      const o = out.data as Uint8Array;
      for (let i = 0; i < o.length; i++) o[i] = a.data[oa ? oa[i] : i] === b.data[ob ? ob[i] : i] ? 1 : 0;
      return [out];
    }),
  );
}

function where(): OpDef {
  return simple([], [3, 3], () =>
    pure((inputs, at) => {
      const c = input(at, inputs, 0, ['bool']);
      const x = input(at, inputs, 1, ANY);
      const y = input(at, inputs, 2, ANY);
      sameType(at, x, y);
      const dims = broadcastDims([c.dims, x.dims, y.dims]);
      if (!dims) {
        throw new NodeError(
          `${at}: condition [${c.dims.join(', ')}], X [${x.dims.join(', ')}] and Y [${y.dims.join(', ')}] do not broadcast`,
        );
      }
      const out = allocate(at, x.type, dims);
      const oc = broadcastOffsets(at, c.dims, dims);
      const ox = broadcastOffsets(at, x.dims, dims);
      const oy = broadcastOffsets(at, y.dims, dims);
      const o = out.data as Float32Array;
      const cd = c.data as Uint8Array;
      const xd = x.data as Float32Array;
      const yd = y.data as Float32Array;
      for (let i = 0; i < o.length; i++) o[i] = cd[oc ? oc[i] : i] ? xd[ox ? ox[i] : i] : yd[oy ? oy[i] : i];
      return [out];
    }),
  );
}

/** Clip: bounds from attributes before opset 11, from optional scalar inputs after. */
function clip(): OpDef {
  return {
    attributes: (opset) => (opset < 11 ? ['min', 'max'] : []),
    inputs: (opset) => (opset < 11 ? [1, 1] : [1, 3]),
    create: (ctx) =>
      pure((inputs, where) => {
        const x = input(where, inputs, 0, ctx.opset < 11 ? ['float32'] : NUMERIC);
        const bound = (k: number, attr: string, fallback: number): number => {
          if (ctx.opset < 11) return ctx.attrs.float(attr, fallback);
          const v = inputs[k];
          if (v === undefined) return fallback;
          if (v.type !== x.type || v.data.length !== 1) {
            throw new NodeError(
              `${where}: expected input ${k} (${attr}) to be a ${x.type} scalar, but received ${v.type} with dims [${v.dims.join(', ')}]`,
            );
          }
          return Number(v.data[0]);
        };
        const lo = bound(1, 'min', -Infinity);
        const hi = bound(2, 'max', Infinity);
        const out = allocate(where, x.type, x.dims);
        if (x.type === 'int64') {
          const a = x.data as BigInt64Array;
          const o = out.data as BigInt64Array;
          for (let k = 0; k < a.length; k++) o[k] = BigInt(Math.min(Math.max(Number(a[k]), lo), hi));
        } else {
          const a = x.data as Float32Array;
          const o = out.data as Float32Array;
          for (let k = 0; k < a.length; k++) o[k] = Math.min(Math.max(a[k], lo), hi);
        }
        return [out];
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Cast

const CAST_TARGETS: Partial<Record<number, ValueType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
};

/** Converts between the four value types with ONNX's rules (float to int truncates). */
function castValue(where: string, x: Value, to: ValueType): Value {
  if (x.type === to) return { type: to, data: x.data.slice() as Value['data'], dims: x.dims };
  const out = allocate(where, to, x.dims);
  const n = x.data.length;
  if (to === 'int64') {
    const o = out.data as BigInt64Array;
    if (x.type === 'float32') {
      const a = x.data as Float32Array;
      for (let k = 0; k < n; k++) o[k] = Number.isFinite(a[k]) ? BigInt(Math.trunc(a[k])) : 0n;
    } else for (let k = 0; k < n; k++) o[k] = BigInt(x.data[k] as number);
  } else if (to === 'bool') {
    const o = out.data as Uint8Array;
    for (let k = 0; k < n; k++) o[k] = x.data[k] ? 1 : 0;
  } else {
    // Int32Array stores truncate toward zero, as Cast does.
    const o = out.data as Float32Array | Int32Array;
    for (let k = 0; k < n; k++) o[k] = Number(x.data[k]);
  }
  return out;
}

function cast(): OpDef {
  return {
    attributes: (opset) => (opset >= 19 ? ['to', 'saturate'] : ['to']),
    inputs: () => [1, 1],
    create: (ctx) => {
      const code = ctx.attrs.int('to');
      const to = code === undefined ? undefined : CAST_TARGETS[code];
      if (to === undefined) {
        throw new NodeError(
          `${ctx.where}: attribute 'to' = ${code === undefined ? 'absent' : code} is not supported; gatedrnn casts to FLOAT (1), INT32 (6), INT64 (7) and BOOL (9)`,
        );
      }
      return pure((inputs, where) => [castValue(where, input(where, inputs, 0, ANY), to)]);
    },
  };
}

export const ELEMENTWISE_OPS: Record<string, OpDef> = {
  Add: binary({ f: (a, b) => a + b, i32: (a, b) => (a + b) | 0, i64: (a, b) => a + b }),
  Sub: binary({ f: (a, b) => a - b, i32: (a, b) => (a - b) | 0, i64: (a, b) => a - b }),
  Mul: binary({ f: (a, b) => a * b, i32: (a, b) => Math.imul(a, b), i64: (a, b) => a * b }),
  Div: binary({ f: (a, b) => a / b, i32: intDiv, i64: bigDiv }),
  Pow: pow(),
  Neg: unarySigned(
    (x) => -x,
    (x) => -x,
  ),
  Abs: unarySigned(Math.abs, (x) => (x < 0n ? -x : x)),
  Exp: unaryFloat(Math.exp),
  Log: unaryFloat(Math.log),
  Sqrt: unaryFloat(Math.sqrt),
  Sigmoid: unaryFloat(sigmoid),
  Tanh: unaryFloat(Math.tanh),
  Relu: unaryFloat((x) => Math.max(x, 0)),
  LeakyRelu: leakyRelu(),
  Clip: clip(),
  Equal: equal(),
  Where: where(),
  Cast: cast(),
};
