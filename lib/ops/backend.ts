// What the loaded addon runs with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binding } from '../native';
import { type CudaInfo, cudaInfo } from './cuda';

export interface BackendInfo {
  /** Kernels in use: 'avx512' | 'avx2' | 'neon' | 'scalar'. */
  isa: string;
  /** Every kernel set this CPU can run, best first. */
  supportedIsas: string[];
  /** Threads an operator uses when not told otherwise. */
  threads: number;
  openmp: boolean;
  /** How bf16 weights (precision: 'bf16') are multiplied: 'avx512bf16' or 'emulated'. */
  bf16: string;
  /** Built with CUDA and an NVIDIA GPU found: `device: 'cuda'` works. */
  cuda: boolean;
  /** The CUDA side in detail: built or not, GPUs found, device 0's name, or why there is none. */
  cudaInfo: CudaInfo;
  version: string;
}

let version: string | undefined;

export function backendInfo(): BackendInfo {
  const info = binding().backendInfo();
  version ??= (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  const cuda = cudaInfo();
  return {
    isa: info.isa,
    supportedIsas: info.supportedIsas,
    threads: info.defaultThreads,
    openmp: info.openmp,
    bf16: info.bf16,
    cuda: cuda.built && cuda.devices > 0,
    cudaInfo: cuda,
    version,
  };
}
