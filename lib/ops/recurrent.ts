// What GruOp, LstmOp and RnnOp share: the ONNX weight and input checks, the native spec, and
// run / runAsync / dispose over prepacked weights. Arithmetic happens in native code only.
import type { NativeCudaRnn, NativeInputs, NativeOutputs, NativeRnn, NativeSpec, NativeWeights } from '../../binding';
import { rangeError, typeError } from '../errors';
import { MAX_ARRAY_BYTES, availableMemory, claim } from '../memory';
import { binding } from '../native';
import { Tensor, type TensorLike, expectDims, expectTensor } from '../tensor';
import { type Direction, direction as parseDirection, finite, flag, layout as parseLayout, object, oneOf, positiveInt } from '../validate';
import { resolveActivations } from './activations';
import { createCudaOp } from './cuda';
import { type CellInfo, type Device, type PreparedOp, nativeSpec, parseDevice } from './spec';

export type { Direction } from '../validate';
export type { CellInfo, PreparedOp } from './spec';

const MAX_LENGTH = MAX_ARRAY_BYTES;

export type OutputName = 'Y' | 'Y_h' | 'Y_c';

/** Attributes every recurrent operator takes (ONNX names in camelCase). */
export interface RecurrentAttributes {
  /** Must match the weights when given; inferred from R otherwise. */
  hiddenSize?: number;
  direction?: Direction;
  /** 0: [seq, batch, feature] (ONNX default); 1: [batch, seq, feature]. */
  layout?: 0 | 1;
  /** Bounds every gate's pre-activation to [-clip, clip]. */
  clip?: number;
  activations?: string[];
  activationAlpha?: number[];
  activationBeta?: number[];
  /** Threads per call; default: every hardware thread. */
  threads?: number;
  /**
   * 'bf16' stores W and R as bfloat16 (half the bytes; sums stay fp32): faster where weights
   * stream from memory, at a relative error of about 2e-3 (docs/operators.md). Default 'fp32'.
   */
  precision?: 'fp32' | 'bf16';
  /**
   * 'cuda' runs on an NVIDIA GPU: needs a build with GATEDRNN_CUDA=ON (docs/cuda.md), GRU or
   * LSTM, fp32 and the default activations; `threads` does not apply. Default 'cpu'.
   */
  device?: Device;
}

export interface RecurrentWeights {
  W: TensorLike;
  R: TensorLike;
  B?: TensorLike | null;
}

export interface RecurrentInputs {
  X: TensorLike;
  /** int32 (or int64) [batch]; each in [0, seq]. Steps past a sequence's end give zeros in Y. */
  sequenceLens?: TensorLike | null;
  initialH?: TensorLike | null;
}

export interface RunOptions<Name extends OutputName = OutputName> {
  /** Outputs to compute; default all. The result holds exactly these. */
  outputs?: readonly Name[];
}

export type FloatTensor = Tensor<'float32'>;

/** The most threads one call may ask for: each thread gets its own workspace. */
export const MAX_THREADS = 1024;

