// The native training kernels through the binding: gemm against a naive loop, and (below) the
// RNN trainer's forward against NativeRnn and its gradients against central finite differences of
// a float64 forward (test/helpers/rnn64.ts).
import { gemm } from '../lib/train/gemm';
import { rng32 } from './helpers/rnn64';

function naiveGemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Float32Array,
                   B: Float32Array, beta: number, C: Float32Array): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (transA ? A[k * M + i] : A[i * K + k]) * (transB ? B[j * K + k] : B[k * N + j]);
      out[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * N + j]);
    }
  }
  return out;
}

function random(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
  return a;
}

describe('gemm', () => {
  const rand = rng32(7);
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1], [3, 5, 7], [17, 33, 9], [40, 17, 300], [65, 130, 31], [2, 200, 513],
  ];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      test(`transA=${transA} transB=${transB} on odd sizes`, () => {
        for (const [M, N, K] of shapes) {
          for (const [alpha, beta] of [[1, 0], [0.5, -1.25]]) {
            const A = random(M * K, rand), B = random(K * N, rand), C = random(M * N, rand);
            const want = naiveGemm(transA, transB, M, N, K, alpha, A, B, beta, C);
            gemm({ transA, transB, M, N, K, alpha, beta, A, B, C, threads: 2 });
            for (let i = 0; i < M * N; i++) expect(Math.abs(C[i] - want[i])).toBeLessThan(1e-5 * (K + 1));
          }
        }
      });
    }
  }

  test('beta 0 ignores NaN in C; K = 0 leaves beta * C', () => {
    const C = new Float32Array(6).fill(NaN);
    gemm({ M: 2, N: 3, K: 2, A: new Float32Array([1, 2, 3, 4]), B: new Float32Array([1, 0, 0, 0, 1, 0]), C });
    expect(Array.from(C)).toEqual([1, 2, 0, 3, 4, 0]);
    const D = new Float32Array([1, 2]);
    gemm({ M: 1, N: 2, K: 0, A: new Float32Array(0), B: new Float32Array(0), C: D, beta: 2 });
    expect(Array.from(D)).toEqual([2, 4]);
  });

  test('errors name the argument, what was expected and what came', () => {
    const A = new Float32Array(6), B = new Float32Array(6), C = new Float32Array(4);
    expect(() => gemm({ M: 2, N: 2, K: 3, A, B, C: new Float32Array(5) })).toThrow(
      'gemm: expected C.length to be 4 ([M, N] = [2, 2]), but received 5');
    expect(() => gemm({ M: 2, N: 2, K: 3, A: new Float64Array(6) as unknown as Float32Array, B, C })).toThrow(
      'gemm: expected A to be a Float32Array, but received Float64Array(6)');
    expect(() => gemm({ M: 2.5, N: 2, K: 3, A, B, C })).toThrow('gemm: expected M to be a non-negative integer, but received 2.5 of type number');
    expect(() => gemm({ transB: true, M: 2, N: 2, K: 3, A, B: new Float32Array(4), C })).toThrow(
      'gemm: expected B.length to be 6 ([N, K] with transB = [2, 3]), but received 4');
    expect(() => gemm({ M: 2, N: 2, K: 3, A, B, C, alpha: NaN })).toThrow('gemm: expected alpha to be a finite number, but received NaN of type number');
    expect(() => gemm({ M: 2, N: 2, K: 3, A, B, C, threads: 0 })).toThrow('gemm: expected threads to be a positive integer, but received 0 of type number');
  });
});
