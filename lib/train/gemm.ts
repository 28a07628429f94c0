// A checked single-precision GEMM over the native packed-panel kernels: the matrix product the
// training layers (Dense, the ONNX importer's Gemm/MatMul) share.
import { rangeError, typeError } from '../errors';
import { binding } from '../native';

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

function dim(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw typeError(WHERE, name, 'a non-negative integer', value);
  }
  return value;
}

function matrix(name: string, value: unknown, rows: number, cols: number, shape: string): Float32Array {
  if (!isFloat32Array(value)) throw typeError(WHERE, name, 'a Float32Array', value);
  if (value.length !== rows * cols) {
    throw rangeError(WHERE, `${name}.length`, `${rows * cols} (${shape} = [${rows}, ${cols}])`, String(value.length));
  }
  return value;
}

function finite(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(WHERE, name, 'a finite number', value);
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw typeError(WHERE, name, 'a boolean', value);
  return value;
}

/** Row-major C = alpha * op(A) * op(B) + beta * C in place; returns C. */
export function gemm(args: GemmArgs): Float32Array {
  if (typeof args !== 'object' || args === null) throw typeError(WHERE, 'args', 'an object', args);
  const transA = bool('transA', args.transA), transB = bool('transB', args.transB);
  const M = dim('M', args.M), N = dim('N', args.N), K = dim('K', args.K);
  const A = transA ? matrix('A', args.A, K, M, '[K, M] with transA') : matrix('A', args.A, M, K, '[M, K]');
  const B = transB ? matrix('B', args.B, N, K, '[N, K] with transB') : matrix('B', args.B, K, N, '[K, N]');
  const C = matrix('C', args.C, M, N, '[M, N]');
  const alpha = finite('alpha', args.alpha, 1), beta = finite('beta', args.beta, 0);
  let threads = 0;
  if (args.threads !== undefined) {
    if (typeof args.threads !== 'number' || !Number.isInteger(args.threads) || args.threads < 1) {
      throw typeError(WHERE, 'threads', 'a positive integer', args.threads);
    }
    threads = args.threads;
  }
  binding().gemm({ transA, transB, M, N, K, alpha, beta, A, B, C, threads });
  return C;
}