export function prepareOp(
  info: CellInfo,
  weights: RecurrentWeights & { P?: TensorLike | null },
  attrs: RecurrentAttributes & { linearBeforeReset?: unknown; inputForget?: unknown },
): PreparedOp {
  const where = `new ${info.opName}`;
  object(where, 'weights', weights, 'an object { W, R, B }');
  object(where, 'attributes', attrs, 'an object');
  const direction = parseDirection(where, attrs.direction);
  const D = direction === 'bidirectional' ? 2 : 1;
  const G = info.gates;
  const layout = parseLayout(where, attrs.layout);

  const R = expectTensor(where, 'R', weights.R, 'float32');
  if (R.dims.length !== 3) throw rangeError(where, 'R', 'rank 3 [num_directions, gates*hidden_size, hidden_size]', `rank ${R.dims.length}`);
  const H = R.dims[2];
  if (H < 1) throw rangeError(where, 'hidden_size', 'at least 1', String(H));
  if (attrs.hiddenSize !== undefined) {
    positiveInt(where, 'hiddenSize', attrs.hiddenSize);
    if (attrs.hiddenSize !== H) {
      throw rangeError(where, 'hiddenSize', `the hidden size of R (R.dims[2] = ${H})`, String(attrs.hiddenSize));
    }
  }
  expectDims(where, 'R', R.dims, [D, G * H, H], `num_directions=${D}, ${G}*hidden_size, hidden_size`);
  const W = expectTensor(where, 'W', weights.W, 'float32');
  if (W.dims.length !== 3 || W.dims[2] < 1) {
    throw rangeError(where, 'W.dims', `[${D}, ${G * H}, input_size >= 1]`, `[${W.dims.join(', ')}]`);
  }
  expectDims(where, 'W', W.dims, [D, G * H, -1], `num_directions=${D}, ${G}*hidden_size, input_size`);
  const I = W.dims[2];
  let B: Float32Array | null = null;
  if (weights.B != null) {
    const t = expectTensor(where, 'B', weights.B, 'float32');
    expectDims(where, 'B', t.dims, [D, 2 * G * H], `num_directions=${D}, 2*${G}*hidden_size`);
    B = t.data;
  }
  let P: Float32Array | null = null;
  if (weights.P != null) {
    if (info.cell !== 2) throw typeError(where, 'P', 'absent (peepholes exist only in LSTM)', weights.P);
    const t = expectTensor(where, 'P', weights.P, 'float32');
    expectDims(where, 'P', t.dims, [D, 3 * H], `num_directions=${D}, 3*hidden_size`);
    P = t.data;
  }

  let clip: number | undefined;
  if (attrs.clip !== undefined) {
    // Infinity is no clip at all.
    if (attrs.clip !== Infinity) clip = finite(where, 'clip', attrs.clip, Number.MIN_VALUE, Infinity, 'a positive number');
  }
  const threads = attrs.threads === undefined ? 0 : positiveInt(where, 'threads', attrs.threads, MAX_THREADS);
  const precision =
    attrs.precision === undefined ? 'fp32' : oneOf(where, 'precision', attrs.precision, ['fp32', 'bf16'] as const, "'fp32' or 'bf16'");
  const acts = resolveActivations(where, attrs.activations, attrs.activationAlpha, attrs.activationBeta, info.defaultActivations, D);
  const device = parseDevice(where, attrs.device);

  const spec = nativeSpec({
    cell: info.cell,
    hiddenSize: H,
    inputSize: I,
    direction,
    layout,
    linearBeforeReset: flag(where, 'linearBeforeReset', attrs.linearBeforeReset),
    inputForget: flag(where, 'inputForget', attrs.inputForget),
    bf16Weights: precision === 'bf16',
    clip,
    acts,
  });
  return { info, spec, weights: { W: W.data, R: R.data, B, P }, threads, device };
}

