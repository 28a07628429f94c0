// Shape and data-movement ops: what exporters put around recurrent nodes to reorder axes, build
// initial states from the batch size and pick outputs. Reshape-like ops return views of their
// input's data (nothing writes into a value once made); the others copy with strided loops.
import {
  NodeError,
  type Value,
  allocate,
  broadcastDims,
  broadcastOffsets,
  fromNumbers,
  normalizeAxis,
  sizeOf,
  stridesOf,
  toNumbers,
  words,
} from '../values';
import { transposeInto } from './transpose';
import { ANY, INTS, NUMERIC, type OpContext, type OpDef, input, optionalInput, pure, simple } from './types';

function view(x: Value, dims: readonly number[]): Value {
  return { type: x.type, data: x.data, dims: [...dims] };
}

function axisOf(where: string, what: string, axis: number, rank: number): number {
  const a = normalizeAxis(axis, rank);
  if (a === undefined) throw new NodeError(`${where}: expected ${what} in [${-rank}, ${rank - 1}] (rank ${rank}), but received ${axis}`);
  return a;
}

/** Integer list from an int32/int64 input (axes, starts, a shape). */
function intsInput(where: string, inputs: (Value | undefined)[], k: number): number[] | undefined {
  const v = optionalInput(where, inputs, k, INTS);
  return v === undefined ? undefined : toNumbers(v);
}

/** Attribute before `inputSince`, input from then on (the opset variants of axes, split, ...). */
function attrOrInput(ctx: OpContext, inputs: (Value | undefined)[], name: string, k: number, inputSince: number): number[] | undefined {
  return ctx.opset < inputSince ? ctx.attrs.ints(name) : intsInput(ctx.where, inputs, k);
}

// ---------------------------------------------------------------------------------------------

function constant(): OpDef {
  return {
    attributes: (opset) => (opset >= 12 ? ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'] : ['value']),
    inputs: () => [0, 0],
    create: (ctx) => {
      const a = ctx.attrs;
      const v =
        a.tensor('value') ??
        (a.has('value_float') ? fromNumbers('float32', [a.float('value_float', 0)], []) : undefined) ??
        (a.has('value_floats') ? fromNumbers('float32', a.floats('value_floats')!) : undefined) ??
        (a.has('value_int') ? fromNumbers('int64', [a.int('value_int', 0)], []) : undefined) ??
        (a.has('value_ints') ? fromNumbers('int64', a.ints('value_ints')!) : undefined);
      if (v === undefined) throw new NodeError(`${ctx.where}: a Constant needs one of its value attributes`);
      return pure(() => [v]);
    },
  };
}

function constantOfShape(): OpDef {
  return simple(['value'], [1, 1], (ctx) => {
    const value = ctx.attrs.tensor('value') ?? fromNumbers('float32', [0], [1]);
    if (value.data.length !== 1)
      throw new NodeError(`${ctx.where}: expected attribute 'value' to hold one element, but it holds ${value.data.length}`);
    return pure((inputs, where) => {
      const dims = toNumbers(input(where, inputs, 0, ['int64']));
      if (dims.some((d) => d < 0))
        throw new NodeError(`${where}: expected a shape of non-negative dims, but received [${dims.join(', ')}]`);
      const out = allocate(where, value.type, dims);
      (out.data as Float32Array).fill(value.data[0] as number);
      return [out];
    });
  });
}

function shape(): OpDef {
  return {
    attributes: (opset) => (opset >= 15 ? ['start', 'end'] : []),
    inputs: () => [1, 1],
    create: (ctx) => {
      const start = ctx.attrs.int('start', 0);
      const end = ctx.attrs.int('end');
      return pure((inputs, where) => {
        const dims = input(where, inputs, 0, ANY).dims;
        const r = dims.length;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
        return [fromNumbers('int64', dims.slice(clamp(start), end === undefined ? r : clamp(end)))];
      });
    },
  };
}

function gather(): OpDef {
  return simple(['axis'], [2, 2], (ctx) => {
    const axisAttr = ctx.attrs.int('axis', 0);
    return pure((inputs, where) => {
      const x = input(where, inputs, 0, ANY);
      const idx = input(where, inputs, 1, INTS);
      const axis = axisOf(where, 'axis', axisAttr, x.dims.length);
      const dim = x.dims[axis];
      const outer = sizeOf(x.dims.slice(0, axis));
      const inner = sizeOf(x.dims.slice(axis + 1));
      const out = allocate(where, x.type, [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)]);
      const n = idx.data.length;
      const { data: src, width } = words(x);
      const dst = words(out).data;
      const row = inner * width;
      for (let j = 0; j < n; j++) {
        let i = Number(idx.data[j]);
        if (i < 0) i += dim;
        if (!(i >= 0 && i < dim)) {
          throw new NodeError(`${where}: index ${Number(idx.data[j])} (at ${j}) is out of range for axis ${axis} of size ${dim}`);
        }
        for (let o = 0; o < outer; o++) {
          const from = (o * dim + i) * row;
          const to = (o * n + j) * row;
          // subarray + set costs more than it saves on short rows (an embedding of 16 floats).
          if (row >= 64) dst.set(src.subarray(from, from + row), to);
          else for (let e = 0; e < row; e++) dst[to + e] = src[from + e];
        }
      }
      return [out];
    });
  });
}

