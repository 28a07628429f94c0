// The recurrent cells a comparison trains, and what differs between them: the layer, the gate
// count (which sets parameter counts and memory) and the state each stream keeps. A new cell is
// one entry in CELL_INFO and one case in recurrentLayer.
import { layers, type Layer } from '../layers';

/** The two gated cells every comparison trains and weighs against each other. */
export const CELLS = ['gru', 'lstm'] as const;
export type Cell = (typeof CELLS)[number];
/** Every cell a task can build: the gated pair and the plain tanh RNN, their control (--cells). */
export const MODEL_CELLS = ['gru', 'lstm', 'rnn'] as const;
export type ModelCell = (typeof MODEL_CELLS)[number];

export const CELL_INFO: Record<ModelCell, { name: string; gates: number; states: number }> = {
  gru: { name: 'GRU', gates: 3, states: 1 },
  lstm: { name: 'LSTM', gates: 4, states: 2 },
  rnn: { name: 'RNN', gates: 1, states: 1 },
};

export function recurrentLayer(cell: ModelCell, units: number, returnSequences: boolean): Layer {
  switch (cell) {
    case 'gru':
      return layers.gru({ units, returnSequences });
    case 'lstm':
      return layers.lstm({ units, returnSequences });
    case 'rnn':
      return layers.simpleRnn({ units, returnSequences });
  }
}

/** `count` stacked layers; all but the last return their sequences. */
export function recurrentStack(cell: ModelCell, units: number, count: number): Layer[] {
  return Array.from({ length: count }, (_, l) => recurrentLayer(cell, units, l < count - 1));
}

export interface StackShape {
  /** Features per time step entering the first recurrent layer (embedding width or F). */
  inputSize: number;
  layers: number;
  /** Outputs of the dense head on the last layer (0 for none). */
  headOutputs?: number;
  /** 2 for bidirectional layers, whose two directions' outputs are concatenated (default 1). */
  directions?: 1 | 2;
}

/**
 * Weights of `layers` stacked layers in the ONNX layout this library uses: W [G*H, I], R [G*H, H]
 * and B [2*G*H] (input and recurrent biases), G gates per cell (GRU 3, LSTM 4, RNN 1), no peepholes,
 * twice over for bidirectional layers (whose next input is 2H); plus a dense head (D*H)*K + K.
 */
export function recurrentParamCount(cell: ModelCell, units: number, shape: StackShape): number {
  const gates = CELL_INFO[cell].gates;
  const d = shape.directions ?? 1;
  let total = 0;
  let input = shape.inputSize;
  for (let l = 0; l < shape.layers; l++) {
    total += d * (gates * units * (input + units) + 2 * gates * units);
    input = d * units;
  }
  const k = shape.headOutputs ?? 0;
  return total + (k > 0 ? d * units * k + k : 0);
}

/**
 * The memory of a model for one batch-1 inference over `steps` time steps, from its shapes:
 * float32 parameters; the packed W and R copies of every recurrent layer; the hoisted input
 * projection (steps × G·H) and the step outputs (steps × H) of one layer at a time; and the
 * per-stream state of every layer.
 */
export function modelMemory(
  cell: ModelCell,
  units: number,
  inputSize: number,
  layerCount: number,
  steps: number,
  params: number,
): { weights: number; packedWeights: number; workspace: number; state: number; total: number } {
  const { gates, states } = CELL_INFO[cell];
  let packed = 0;
  let input = inputSize;
  for (let l = 0; l < layerCount; l++) {
    packed += gates * units * (input + units) * 4;
    input = units;
  }
  const weights = params * 4;
  const workspace = steps * (gates * units + units) * 4;
  const state = layerCount * states * units * 4;
  return { weights, packedWeights: packed, workspace, state, total: weights + packed + workspace + state };
}
