// The ONNX GRU operator (opsets 7 to 22) over prepacked weights. Gates in ONNX order z, r, h.
import type { CellInfo, RecurrentAttributes, RecurrentInputs, RecurrentOutputs, RecurrentWeights } from './recurrent';
import { RecurrentOp } from './recurrent';

export interface GruAttributes extends RecurrentAttributes {
  /** 1: apply the reset gate after the recurrent product, as PyTorch, cuDNN and Keras (reset_after) do. */
  linearBeforeReset?: 0 | 1 | boolean;
}

/** GRU outputs: Y [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1); Y_h [D, B, H] or [B, D, H]. */
export type GruOutputName = 'Y' | 'Y_h';
export type GruOutputs = RecurrentOutputs<GruOutputName>;

export const GRU_INFO: CellInfo = { opName: 'GruOp', cell: 1, gates: 3, defaultActivations: ['Sigmoid', 'Tanh'] };

export class GruOp extends RecurrentOp<RecurrentInputs, GruOutputName> {
  /** W [D, 3H, I], R [D, 3H, H], B [D, 6H] exactly as the ONNX GRU inputs. */
  constructor(weights: RecurrentWeights, attributes: GruAttributes = {}) {
    super(GRU_INFO, weights, attributes);
  }
}
