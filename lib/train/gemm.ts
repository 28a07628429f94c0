// The checked GEMM that training code multiplies with; it calls the addon, so it lives in ops/.
export { gemm } from '../ops/gemm';
export type { GemmArgs } from '../ops/gemm';
