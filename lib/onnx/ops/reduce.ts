// Softmax, LogSoftmax, ReduceSum, ReduceMean and ArgMax: along axes, in float64 accumulators.
import { NodeError, type Value, allocate, normalizeAxis, sizeOf, toNumbers } from '../values';
import { INTS, NUMERIC, type OpContext, type OpDef, input, optionalInput, pure } from './types';

function softmax(log: boolean): OpDef {
  return {
    attributes: () => ['axis'],
    inputs: () => [1, 1],
    create: (ctx) => {
      // Before opset 13 the input is coerced to 2-D at `axis` (default 1) and normalized per row;
      // from 13 on it is normalized along `axis` alone (default -1).
      const old = ctx.opset < 13;
      const axisAttr = ctx.attrs.int('axis', old ? 1 : -1);
      return pure((inputs, where) => {
        const x = input(where, inputs, 0, ['float32']);
        const r = x.dims.length;
        const axis = old && axisAttr === r ? r : normalizeAxis(axisAttr, r);
        if (axis === undefined) throw new NodeError(`${where}: expected axis in [${-r}, ${r - 1}], but received ${axisAttr}`);
        const outer = sizeOf(x.dims.slice(0, axis));
        const len = old ? sizeOf(x.dims.slice(axis)) : x.dims[axis];
        const inner = old ? 1 : sizeOf(x.dims.slice(axis + 1));
        const out = allocate(where, 'float32', x.dims);
        const a = x.data as Float32Array;
        const o = out.data as Float32Array;
        for (let p = 0; p < outer; p++) {
          for (let q = 0; q < inner; q++) {
            const base = p * len * inner + q;
            let max = -Infinity;
            for (let k = 0; k < len; k++) max = Math.max(max, a[base + k * inner]);
            let sum = 0;
            for (let k = 0; k < len; k++) sum += Math.exp(a[base + k * inner] - max);
            const logSum = Math.log(sum);
            for (let k = 0; k < len; k++) {
              const z = a[base + k * inner] - max;
              o[base + k * inner] = log ? z - logSum : Math.exp(z) / sum;
            }
          }
        }
        return [out];
      });
    },
  };
}

function reduce(mean: boolean, axesInputSince: number): OpDef {
  return {
    attributes: (opset) => (opset < axesInputSince ? ['axes', 'keepdims'] : ['keepdims', 'noop_with_empty_axes']),
    inputs: (opset) => (opset < axesInputSince ? [1, 1] : [1, 2]),
    create: (ctx: OpContext) => {
      const keep = ctx.attrs.int('keepdims', 1) === 1;
      const noop = ctx.attrs.int('noop_with_empty_axes', 0) === 1;
      return pure((inputs, where) => {
        const x = input(where, inputs, 0, NUMERIC);
        const r = x.dims.length;
        let axes = ctx.opset < axesInputSince ? ctx.attrs.ints('axes') : optionalInput(where, inputs, 1, INTS) && toNumbers(inputs[1]!);
        if (axes === undefined || axes.length === 0) {
          if (noop) return [x];
          axes = x.dims.map((_, k) => k);
        }
        const set = new Set(
          axes.map((a) => {
            const n = normalizeAxis(a, r);
            if (n === undefined) throw new NodeError(`${where}: expected axes in [${-r}, ${r - 1}], but received ${a}`);
            return n;
          }),
        );
        const outDims = x.dims.map((d, k) => (set.has(k) ? 1 : d));
        const out = allocate(where, x.type, outDims);
        const acc = new Float64Array(out.data.length);
        const count = x.data.length / Math.max(out.data.length, 1);
        // Walk the input once; the output offset follows an odometer over the kept axes.
        const step = new Array<number>(r);
        let s = 1;
        for (let k = r - 1; k >= 0; k--) {
          step[k] = set.has(k) ? 0 : s;
          s *= outDims[k];
        }
        const idx = new Array<number>(r).fill(0);
        let off = 0;
        for (let i = 0; i < x.data.length; i++) {
          acc[off] += Number(x.data[i]);
          for (let k = r - 1; k >= 0; k--) {
            idx[k]++;
            off += step[k];
            if (idx[k] < x.dims[k]) break;
            off -= step[k] * x.dims[k];
            idx[k] = 0;
          }
        }
        for (let k = 0; k < acc.length; k++) {
          const v = mean ? acc[k] / count : acc[k];
          if (out.type === 'int64') (out.data as BigInt64Array)[k] = BigInt(Math.trunc(v));
          else (out.data as Float32Array)[k] = v;
        }
        return [keep ? out : { ...out, dims: x.dims.filter((_, k) => !set.has(k)) }];
      });
    },
  };
}

function argMax(): OpDef {
  return {
    attributes: (opset) => (opset >= 12 ? ['axis', 'keepdims', 'select_last_index'] : ['axis', 'keepdims']),
    inputs: () => [1, 1],
    create: (ctx) => {
      const axisAttr = ctx.attrs.int('axis', 0);
      const keep = ctx.attrs.int('keepdims', 1) === 1;
      const last = ctx.attrs.int('select_last_index', 0) === 1;
      return pure((inputs, where) => {
        const x: Value = input(where, inputs, 0, NUMERIC);
        const r = x.dims.length;
        const axis = normalizeAxis(axisAttr, r);
        if (axis === undefined) throw new NodeError(`${where}: expected axis in [${-r}, ${r - 1}], but received ${axisAttr}`);
        const outer = sizeOf(x.dims.slice(0, axis));
        const len = x.dims[axis];
        const inner = sizeOf(x.dims.slice(axis + 1));
        const dims = keep ? x.dims.map((d, k) => (k === axis ? 1 : d)) : x.dims.filter((_, k) => k !== axis);
        const out = allocate(where, 'int64', dims);
        const o = out.data as BigInt64Array;
        for (let p = 0; p < outer; p++) {
          for (let q = 0; q < inner; q++) {
            let best = 0;
            let bestValue = x.data[p * len * inner + q];
            for (let k = 1; k < len; k++) {
              const v = x.data[(p * len + k) * inner + q];
              if (v > bestValue || (last && v === bestValue)) {
                best = k;
                bestValue = v;
              }
            }
            o[p * inner + q] = BigInt(best);
          }
        }
        return [out];
      });
    },
  };
}

export const REDUCE_OPS: Record<string, OpDef> = {
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  ReduceSum: reduce(false, 13),
  ReduceMean: reduce(true, 18),
  ArgMax: argMax(),
};
