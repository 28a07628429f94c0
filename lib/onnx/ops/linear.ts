// Gemm and MatMul over the native GEMM (row-major C = alpha·op(A)·op(B) + beta·C): the dense
// layers around recurrent nodes. Shapes and broadcasting are worked out here; the arithmetic is
// native. MatMul with a 2-D right-hand side folds every batch dim of A into one GEMM.
import { gemm as sgemm } from '../../ops/gemm';
import { NodeError, allocate, broadcastDims, broadcastOffsets, sizeOf } from '../values';
import { type OpDef, input, optionalInput, pure, simple } from './types';

function gemm(): OpDef {
  return simple(['alpha', 'beta', 'transA', 'transB'], [2, 3], (ctx) => {
    const alpha = ctx.attrs.float('alpha', 1);
    const beta = ctx.attrs.float('beta', 1);
    const transA = ctx.attrs.int('transA', 0) === 1;
    const transB = ctx.attrs.int('transB', 0) === 1;
    const threads = ctx.threads || undefined;
    return pure((inputs, where) => {
      const a = input(where, inputs, 0, ['float32']);
      const b = input(where, inputs, 1, ['float32']);
      const c = optionalInput(where, inputs, 2, ['float32']);
      if (a.dims.length !== 2 || b.dims.length !== 2) {
        throw new NodeError(`${where}: expected A and B of rank 2, but received [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`);
      }
      const [M, K] = transA ? [a.dims[1], a.dims[0]] : a.dims;
      const [K2, N] = transB ? [b.dims[1], b.dims[0]] : b.dims;
      if (K !== K2)
        throw new NodeError(
          `${where}: inner dims differ: A gives K = ${K}, B gives K = ${K2} (transA ${Number(transA)}, transB ${Number(transB)})`,
        );
      const out = allocate(where, 'float32', [M, N]);
      const o = out.data as Float32Array;
      let betaC = 0;
      if (c !== undefined && beta !== 0) {
        const dims = broadcastDims([c.dims, [M, N]]);
        if (dims?.length !== 2 || dims[0] !== M || dims[1] !== N) {
          throw new NodeError(`${where}: C of dims [${c.dims.join(', ')}] does not broadcast to [${M}, ${N}]`);
        }
        const offsets = broadcastOffsets(where, c.dims, [M, N]);
        const cd = c.data as Float32Array;
        for (let i = 0; i < o.length; i++) o[i] = cd[offsets ? offsets[i] : i];
        betaC = beta;
      }
      sgemm({ transA, transB, M, N, K, alpha, beta: betaC, A: a.data as Float32Array, B: b.data as Float32Array, C: o, threads });
      return [out];
    });
  });
}

function matmul(): OpDef {
  return simple([], [2, 2], (ctx) =>
    pure((inputs, where) => {
      const a = input(where, inputs, 0, ['float32']);
      const b = input(where, inputs, 1, ['float32']);
      if (a.dims.length === 0 || b.dims.length === 0) throw new NodeError(`${where}: MatMul inputs must have rank 1 or more`);
      // Rank-1 operands are promoted (a row for A, a column for B) and the added axis dropped.
      const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims;
      const bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
      const M = ad[ad.length - 2];
      const K = ad[ad.length - 1];
      const N = bd[bd.length - 1];
      if (bd[bd.length - 2] !== K) {
        throw new NodeError(
          `${where}: inner dims differ: A [${a.dims.join(', ')}] has K = ${K}, B [${b.dims.join(', ')}] has ${bd[bd.length - 2]}`,
        );
      }
      const batch = broadcastDims([ad.slice(0, -2), bd.slice(0, -2)]);
      if (!batch) throw new NodeError(`${where}: batch dims of A [${a.dims.join(', ')}] and B [${b.dims.join(', ')}] do not broadcast`);
      const dims = [...batch, M, N].filter(
        (_, k, all) => !((a.dims.length === 1 && k === all.length - 2) || (b.dims.length === 1 && k === all.length - 1)),
      );
      const out = allocate(where, 'float32', dims);
      const o = out.data as Float32Array;
      const A = a.data as Float32Array;
      const B = b.data as Float32Array;
      const threads = ctx.threads || undefined;
      if (M === 0 || N === 0) return [out];
      if (bd.length === 2) {
        sgemm({ transA: false, transB: false, M: sizeOf(ad.slice(0, -1)), N, K, alpha: 1, beta: 0, A, B, C: o, threads });
        return [out];
      }
      const count = sizeOf(batch);
      const oa = broadcastOffsets(where, ad.slice(0, -2), batch);
      const ob = broadcastOffsets(where, bd.slice(0, -2), batch);
      for (let p = 0; p < count; p++) {
        const ia = (oa ? oa[p] : p) * M * K;
        const ib = (ob ? ob[p] : p) * K * N;
        sgemm({
          transA: false,
          transB: false,
          M,
          N,
          K,
          alpha: 1,
          beta: 0,
          threads,
          A: A.subarray(ia, ia + M * K),
          B: B.subarray(ib, ib + K * N),
          C: o.subarray(p * M * N, (p + 1) * M * N),
        });
      }
      return [out];
    }),
  );
}

export const LINEAR_OPS: Record<string, OpDef> = {
  Gemm: gemm(),
  MatMul: matmul(),
};
