// The ONNX LSTM operator (opsets 7 to 22) over prepacked weights. Gates in ONNX order i, o, f, c.
import type { TensorLike } from '../tensor';
import { CellInfo, FloatTensor, RecurrentAttributes, RecurrentInputs, RecurrentOp, RecurrentWeights } from './recurrent';

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

export interface LstmOutputs {
  Y?: FloatTensor;
  Y_h?: FloatTensor;
  Y_c?: FloatTensor;
}

export const LSTM_INFO: CellInfo = { opName: 'LstmOp', cell: 2, gates: 4, defaultActivations: ['Sigmoid', 'Tanh', 'Tanh'] };

export class LstmOp extends RecurrentOp<LstmInputs, LstmOutputs> {
  /** W [D, 4H, I], R [D, 4H, H], B [D, 8H], P [D, 3H] exactly as the ONNX LSTM inputs. */
  constructor(weights: LstmWeights, attributes: LstmAttributes = {}) {
    super(LSTM_INFO, weights, attributes);
  }
}
