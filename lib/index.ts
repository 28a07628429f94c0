// The public surface of gatedrnn (re-exports only).
export { Tensor } from './tensor';
export type { TensorLike, TensorType, TensorData } from './tensor';
export { GruOp } from './ops/gru';
export type { GruAttributes, GruOutputName, GruOutputs } from './ops/gru';
export { LstmOp } from './ops/lstm';
export type { LstmAttributes, LstmInputs, LstmOutputName, LstmOutputs, LstmWeights } from './ops/lstm';
export { RnnOp } from './ops/rnn';
export type { RnnOutputName, RnnOutputs } from './ops/rnn';
export type {
  Direction,
  OutputName,
  RecurrentAttributes,
  RecurrentInputs,
  RecurrentOutputs,
  RecurrentWeights,
  RunOptions,
} from './ops/recurrent';
export { ACTIVATION_NAMES } from './ops/activations';
export { backendInfo } from './ops/backend';
export type { BackendInfo } from './ops/backend';
export type { CudaInfo } from './ops/cuda';
export type { Device } from './ops/spec';
// gatedrnn compare: the recommendation and the shape of results.json.
export { recommend } from './compare/recommend';
export type { AccuracyVerdict, BaselineComparison, CostComparison, CostVerdict, RecommendOptions, Verdict } from './compare/recommend';
export type {
  BaselineResult,
  CellResult,
  ComparisonResults,
  LearningCurve,
  MachineInfo,
  MeasuredRatio,
  MetricSpec as ComparisonMetricSpec,
  Priority,
  RunResult,
  RunSettings,
  TaskCosts,
  TaskKind,
  TaskMeta,
  TaskResult,
  TuningTrial,
} from './compare/results';
// Keras-like training API
export { sequential, Sequential } from './model/sequential';
export { loadModel } from './model/load';
export type { ModelData, NestedNumbers } from './model/data';
export type { SequentialArgs, CompileArgs, FitArgs, History } from './model/sequential';
export { layers, layerFromConfig, Layer, Dense, Dropout, Embedding, Gru, Lstm, SimpleRnn, Bidirectional } from './layers';
export type {
  DenseArgs,
  DropoutArgs,
  EmbeddingArgs,
  GruArgs,
  LstmArgs,
  SimpleRnnArgs,
  BidirectionalArgs,
  LayerConfig,
  SerializedLayer,
  ActivationName,
} from './layers';
export { losses, Loss } from './train/losses';
export type { LossName, LossConfig } from './train/losses';
export type { MetricName, MetricSpec } from './train/metrics';
export { optimizers, Optimizer } from './train/optimizers';
export type { OptimizerName, SgdArgs, AdamArgs, AdamWArgs, RmspropArgs } from './train/optimizers';
export { schedules, Schedule } from './train/schedules';
export { callbacks, EarlyStopping, ReduceLROnPlateau } from './train/callbacks';
export type { Callback, Logs, EarlyStoppingArgs, ReduceLROnPlateauArgs } from './train/callbacks';
export { loadOnnx, OnnxSession } from './onnx/session';
export type { AnyTensor, LoadOnnxOptions, OnnxFeeds, OnnxResults, OnnxValueMetadata, OutputTypes } from './onnx/session';
export { exportOnnx, addDenseNode, addEmbeddingNode, addRecurrentNode, OnnxGraphBuilder } from './onnx/export';
export type { AttrValue, DenseNodeOptions, ExportOnnxOptions, RecurrentNodeOptions, RecurrentSource } from './onnx/export';
export { crosscheck, formatCrosscheck } from './onnx/crosscheck';
export type { CrosscheckOptions, CrosscheckOutput, CrosscheckReport } from './onnx/crosscheck';
export type { ToOnnxOptions } from './model/onnx';
// Encoder–decoder models
export { seq2seq, Seq2Seq } from './model/seq2seq';
export type { Seq2SeqArgs, Seq2SeqConfig, Seq2SeqCompileArgs, Seq2SeqFitArgs, DecodeArgs } from './model/seq2seq';
// gatedrnn compare --claims: the usual GRU-vs-LSTM claims as experiments with verdicts.
export { runClaims, CLAIM_IDS, CLAIM_STATEMENTS } from './compare/claims';
export type { ClaimId, ClaimRow, ClaimsOptions, ClaimsResults, ClaimVerdict } from './compare/claims';
