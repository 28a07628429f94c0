// A checked single-precision GEMM over the native packed-panel kernels: the matrix product the
// training layers (Dense, the ONNX importer's Gemm/MatMul) share.
import { rangeError, typeError } from '../errors';
import { binding } from '../native';
import { boolean, finite, nonNegativeInt, object, positiveInt } from '../validate';

export interface GemmArgs {
  /** Use Aᵀ: A is then stored [K, M]. Default false. */
  transA?: boolean;
  /** Use Bᵀ: B is then stored [N, K]. Default false. */
  transB?: boolean;
  M: number;
  N: number;
  K: number;
  /** Default 1. */
  alpha?: number;
  /** Default 0: C's previous contents are ignored (NaN included). */
  beta?: number;
  A: Float32Array;
  B: Float32Array;
  /** [M, N], row-major; overwritten with the result. */
  C: Float32Array;
  /** Threads; default every hardware thread. */
  threads?: number;
}

const WHERE = 'gemm';

function isFloat32Array(v: unknown): v is Float32Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Float32Array]';
}

function matrix(name: string, value: unknown, rows: number, cols: number, shape: string): Float32Array {
  if (!isFloat32Array(value)) throw typeError(WHERE, name, 'a Float32Array', value);
  if (value.length !== rows * cols) {
    throw rangeError(WHERE, `${name}.length`, `${rows * cols} (${shape} = [${rows}, ${cols}])`, String(value.length));
  }
  return value;
}

/** Row-major C = alpha * op(A) * op(B) + beta * C in place; returns C. */
export function gemm(args: GemmArgs): Float32Array {
  object(WHERE, 'args', args, 'an object');
  const transA = args.transA === undefined ? false : boolean(WHERE, 'transA', args.transA);
  const transB = args.transB === undefined ? false : boolean(WHERE, 'transB', args.transB);
  const M = nonNegativeInt(WHERE, 'M', args.M),
    N = nonNegativeInt(WHERE, 'N', args.N),
    K = nonNegativeInt(WHERE, 'K', args.K);
  const A = transA ? matrix('A', args.A, K, M, '[K, M] with transA') : matrix('A', args.A, M, K, '[M, K]');
  const B = transB ? matrix('B', args.B, N, K, '[N, K] with transB') : matrix('B', args.B, K, N, '[K, N]');
  const C = matrix('C', args.C, M, N, '[M, N]');
  const alpha = args.alpha === undefined ? 1 : finite(WHERE, 'alpha', args.alpha);
  const beta = args.beta === undefined ? 0 : finite(WHERE, 'beta', args.beta);
  const threads = args.threads === undefined ? 0 : positiveInt(WHERE, 'threads', args.threads);
  binding().gemm({ transA, transB, M, N, K, alpha, beta, A, B, C, threads });
  return C;
}
