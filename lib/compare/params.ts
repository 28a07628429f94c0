// Parameter counts of recurrent stacks and `--match params`: units that give a GRU and an LSTM
// stack about the same size, so a comparison is not won by sheer capacity.

export type Cell = 'gru' | 'lstm';

export interface StackShape {
  /** Features per time step entering the first recurrent layer (embedding width or F). */
  inputSize: number;
  layers: number;
  /** Outputs of the dense head on the last layer (0 for none). */
  headOutputs?: number;
}

/**
 * Weights of `layers` stacked layers in the ONNX layout this library uses: W [G*H, I], R [G*H, H]
 * and B [2*G*H] (input and recurrent biases), G = 3 gates for GRU and 4 for LSTM, no peepholes;
 * plus a dense head H*K + K.
 */
export function recurrentParamCount(cell: Cell, units: number, shape: StackShape): number {
  const gates = cell === 'gru' ? 3 : 4;
  let total = 0;
  let input = shape.inputSize;
  for (let l = 0; l < shape.layers; l++) {
    total += gates * units * (input + units) + 2 * gates * units;
    input = units;
  }
  const k = shape.headOutputs ?? 0;
  return total + (k > 0 ? units * k + k : 0);
}

export interface MatchedUnits {
  gru: number;
  lstm: number;
  params: { gru: number; lstm: number };
}

/**
 * Keeps `anchor` at `units` and picks the other cell's units (1..4x units) whose stack is
 * closest in parameters; ties go to the smaller size. Since GRU has 3 gates to LSTM's 4, the GRU
 * ends up about 15% wider when the LSTM is the anchor.
 */
export function matchUnits(units: number, shape: StackShape, anchor: Cell = 'lstm'): MatchedUnits {
  if (!Number.isSafeInteger(units) || units < 1) throw new RangeError(`matchUnits: expected units to be a positive integer, but received ${units}`);
  const other: Cell = anchor === 'gru' ? 'lstm' : 'gru';
  const targetParams = recurrentParamCount(anchor, units, shape);
  let best = 1;
  let bestGap = Infinity;
  for (let u = 1; u <= 4 * units; u++) {
    const gap = Math.abs(recurrentParamCount(other, u, shape) - targetParams);
    if (gap < bestGap) {
      best = u;
      bestGap = gap;
    }
  }
  const sizes = { [anchor]: units, [other]: best } as { gru: number; lstm: number };
  return { ...sizes, params: { gru: recurrentParamCount('gru', sizes.gru, shape), lstm: recurrentParamCount('lstm', sizes.lstm, shape) } };
}