function unsqueeze(): OpDef {
  return {
    attributes: (opset) => (opset < 13 ? ['axes'] : []),
    inputs: (opset) => (opset < 13 ? [1, 1] : [2, 2]),
    create: (ctx) =>
      pure((inputs, where) => {
        const x = input(where, inputs, 0, ANY);
        const axes = attrOrInput(ctx, inputs, 'axes', 1, 13);
        if (axes === undefined) throw new NodeError(`${where}: 'axes' is required`);
        const rank = x.dims.length + axes.length;
        const at = new Set(axes.map((a) => axisOf(where, 'axes', a, rank)));
        if (at.size !== axes.length) throw new NodeError(`${where}: axes [${axes.join(', ')}] repeat an axis`);
        const dims: number[] = [];
        let k = 0;
        for (let d = 0; d < rank; d++) dims.push(at.has(d) ? 1 : x.dims[k++]);
        return [view(x, dims)];
      }),
  };
}

function squeeze(): OpDef {
  return {
    attributes: (opset) => (opset < 13 ? ['axes'] : []),
    inputs: (opset) => (opset < 13 ? [1, 1] : [1, 2]),
    create: (ctx) =>
      pure((inputs, where) => {
        const x = input(where, inputs, 0, ANY);
        const axes = attrOrInput(ctx, inputs, 'axes', 1, 13);
        const r = x.dims.length;
        const drop = new Set(
          axes === undefined ? x.dims.flatMap((d, k) => (d === 1 ? [k] : [])) : axes.map((a) => axisOf(where, 'axes', a, r)),
        );
        for (const a of drop) {
          if (x.dims[a] !== 1)
            throw new NodeError(`${where}: cannot squeeze axis ${a} of dims [${x.dims.join(', ')}]: its size is ${x.dims[a]}, not 1`);
        }
        return [
          view(
            x,
            x.dims.filter((_, k) => !drop.has(k)),
          ),
        ];
      }),
  };
}

function reshape(): OpDef {
  return {
    attributes: (opset) => (opset >= 14 ? ['allowzero'] : []),
    inputs: () => [2, 2],
    create: (ctx) => {
      const allowZero = ctx.attrs.int('allowzero', 0) === 1;
      return pure((inputs, where) => {
        const x = input(where, inputs, 0, ANY);
        const spec = toNumbers(input(where, inputs, 1, ['int64']));
        const dims = spec.map((d, k) => (d === 0 && !allowZero ? (k < x.dims.length ? x.dims[k] : NaN) : d));
        const infer = dims.indexOf(-1);
        if (dims.some((d, k) => Number.isNaN(d) || d < -1 || (d === -1 && k !== infer))) {
          throw new NodeError(
            `${where}: shape [${spec.join(', ')}] is not valid for input dims [${x.dims.join(', ')}] (at most one -1; 0 copies an existing dim)`,
          );
        }
        const n = x.data.length;
        if (infer >= 0) {
          const rest = sizeOf(dims.filter((_, k) => k !== infer));
          dims[infer] = rest === 0 ? 0 : n / rest;
        }
        if (!Number.isInteger(dims[infer] ?? 0) || sizeOf(dims) !== n) {
          throw new NodeError(`${where}: cannot reshape dims [${x.dims.join(', ')}] (${n} elements) to [${spec.join(', ')}]`);
        }
        return [view(x, dims)];
      });
    },
  };
}

