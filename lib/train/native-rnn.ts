// Training-mode GRU, LSTM and plain RNN (forward with saved activations, backward): it calls the
// addon, so it lives in ops/trainer.ts.
export { RnnTrainer } from '../ops/trainer';
export type {
  RnnTrainerAttributes,
  TrainCell,
  TrainDirection,
  TrainForwardOptions,
  TrainForwardResult,
  TrainGradients,
  TrainInputs,
  TrainOutputGradients,
  TrainOutputName,
  TrainWeights,
} from '../ops/trainer';