/** Checks one call's inputs against the operator and returns the native form and output dims. */
export function prepareInputs(
  op: PreparedOp,
  method: string,
  inputs: RecurrentInputs & { initialC?: TensorLike | null },
  options: RunOptions | undefined,
): { native: NativeInputs; dims: Record<OutputName, number[]> } {
  const where = `${op.info.opName}.${method}`;
  const { spec } = op;
  if (inputs === null || typeof inputs !== 'object') throw typeError(where, 'inputs', 'an object { X, ... }', inputs);
  const X = expectTensor(where, 'X', inputs.X, 'float32');
  const layoutName = spec.layout === 0 ? 'seq_length, batch_size, input_size' : 'batch_size, seq_length, input_size';
  if (X.dims.length !== 3) throw rangeError(where, 'X', `rank 3 [${layoutName}]`, `rank ${X.dims.length} [${X.dims.join(', ')}]`);
  const [T, B] = spec.layout === 0 ? [X.dims[0], X.dims[1]] : [X.dims[1], X.dims[0]];
  const D = spec.numDirections;
  const H = spec.hiddenSize;
  if (T < 1 || B < 1) throw rangeError(where, 'X.dims', `non-zero seq_length and batch_size [${layoutName}]`, `[${X.dims.join(', ')}]`);
  if (X.dims[2] !== spec.inputSize) {
    throw rangeError(where, 'X.dims[2]', `input_size = ${spec.inputSize} (from W)`, String(X.dims[2]));
  }

  let sequenceLens: Int32Array | null = null;
  if (inputs.sequenceLens != null) {
    const t = inputs.sequenceLens;
    const lens = t.type === 'int64' ? expectTensor(where, 'sequenceLens', t, 'int64') : expectTensor(where, 'sequenceLens', t, 'int32');
    expectDims(where, 'sequenceLens', lens.dims, [B], 'batch_size');
    // A copy, checked and then handed on: the caller's array may sit in a SharedArrayBuffer that
    // another thread rewrites while this call runs.
    const original = lens.type === 'int32' ? Int32Array.from(lens.data as Int32Array) : BigInt64Array.from(lens.data as BigInt64Array);
    sequenceLens = original instanceof Int32Array ? original : Int32Array.from(original, (v) => (v < 0n || v > BigInt(T) ? -1 : Number(v)));
    const bad = sequenceLens.findIndex((v) => v < 0 || v > T);
    if (bad >= 0) {
      const shown = String(original[bad]);
      throw rangeError(where, `sequenceLens[${bad}]`, `in [0, ${T}] (seq_length)`, shown);
    }
  }
  const stateDims = spec.layout === 0 ? [D, B, H] : [B, D, H];
  const stateMeaning = spec.layout === 0 ? 'num_directions, batch_size, hidden_size' : 'batch_size, num_directions, hidden_size';
  const state = (name: 'initialH' | 'initialC'): Float32Array | null => {
    const value = inputs[name];
    if (value == null) return null;
    const t = expectTensor(where, name, value, 'float32');
    expectDims(where, name, t.dims, stateDims, stateMeaning);
    return t.data;
  };
  const initialH = state('initialH');
  if (inputs.initialC != null && spec.cell !== 2)
    throw typeError(where, 'initialC', 'absent (only LSTM has a cell state)', inputs.initialC);
  const initialC = state('initialC');

  const all: OutputName[] = spec.cell === 2 ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const wanted = options?.outputs ?? all;
  if (!Array.isArray(wanted) || !wanted.every((n) => all.includes(n))) {
    throw typeError(where, 'options.outputs', `an array of ${all.map((n) => `'${n}'`).join(', ')}`, wanted);
  }
  const yDims = spec.layout === 0 ? [T, D, B, H] : [B, T, D, H];
  if (wanted.includes('Y')) checkOutputSize(where, yDims);
  // The outputs count against the run's budget (a session's run, else this call's own).
  const stateBytes = D * B * H * 4;
  claim(
    where,
    (wanted.includes('Y') ? T * stateBytes : 0) + (wanted.includes('Y_h') ? stateBytes : 0) + (wanted.includes('Y_c') ? stateBytes : 0),
  );
  return {
    native: {
      X: X.data,
      seqLength: T,
      batchSize: B,
      sequenceLens,
      initialH,
      initialC,
      wantY: wanted.includes('Y'),
      wantYh: wanted.includes('Y_h'),
      wantYc: wanted.includes('Y_c'),
    },
    dims: { Y: yDims, Y_h: stateDims, Y_c: stateDims },
  };
}

/**
 * Y can be far larger than X (H >> I): refuse before allocating when it cannot be held, rather
 * than failing after the work or letting the OS kill the process for memory.
 */