function flatten(): OpDef {
  return simple(['axis'], [1, 1], (ctx) => {
    const axisAttr = ctx.attrs.int('axis', 1);
    return pure((inputs, where) => {
      const x = input(where, inputs, 0, ANY);
      const r = x.dims.length;
      const axis = axisAttr < 0 ? axisAttr + r : axisAttr;
      if (axis < 0 || axis > r) throw new NodeError(`${where}: expected axis in [${-r}, ${r}], but received ${axisAttr}`);
      return [view(x, [sizeOf(x.dims.slice(0, axis)), sizeOf(x.dims.slice(axis))])];
    });
  });
}

function identity(): OpDef {
  return simple([], [1, 1], () => pure((inputs, where) => [input(where, inputs, 0, ANY)]));
}

/** Copies x into `out` where out[i] = x[offset(i)], offsets from per-axis start and step. */
function stridedCopy(x: Value, out: Value, starts: number[], steps: number[]): void {
  const { data: src, width } = words(x);
  const dst = words(out).data;
  if (dst.length === 0) return;
  // An int64 element is two words: one more axis of 2, walked by 1.
  const inStrides = stridesOf(x.dims).map((s) => s * width);
  const dims = width === 1 ? out.dims : [...out.dims, width];
  const r = dims.length;
  // Axis k of the output walks input axis k by steps[k].
  const walk = new Array<number>(r).fill(1);
  let base = 0;
  for (let k = 0; k < out.dims.length; k++) {
    walk[k] = inStrides[k] * steps[k];
    base += inStrides[k] * starts[k];
  }
  if (r === 0) {
    dst[0] = src[base];
    return;
  }
  // The last axis in a tight loop; an odometer over the others.
  const run = dims[r - 1];
  const step = walk[r - 1];
  const rows = dst.length / run;
  const idx = new Array<number>(r - 1).fill(0);
  let off = base;
  let i = 0;
  for (let row = 0; row < rows; row++) {
    if (step === 1 && run >= 64) {
      dst.set(src.subarray(off, off + run), i);
      i += run;
    } else {
      for (let j = 0, o = off; j < run; j++, o += step) dst[i++] = src[o];
    }
    for (let k = r - 2; k >= 0; k--) {
      idx[k]++;
      off += walk[k];
      if (idx[k] < dims[k]) break;
      off -= walk[k] * dims[k];
      idx[k] = 0;
    }
  }
}

function transpose(): OpDef {
  return simple(['perm'], [1, 1], (ctx) => {
    const perm = ctx.attrs.ints('perm');
    return pure((inputs, where) => {
      const x = input(where, inputs, 0, ANY);
      const r = x.dims.length;
      const p = perm ?? x.dims.map((_, k) => r - 1 - k);
      if (p.length !== r || new Set(p).size !== r || p.some((a) => !(a >= 0 && a < r))) {
        throw new NodeError(`${where}: perm [${p.join(', ')}] is not a permutation of the ${r} axes of dims [${x.dims.join(', ')}]`);
      }
      const out = allocate(
        where,
        x.type,
        p.map((a) => x.dims[a]),
      );
      transposeInto(x, out, p);
      return [out];
    });
  });
}

