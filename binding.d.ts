// The exact shape of what the native addon (native/addon.cc) exports. lib/ reaches the addon only
// through these types (see lib/native.ts).

/** Operator description. Activation triples are [kind, alpha, beta], per direction in order. */
export interface NativeSpec {
  cell: 0 | 1 | 2; // RNN, GRU, LSTM
  hiddenSize: number;
  inputSize: number;
  numDirections: 1 | 2;
  reverse: boolean;
  linearBeforeReset: boolean;
  inputForget: boolean;
  layout: 0 | 1;
  clip?: number;
  acts: number[];
}

export interface NativeWeights {
  W: Float32Array;
  R: Float32Array;
  B?: Float32Array | null;
  P?: Float32Array | null;
}

export interface NativeInputs {
  X: Float32Array;
  seqLength: number;
  batchSize: number;
  sequenceLens?: Int32Array | null;
  initialH?: Float32Array | null;
  initialC?: Float32Array | null;
  wantY: boolean;
  wantYh: boolean;
  wantYc: boolean;
}

export interface NativeOutputs {
  Y?: Float32Array;
  Y_h?: Float32Array;
  Y_c?: Float32Array;
}

export declare class NativeRnn {
  constructor(spec: NativeSpec, weights: NativeWeights, threads: number);
  run(inputs: NativeInputs): NativeOutputs;
  runAsync(inputs: NativeInputs): Promise<NativeOutputs>;
  dispose(): void;
  readonly packedBytes: number;
}

export interface NativeBackendInfo {
  isa: string;
  supportedIsas: string[];
  openmp: boolean;
  defaultThreads: number;
}

export interface Binding {
  NativeRnn: typeof NativeRnn;
  referenceForward(spec: NativeSpec, weights: NativeWeights, inputs: NativeInputs): NativeOutputs;
  backendInfo(): NativeBackendInfo;
  setIsa(name: string): boolean;
}