function checkOutputSize(where: string, dims: number[]): void {
  const bytes = dims.reduce((a, b) => a * b, 1) * 4;
  const limit = Math.min(MAX_LENGTH, availableMemory().bytes);
  if (bytes > limit) {
    const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
    throw rangeError(
      where,
      'output Y',
      `at most ${gib(limit)} (${bytes > MAX_LENGTH ? 'the largest array Node can hold' : "this machine's memory"}); ask for outputs: ['Y_h'] to skip Y`,
      `dims [${dims.join(', ')}] = ${gib(bytes)}`,
    );
  }
}

/** Wraps native outputs as tensors with their dims. */
export function wrapOutputs(out: NativeOutputs, dims: Record<OutputName, number[]>): Partial<Record<OutputName, FloatTensor>> {
  const result: Partial<Record<OutputName, FloatTensor>> = {};
  for (const name of ['Y', 'Y_h', 'Y_c'] as const) {
    const data = out[name];
    if (data) result[name] = new Tensor('float32', data, dims[name]);
  }
  return result;
}

/** What a call returns: a float32 tensor for each output asked for (by default, every one). */
export type RecurrentOutputs<Name extends OutputName> = { [K in Name]: FloatTensor };

/** The base of GruOp, LstmOp and RnnOp: prepacked weights and the calls over them. */
export abstract class RecurrentOp<Inputs extends RecurrentInputs, Names extends OutputName> {
  protected readonly prepared: PreparedOp;
  private native: NativeRnn | NativeCudaRnn | null;

  protected constructor(
    info: CellInfo,
    weights: RecurrentWeights & { P?: TensorLike | null },
    attrs: RecurrentAttributes & { linearBeforeReset?: unknown; inputForget?: unknown },
  ) {
    this.prepared = prepareOp(info, weights, attrs);
    const { NativeRnn } = binding();
    this.native =
      this.prepared.device === 'cuda'
        ? createCudaOp(this.prepared)
        : new NativeRnn(this.prepared.spec, this.prepared.weights, this.prepared.threads);
  }

  get hiddenSize(): number {
    return this.prepared.spec.hiddenSize;
  }
  get inputSize(): number {
    return this.prepared.spec.inputSize;
  }
  get numDirections(): number {
    return this.prepared.spec.numDirections;
  }
  /** The validated attributes and the weights as given (ONNX layouts): what exportOnnx writes. */
  get definition(): { readonly info: CellInfo; readonly spec: NativeSpec; readonly weights: NativeWeights } {
    return this.prepared;
  }
  /** Bytes of native memory the packed weights hold. */
  get packedBytes(): number {
    return this.native?.packedBytes ?? 0;
  }

  private live(method: string): NativeRnn | NativeCudaRnn {
    if (!this.native) throw new Error(`${this.prepared.info.opName}.${method}: this operator has been disposed`);
    return this.native;
  }

  /** Runs synchronously on the calling thread (plus the op's worker threads). */
  run<Name extends OutputName = Names>(inputs: Inputs, options?: RunOptions<Name>): RecurrentOutputs<Name & Names> {
    const native = this.live('run');
    const { native: args, dims } = prepareInputs(this.prepared, 'run', inputs, options);
    return wrapOutputs(native.run(args), dims) as RecurrentOutputs<Name & Names>;
  }

  /**
   * Runs on the addon's runner threads (not libuv's pool); the event loop keeps turning meanwhile.
   * The inputs are copied first, so the caller may change them as soon as this returns.
   */
  async runAsync<Name extends OutputName = Names>(inputs: Inputs, options?: RunOptions<Name>): Promise<RecurrentOutputs<Name & Names>> {
    const native = this.live('runAsync');
    const { native: args, dims } = prepareInputs(this.prepared, 'runAsync', inputs, options);
    return wrapOutputs(await native.runAsync(args), dims) as RecurrentOutputs<Name & Names>;
  }

  /** Frees the packed weights now (calls in flight finish first); later calls throw. */
  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }
}
