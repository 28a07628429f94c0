// device: 'cuda' (an opt-in build, docs/cuda.md): whether this addon and machine can run an
// operator on an NVIDIA GPU, and errors that say what is missing. The kernels are in native/cuda;
// everything a CPU-only build or a machine without a GPU needs to answer is here.
import type { NativeCudaRnn } from '../../binding';
import { binding } from '../native';
import { ACTIVATION_NAMES } from './activations';
import type { PreparedOp } from './spec';

export interface CudaInfo {
  /** The addon was compiled with GATEDRNN_CUDA=ON (`GATEDRNN_CUDA=1 npm rebuild gatedrnn`). */
  built: boolean;
  /** NVIDIA GPUs the CUDA runtime sees (0 without a GPU or driver). */
  devices: number;
  /** Device 0, e.g. 'NVIDIA H100 80GB HBM3'. */
  name?: string;
  /** Device 0's compute capability, e.g. '9.0'. */
  computeCapability?: string;
  /** Why no device was found, in the CUDA runtime's words. */
  error?: string;
  /** A test build (GATEDRNN_CUDA_EMULATE) that runs the CUDA kernels on CPU threads. */
  emulated: boolean;
}

export function cudaInfo(): CudaInfo {
  const b = binding();
  // A binary from before CUDA existed (an old prebuild) has no cudaInfo: it is a CPU-only build.
  if (typeof b.cudaInfo !== 'function') return { built: false, devices: 0, emulated: false };
  return b.cudaInfo();
}

/**
 * The recurrent kernel of later CUDA calls (tests and benchmarks; GATEDRNN_CUDA_RECURRENT sets
 * the default): 'auto' takes the persistent kernel where it fits and per-step launches elsewhere;
 * 'persistent' makes a call it cannot hold an error. False for another name.
 */
export function setCudaRecurrent(kernel: 'auto' | 'persistent' | 'step'): boolean {
  const b = binding();
  return typeof b.setCudaRecurrent === 'function' && b.setCudaRecurrent(kernel);
}

const SIGMOID = ACTIVATION_NAMES.indexOf('Sigmoid');
const TANH = ACTIVATION_NAMES.indexOf('Tanh');

// What the CUDA kernels do not cover, as a message about the op's own options; null when covered.
function unsupported(op: PreparedOp): string | null {
  const { info, spec } = op;
  if (spec.cell === 0) return `device 'cuda' runs GruOp and LstmOp; ${info.opName} is not supported on cuda (use device 'cpu')`;
  if (spec.bf16Weights) return "precision 'bf16' is not supported on device 'cuda' (use 'fp32')";
  // acts holds [code, alpha, beta] per function, per direction: f = Sigmoid, then Tanh(s).
  const perDir = info.defaultActivations.length;
  const codes = spec.acts.filter((_, i) => i % 3 === 0);
  if (codes.some((code, i) => code !== (i % perDir === 0 ? SIGMOID : TANH))) {
    const given = codes.map((c) => ACTIVATION_NAMES[c]).join(', ');
    return `device 'cuda' supports only the default activations (${info.defaultActivations.join(', ')}), but received ${given}`;
  }
  return null;
}

/** The operator's weights on the GPU; an Error naming what is missing when that cannot be. */
export function createCudaOp(op: PreparedOp): NativeCudaRnn {
  const where = `new ${op.info.opName}`;
  const reason = unsupported(op);
  if (reason) throw new Error(`${where}: ${reason}`);
  const info = cudaInfo();
  if (!info.built) {
    throw new Error(
      `${where}: device 'cuda' needs the addon built with its CUDA kernels, and this one was built without them ` +
        '(the prebuilt binaries are CPU-only). Rebuild it with nvcc on PATH: GATEDRNN_CUDA=1 npm rebuild gatedrnn (see docs/cuda.md)',
    );
  }
  if (info.devices < 1) {
    throw new Error(
      `${where}: device 'cuda' needs an NVIDIA GPU; this addon was built with CUDA but no GPU was found (${info.error ?? 'no device'})`,
    );
  }
  const { NativeCudaRnn } = binding();
  return new NativeCudaRnn(op.spec, op.weights);
}
