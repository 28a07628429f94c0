// The native description of a recurrent operator (binding.d.ts NativeSpec), built in one place
// for inference (GruOp, LstmOp, RnnOp, plans) and training (RnnTrainer), and the device choice.
import type { NativeSpec, NativeWeights } from '../../binding';
import { type Direction, oneOf } from '../validate';

export type Device = 'cpu' | 'cuda';

export function parseDevice(where: string, value: unknown): Device {
  return value === undefined ? 'cpu' : oneOf(where, 'device', value, ['cpu', 'cuda'] as const, "'cpu' or 'cuda'");
}

/** How one cell kind differs from the others. */
export interface CellInfo {
  opName: string; // for messages: 'GruOp'
  cell: 0 | 1 | 2;
  gates: number;
  defaultActivations: readonly string[];
}

/** The prepared, validated form of an operator: what the native side and the reference take. */
export interface PreparedOp {
  info: CellInfo;
  spec: NativeSpec;
  weights: NativeWeights;
  threads: number;
  device: Device;
}

/** Checked values that make up a spec; `acts` are resolveActivations' triples for every direction. */
export interface SpecParts {
  cell: 0 | 1 | 2;
  hiddenSize: number;
  inputSize: number;
  direction: Direction;
  layout: 0 | 1;
  linearBeforeReset: boolean;
  inputForget: boolean;
  bf16Weights: boolean;
  clip?: number;
  acts: number[];
}

export function nativeSpec(p: SpecParts): NativeSpec {
  return {
    cell: p.cell,
    hiddenSize: p.hiddenSize,
    inputSize: p.inputSize,
    numDirections: p.direction === 'bidirectional' ? 2 : 1,
    reverse: p.direction === 'reverse',
    linearBeforeReset: p.linearBeforeReset,
    inputForget: p.inputForget,
    layout: p.layout,
    bf16Weights: p.bf16Weights,
    clip: p.clip,
    acts: p.acts,
  };
}
