// The exact shape of what the native addon (native/napi/) exports. lib/ reaches the addon only
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
  /** Store W and R as bf16 (sums stay fp32). */
  bf16Weights: boolean;
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

/** The same operator on an NVIDIA GPU (native/cuda); in a build without CUDA the constructor throws. */
export declare class NativeCudaRnn {
  constructor(spec: NativeSpec, weights: NativeWeights);
  run(inputs: NativeInputs): NativeOutputs;
  runAsync(inputs: NativeInputs): Promise<NativeOutputs>;
  dispose(): void;
  /** Bytes of GPU memory the weights hold. */
  readonly packedBytes: number;
}

export interface NativeCudaInfo {
  built: boolean;
  /** GATEDRNN_CUDA_EMULATE: the CUDA kernels on CPU threads (a test build). */
  emulated: boolean;
  devices: number;
  name?: string;
  computeCapability?: string;
  error?: string;
}

export interface NativeGradOutputs { dY?: Float32Array | null; dY_h?: Float32Array | null; dY_c?: Float32Array | null; }
export interface NativeGradients {
  dX: Float32Array;        // same shape as X
  dW: Float32Array; dR: Float32Array; dB: Float32Array;   // ONNX layouts [D, G*H, I], [D, G*H, H], [D, 2*G*H]
  dInitialH: Float32Array; // [D, B, H] (always returned; zeros-initial-state callers ignore it)
  dInitialC?: Float32Array;// LSTM only
}
/** Training-mode RNN: GRU (both linearBeforeReset forms) and LSTM (no peepholes), forward/reverse/bidirectional, layout 0 or 1, sequenceLens, initial states. Default activations only (Sigmoid/Tanh), no clip, fp32 (bf16Weights false): anything else is a clear Error from the constructor. */
export declare class NativeRnnTrainer {
  constructor(spec: NativeSpec, threads: number);
  /** Same outputs as NativeRnn.run (Y, Y_h, Y_c as asked) plus `saved`: the activations backward needs, owned by JS. */
  /** savedInto: an earlier forward's `saved` of the same shapes, written again and returned as `saved`. */
  forward(weights: NativeWeights, inputs: NativeInputs, savedInto?: Float32Array | null): NativeOutputs & { saved: Float32Array };
  forwardAsync(
    weights: NativeWeights,
    inputs: NativeInputs,
    savedInto?: Float32Array | null,
  ): Promise<NativeOutputs & { saved: Float32Array }>;
  /** BPTT through the call that produced `saved` (same weights and inputs). Padded steps (t >= sequenceLens[b]) give no gradient; Y_h/Y_c of a sequence are its state at its last valid step. */
  backward(weights: NativeWeights, inputs: NativeInputs, saved: Float32Array, grads: NativeGradOutputs): NativeGradients;
  backwardAsync(weights: NativeWeights, inputs: NativeInputs, saved: Float32Array, grads: NativeGradOutputs): Promise<NativeGradients>;
  dispose(): void;
}

export interface NativeBackendInfo {
  isa: string;
  supportedIsas: string[];
  openmp: boolean;
  defaultThreads: number;
  /** How bf16 weights are multiplied: 'avx512bf16' (vdpbf16ps, rounds activations to bf16 too) or 'emulated'. */
  bf16: string;
}

/** A whole ONNX graph as one native call (native/plan): what lib/onnx/plan.ts compiles a session into. */
export interface NativePlanDescription {
  /** The right-hand sides of the graph's GEMMs, K x N (stored [N, K] when trans), packed into panels once. */
  matrices: { B: Float32Array; K: number; N: number; trans: boolean }[];
  /** Recurrent nodes: spec flat (cell, hidden, input, directions, reverse, linearBeforeReset, inputForget, layout, bf16Weights, hasClip, clip, then [kind, alpha, beta] per activation) and ONNX weights. */
  rnns: { spec: Float64Array; W: Float32Array; R: Float32Array; B?: Float32Array | null; P?: Float32Array | null }[];
  /** Threads per GEMM and recurrent node (0: the default). */
  threads: number;
}
export interface NativePlanCall {
  /** Instructions over an arena of 4-byte words (native/plan/plan.h: PlanOp). */
  program: Int32Array;
  /** Float operands (GEMM alpha and beta). */
  params: Float32Array;
  /** Constant arrays the program reads by index. */
  consts: (Float32Array | Int32Array)[];
  arenaWords: number;
  /** Threads for this call (0 or absent: the plan's). */
  threads?: number;
  /** Copied into the arena before the program runs (int64 narrowed to int32); inputSlots holds [offset, count] pairs. */
  inputs: (Float32Array | Int32Array | BigInt64Array)[];
  inputSlots: Int32Array;
  /** Filled from the arena after it runs; outputSlots holds [offset, count] pairs. */
  outputs: (Float32Array | Int32Array)[];
  outputSlots: Int32Array;
}
export declare class NativePlan {
  constructor(description: NativePlanDescription);
  /** Returns the CPU milliseconds the calling thread spent on the program. */
  run(call: NativePlanCall): number;
  /** The same on the runner threads (the inputs are copied before it returns); resolves to the CPU milliseconds it took there. */
  runAsync(call: NativePlanCall): Promise<number>;
  dispose(): void;
  readonly packedBytes: number;
}

export interface Binding {
  NativeRnn: typeof NativeRnn;
  referenceForward(spec: NativeSpec, weights: NativeWeights, inputs: NativeInputs): NativeOutputs;
  backendInfo(): NativeBackendInfo;
  setIsa(name: string): boolean;
  /** Use vdpbf16ps for bf16 weights (true) or the exact emulated kernel (false); false when unsupported. */
  setBf16Native(on: boolean): boolean;
  /**
   * GFLOP/s of an FMA loop on `threads` threads with the active kernels: the machine's peak; with
   * bf16 true, that of the active bf16 kernel (vdpbf16ps where it runs).
   */
  fmaPeak(threads: number, bf16?: boolean): number;
  // CUDA (present in every build; see lib/cuda.ts):
  NativeCudaRnn: typeof NativeCudaRnn;
  cudaInfo(): NativeCudaInfo;
  /** The recurrent kernel of later CUDA calls: 'auto', 'persistent' or 'step'; false for another name. */
  setCudaRecurrent(name: string): boolean;
  NativePlan: typeof NativePlan;
  // Training (see lib/train/):
  NativeRnnTrainer: typeof NativeRnnTrainer;
  /** Row-major C[M,N] = alpha * op(A) * op(B) + beta * C, op(X) = Xᵀ when trans*. A is [M,K] (or [K,M] when transA), B is [K,N] (or [N,K] when transB). Threads on the built-in pool. */
  /**
   * One Adam step of w in place (native/cpu/optimizer.h), over all of w or over `rows` (rows of
   * rowSize elements): c1 = 1 - beta1, c2 = 1 - beta2, alpha the bias-corrected rate, decay AdamW's
   * lr * weightDecay (0 for Adam), scale the gradient scale.
   */
  adamUpdate(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, rows: Int32Array | null, rowSize: number,
             scale: number, decay: number, c1: number, c2: number, alpha: number, eps: number): void;
  /** out[i, :] = table[ids[i], :], rows of d floats (native/cpu/embedding.h). */
  embeddingGather(table: Float32Array, ids: Int32Array, d: number, out: Float32Array): void;
  /** grad[ids[i], :] += dy[i, :], in order of i. */
  embeddingScatterAdd(grad: Float32Array, ids: Int32Array, dy: Float32Array, d: number): void;
  gemm(args: { transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number;
               A: Float32Array; B: Float32Array; C: Float32Array; threads: number }): void;
}
