// The ONNX LSTM operator (opsets 7 to 22) over prepacked weights. Gates in ONNX order i, o, f, c.
import type { TensorLike } from '../tensor';
import type { CellInfo, RecurrentAttributes, RecurrentInputs, RecurrentOutputs, RecurrentWeights } from './recurrent';
import { RecurrentOp } from './recurrent';

export interface LstmAttributes extends RecurrentAttributes {
  /** 1: couple the input and forget gates (f = 1 - i). */
  inputForget?: 0 | 1 | boolean;
}

export interface LstmWeights extends RecurrentWeights {
  /** Peepholes [D, 3H]: i, o, f. */
  P?: TensorLike | null;
}

export interface LstmInputs extends RecurrentInputs {
  initialC?: TensorLike | null;
}

/** LSTM outputs: Y as the GRU's, Y_h and Y_c [D, B, H] (layout 0) or [B, D, H] (layout 1). */
export type LstmOutputName = 'Y' | 'Y_h' | 'Y_c';
export type LstmOutputs = RecurrentOutputs<LstmOutputName>;

export const LSTM_INFO: CellInfo = { opName: 'LstmOp', cell: 2, gates: 4, defaultActivations: ['Sigmoid', 'Tanh', 'Tanh'] };

export class LstmOp extends RecurrentOp<LstmInputs, LstmOutputName> {
  /** W [D, 4H, I], R [D, 4H, H], B [D, 8H], P [D, 3H] exactly as the ONNX LSTM inputs. */
  constructor(weights: LstmWeights, attributes: LstmAttributes = {}) {
    super(LSTM_INFO, weights, attributes);
  }
}