function slice(): OpDef {
  return {
    attributes: (opset) => (opset < 10 ? ['starts', 'ends', 'axes'] : []),
    inputs: (opset) => (opset < 10 ? [1, 1] : [3, 5]),
    create: (ctx) =>
      pure((inputs, where) => {
        const x = input(where, inputs, 0, ANY);
        const old = ctx.opset < 10;
        const starts = old ? ctx.attrs.ints('starts') : intsInput(where, inputs, 1);
        const ends = old ? ctx.attrs.ints('ends') : intsInput(where, inputs, 2);
        if (!starts || !ends) throw new NodeError(`${where}: 'starts' and 'ends' are required`);
        const r = x.dims.length;
        const axes = (old ? ctx.attrs.ints('axes') : intsInput(where, inputs, 3)) ?? starts.map((_, k) => k);
        const steps = (old ? undefined : intsInput(where, inputs, 4)) ?? starts.map(() => 1);
        if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
          throw new NodeError(
            `${where}: starts, ends, axes and steps must have one length, but have ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`,
          );
        }
        const s = new Array<number>(r).fill(0);
        const st = new Array<number>(r).fill(1);
        const dims = [...x.dims];
        const seen = new Set<number>();
        starts.forEach((_, j) => {
          const a = axisOf(where, 'axes', axes[j], r);
          if (seen.has(a)) throw new NodeError(`${where}: axis ${a} is sliced twice`);
          seen.add(a);
          const d = x.dims[a];
          const step = steps[j];
          if (step === 0) throw new NodeError(`${where}: steps must not be 0`);
          let b = starts[j] < 0 ? starts[j] + d : starts[j];
          let e = ends[j] < 0 ? ends[j] + d : ends[j];
          if (step > 0) {
            b = Math.min(Math.max(b, 0), d);
            e = Math.min(Math.max(e, 0), d);
          } else {
            b = Math.min(Math.max(b, 0), d - 1);
            e = Math.min(Math.max(e, -1), d - 1);
          }
          s[a] = b;
          st[a] = step;
          dims[a] = Math.max(0, Math.ceil((e - b) / step));
        });
        const out = allocate(where, x.type, dims);
        stridedCopy(x, out, s, st);
        return [out];
      }),
  };
}

function concat(): OpDef {
  return simple(['axis'], [1, Infinity], (ctx) => {
    const axisAttr = ctx.attrs.int('axis');
    if (axisAttr === undefined) throw new NodeError(`${ctx.where}: attribute 'axis' is required`);
    return pure((inputs, where) => {
      const xs = inputs.map((_, k) => input(where, inputs, k, ANY));
      const first = xs[0];
      const r = first.dims.length;
      const axis = axisOf(where, 'axis', axisAttr, r);
      let total = 0;
      for (const [k, x] of xs.entries()) {
        if (x.type !== first.type || x.dims.length !== r || x.dims.some((d, j) => j !== axis && d !== first.dims[j])) {
          throw new NodeError(
            `${where}: input ${k} (${x.type} [${x.dims.join(', ')}]) does not match input 0 (${first.type} [${first.dims.join(', ')}]) outside axis ${axis}`,
          );
        }
        total += x.dims[axis];
      }
      const dims = [...first.dims];
      dims[axis] = total;
      const out = allocate(where, first.type, dims);
      const outer = sizeOf(dims.slice(0, axis));
      const inner = sizeOf(dims.slice(axis + 1));
      const dst = out.data as Float32Array;
      let at = 0;
      for (const x of xs) {
        const block = x.dims[axis] * inner;
        const src = x.data as Float32Array;
        for (let o = 0; o < outer; o++) dst.set(src.subarray(o * block, (o + 1) * block), o * total * inner + at);
        at += block;
      }
      return [out];
    });
  });
}

