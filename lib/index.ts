// The public surface of gatedrnn (re-exports only).
export { Tensor } from './tensor';
export type { TensorLike, TensorType, TensorData } from './tensor';
export { GruOp } from './ops/gru';
export type { GruAttributes, GruOutputs } from './ops/gru';
export { LstmOp } from './ops/lstm';
export type { LstmAttributes, LstmInputs, LstmOutputs, LstmWeights } from './ops/lstm';
export { RnnOp } from './ops/rnn';
export type { RnnOutputs } from './ops/rnn';
export type { Direction, OutputName, RecurrentAttributes, RecurrentInputs, RecurrentWeights, RunOptions } from './ops/recurrent';
export { ACTIVATION_NAMES } from './ops/activations';
export { backendInfo } from './backend';
export type { BackendInfo } from './backend';
export type { CudaInfo, Device } from './cuda'; // CUDA hook
export { loadOnnx, OnnxSession } from './onnx/session';
export type { LoadOnnxOptions, OnnxFeeds, OnnxResults, OnnxValueMetadata } from './onnx/session';
export { exportOnnx, addDenseNode, addEmbeddingNode, addRecurrentNode, OnnxGraphBuilder } from './onnx/export';
export type { AttrValue, DenseNodeOptions, ExportOnnxOptions, RecurrentNodeOptions, RecurrentSource } from './onnx/export';
export { crosscheck, formatCrosscheck } from './onnx/crosscheck';
export type { CrosscheckOptions, CrosscheckOutput, CrosscheckReport } from './onnx/crosscheck';
