// The scalar reference (native/reference) behind the same checks as the operators: the oracle
// that tests and benchmarks compare the fast path with. Not part of the public API.
import { binding } from '../native';
import type { TensorLike } from '../tensor';
import { GRU_INFO } from './gru';
import { LSTM_INFO } from './lstm';
import { RNN_INFO } from './rnn';
import {
  type FloatTensor,
  type OutputName,
  type RecurrentAttributes,
  type RunOptions,
  prepareInputs,
  prepareOp,
  wrapOutputs,
} from './recurrent';

const INFO = { GRU: GRU_INFO, LSTM: LSTM_INFO, RNN: RNN_INFO };

export function referenceForward(
  cell: keyof typeof INFO,
  weights: { W: TensorLike; R: TensorLike; B?: TensorLike | null; P?: TensorLike | null },
  attributes: RecurrentAttributes & { linearBeforeReset?: 0 | 1 | boolean; inputForget?: 0 | 1 | boolean },
  inputs: { X: TensorLike; sequenceLens?: TensorLike | null; initialH?: TensorLike | null; initialC?: TensorLike | null },
  options?: RunOptions,
): Partial<Record<OutputName, FloatTensor>> {
  const op = prepareOp(INFO[cell], weights, attributes);
  const { native, dims } = prepareInputs(op, 'reference', inputs, options);
  return wrapOutputs(binding().referenceForward(op.spec, op.weights, native), dims);
}

/** Forces the kernel table (e.g. 'scalar', 'avx2', 'avx512'); false when this CPU lacks it. */
export function setIsa(name: string): boolean {
  return binding().setIsa(name);
}

/** bf16 weights: vdpbf16ps where the CPU has it (true) or the exact emulated kernel (false). */
export function setBf16Native(on: boolean): boolean {
  return binding().setBf16Native(on);
}