function split(): OpDef {
  return {
    attributes: (opset) => (opset < 13 ? ['axis', 'split'] : opset >= 18 ? ['axis', 'num_outputs'] : ['axis']),
    inputs: (opset) => (opset < 13 ? [1, 1] : [1, 2]),
    create: (ctx) => {
      const axisAttr = ctx.attrs.int('axis', 0);
      const count = ctx.node.outputs.length;
      return pure((inputs, where) => {
        const x = input(where, inputs, 0, ANY);
        const axis = axisOf(where, 'axis', axisAttr, x.dims.length);
        const d = x.dims[axis];
        let sizes = attrOrInput(ctx, inputs, 'split', 1, 13);
        if (sizes === undefined) {
          const parts = ctx.attrs.int('num_outputs') ?? count;
          if (parts !== count) throw new NodeError(`${where}: num_outputs = ${parts} but the node has ${count} outputs`);
          const each = Math.ceil(d / parts);
          sizes = Array.from({ length: parts }, (_, k) => Math.max(0, Math.min(each, d - k * each)));
        }
        if (sizes.length !== count || sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== d) {
          throw new NodeError(
            `${where}: split [${sizes.join(', ')}] must have ${count} non-negative parts summing to ${d} (axis ${axis} of [${x.dims.join(', ')}])`,
          );
        }
        let at = 0;
        return sizes.map((size) => {
          const dims = [...x.dims];
          dims[axis] = size;
          const out = allocate(where, x.type, dims);
          const starts = new Array(dims.length).fill(0);
          starts[axis] = at;
          at += size;
          stridedCopy(x, out, starts, new Array(dims.length).fill(1));
          return out;
        });
      });
    },
  };
}

function expand(): OpDef {
  return simple([], [2, 2], () =>
    pure((inputs, where) => {
      const x = input(where, inputs, 0, ANY);
      const shapeDims = toNumbers(input(where, inputs, 1, ['int64']));
      const dims = shapeDims.some((s) => s < 0) ? undefined : broadcastDims([x.dims, shapeDims]);
      if (!dims) throw new NodeError(`${where}: dims [${x.dims.join(', ')}] cannot be expanded to [${shapeDims.join(', ')}]`);
      const out = allocate(where, x.type, dims);
      const offsets = broadcastOffsets(where, x.dims, dims);
      const src = x.data as Float32Array;
      const dst = out.data as Float32Array;
      if (offsets === null) dst.set(src);
      else for (let i = 0; i < dst.length; i++) dst[i] = src[offsets[i]];
      return [out];
    }),
  );
}

function range(): OpDef {
  return simple([], [3, 3], () =>
    pure((inputs, where) => {
      const [start, limit, delta] = [0, 1, 2].map((k) => input(where, inputs, k, NUMERIC));
      for (const v of [limit, delta]) {
        if (v.type !== start.type)
          throw new NodeError(
            `${where}: start, limit and delta must have one type, but received ${start.type}, ${limit.type}, ${delta.type}`,
          );
      }
      if ([start, limit, delta].some((v) => v.data.length !== 1)) throw new NodeError(`${where}: start, limit and delta must be scalars`);
      const [a, b, s] = [start, limit, delta].map((v) => Number(v.data[0]));
      if (s === 0) throw new NodeError(`${where}: delta must not be 0`);
      const n = Math.max(Math.ceil((b - a) / s), 0);
      const out = allocate(where, start.type, [n]);
      if (start.type === 'int64') {
        const o = out.data as BigInt64Array;
        const a64 = start.data[0] as bigint;
        const s64 = delta.data[0] as bigint;
        for (let k = 0; k < n; k++) o[k] = a64 + BigInt(k) * s64;
      } else {
        const o = out.data as Float32Array;
        for (let k = 0; k < n; k++) o[k] = a + k * s;
      }
      return [out];
    }),
  );
}

export const SHAPE_OPS: Record<string, OpDef> = {
  Constant: constant(),
  ConstantOfShape: constantOfShape(),
  Shape: shape(),
  Gather: gather(),
  Unsqueeze: unsqueeze(),
  Squeeze: squeeze(),
  Reshape: reshape(),
  Flatten: flatten(),
  Identity: identity(),
  Transpose: transpose(),
  Slice: slice(),
  Concat: concat(),
  Split: split(),
  Expand: expand(),
  Range: range(),
};
