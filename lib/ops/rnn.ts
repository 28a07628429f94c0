// The ONNX RNN operator (a plain recurrent layer, opsets 7 to 22) over prepacked weights.
import type { CellInfo, RecurrentAttributes, RecurrentInputs, RecurrentOutputs, RecurrentWeights } from './recurrent';
import { RecurrentOp } from './recurrent';

export type RnnOutputName = 'Y' | 'Y_h';
export type RnnOutputs = RecurrentOutputs<RnnOutputName>;

export const RNN_INFO: CellInfo = { opName: 'RnnOp', cell: 0, gates: 1, defaultActivations: ['Tanh'] };

export class RnnOp extends RecurrentOp<RecurrentInputs, RnnOutputName> {
  /** W [D, H, I], R [D, H, H], B [D, 2H] exactly as the ONNX RNN inputs. */
  constructor(weights: RecurrentWeights, attributes: RecurrentAttributes = {}) {
    super(RNN_INFO, weights, attributes);
  }
}
