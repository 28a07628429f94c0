// Training-mode GRU, LSTM and plain (tanh) RNN over the native BPTT kernels: a forward pass that also returns the
// activations backward needs (`saved`), and the backward pass that turns output gradients into
// gradients of W, R, B, X and the initial states. Arrays are flat Float32Arrays in ONNX layouts;
// this file checks every size so that the native side only re-checks.
import type { NativeInputs, NativeRnnTrainer, NativeSpec, NativeWeights } from '../../binding';
import { rangeError, typeError } from '../errors';
import { binding } from '../native';
import { type Direction, direction as parseDirection, flag, layout as parseLayout, object, oneOf, positiveInt } from '../validate';
import { resolveActivations } from './activations';
import { GRU_INFO } from './gru';
import { LSTM_INFO } from './lstm';
import { RNN_INFO } from './rnn';
import { type CellInfo, nativeSpec } from './spec';

export type TrainCell = 'GRU' | 'LSTM' | 'RNN';
export type TrainDirection = Direction;
export type TrainOutputName = 'Y' | 'Y_h' | 'Y_c';

export interface RnnTrainerAttributes {
  cell: TrainCell;
  hiddenSize: number;
  inputSize: number;
  /** Default 'forward'. */
  direction?: TrainDirection;
  /** GRU only: 1 (or true) is PyTorch's / Keras reset_after form. Default 0. */
  linearBeforeReset?: 0 | 1 | boolean;
  /** 0: X [T, B, I], Y [T, D, B, H], states [D, B, H]; 1: X [B, T, I], Y [B, T, D, H], states [B, D, H]. Default 0. */
  layout?: 0 | 1;
  /** Threads per call; default every hardware thread. */
  threads?: number;
}

/** W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] (Wb then Rb; absent: zeros), gates GRU zrh, LSTM iofc, RNN one (G = 1). */
export interface TrainWeights {
  W: Float32Array;
  R: Float32Array;
  B?: Float32Array | null;
}

export interface TrainInputs {
  X: Float32Array;
  seqLength: number;
  batchSize: number;
  /** [B], each in [0, seqLength]; steps past a sequence's end give zeros in Y and no gradient. */
  sequenceLens?: Int32Array | null;
  initialH?: Float32Array | null;
  /** LSTM only. */
  initialC?: Float32Array | null;
}

export interface TrainForwardOptions {
  /** Outputs to return; default all (Y, Y_h and, for LSTM, Y_c). */
  outputs?: readonly TrainOutputName[];
  /**
   * The `saved` of an earlier forward of this trainer with the same seqLength and batchSize, no
   * longer needed: written again and returned as this call's `saved` instead of a new array, so a
   * training loop does not fault in fresh memory on every step.
   */
  savedInto?: Float32Array | null;
}

export interface TrainForwardResult {
  Y?: Float32Array;
  Y_h?: Float32Array;
  Y_c?: Float32Array;
  /** What backward needs; pass it back unchanged with the same weights and inputs. */
  saved: Float32Array;
}

/** dL/dY, dL/dY_h, dL/dY_c (LSTM); an absent one counts as zeros. */
export interface TrainOutputGradients {
  dY?: Float32Array | null;
  dY_h?: Float32Array | null;
  dY_c?: Float32Array | null;
}

export interface TrainGradients {
  dX: Float32Array;
  dW: Float32Array;
  dR: Float32Array;
  /** Always [D, 2*G*H], also when B was absent. */
  dB: Float32Array;
  /** Shaped like initialH; also returned when initialH was absent (the gradient at zeros). */
  dInitialH: Float32Array;
  /** LSTM only. */
  dInitialC?: Float32Array;
}

function isF32(v: unknown): v is Float32Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Float32Array]';
}

function isI32(v: unknown): v is Int32Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Int32Array]';
}

function floats(where: string, name: string, value: unknown, length: number, shape: string, optional: boolean): Float32Array | null {
  if (optional && value == null) return null;
  if (!isF32(value)) throw typeError(where, name, optional ? 'a Float32Array, null or undefined' : 'a Float32Array', value);
  if (value.length !== length) throw rangeError(where, `${name}.length`, `${length} (${shape})`, String(value.length));
  return value;
}

export class RnnTrainer {
  readonly cell: TrainCell;
  readonly hiddenSize: number;
  readonly inputSize: number;
  readonly numDirections: 1 | 2;
  readonly layout: 0 | 1;
  /** Gates per direction: GRU 3, LSTM 4, RNN 1. */
  readonly gates: number;
  private native: NativeRnnTrainer | null;
  private readonly spec: NativeSpec;

  constructor(attrs: RnnTrainerAttributes) {
    const where = 'new RnnTrainer';
    object(where, 'attributes', attrs, 'an object');
    const cell = oneOf(where, 'cell', attrs.cell, ['GRU', 'LSTM', 'RNN'] as const, "'GRU', 'LSTM' or 'RNN'");
    const H = positiveInt(where, 'hiddenSize', attrs.hiddenSize);
    const I = positiveInt(where, 'inputSize', attrs.inputSize);
    const direction = parseDirection(where, attrs.direction);
    const layout = parseLayout(where, attrs.layout);
    const lbr = flag(where, 'linearBeforeReset', attrs.linearBeforeReset);
    if (lbr && cell !== 'GRU') throw typeError(where, 'linearBeforeReset', `absent or 0 for an ${cell}`, attrs.linearBeforeReset);
    const threads = attrs.threads === undefined ? 0 : positiveInt(where, 'threads', attrs.threads);
    const info: CellInfo = cell === 'GRU' ? GRU_INFO : cell === 'LSTM' ? LSTM_INFO : RNN_INFO;
    this.cell = cell;
    this.hiddenSize = H;
    this.inputSize = I;
    this.numDirections = direction === 'bidirectional' ? 2 : 1;
    this.layout = layout;
    this.gates = info.gates;
    // The training kernels run the cell's default activations only.
    const acts = resolveActivations(where, undefined, undefined, undefined, info.defaultActivations, this.numDirections);
    this.spec = nativeSpec({
      cell: info.cell,
      hiddenSize: H,
      inputSize: I,
      direction,
      layout,
      linearBeforeReset: lbr,
      inputForget: false,
      bf16Weights: false,
      acts,
    });
    this.native = new (binding().NativeRnnTrainer)(this.spec, threads);
  }

  forward(weights: TrainWeights, inputs: TrainInputs, options?: TrainForwardOptions): TrainForwardResult {
    const [w, x] = this.prepare('forward', weights, inputs, options);
    return this.live('forward').forward(w, x, this.savedInto('forward', options));
  }

  /** forward on one of the addon's runner threads: the event loop stays free. */
  forwardAsync(weights: TrainWeights, inputs: TrainInputs, options?: TrainForwardOptions): Promise<TrainForwardResult> {
    try {
      const [w, x] = this.prepare('forwardAsync', weights, inputs, options);
      return this.live('forwardAsync').forwardAsync(w, x, this.savedInto('forwardAsync', options));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  backward(weights: TrainWeights, inputs: TrainInputs, saved: Float32Array, grads: TrainOutputGradients): TrainGradients {
    const [w, x, g] = this.prepareBackward('backward', weights, inputs, saved, grads);
    return this.live('backward').backward(w, x, saved, g) as TrainGradients;
  }

  /** backward on one of the addon's runner threads: the event loop stays free. */
  backwardAsync(weights: TrainWeights, inputs: TrainInputs, saved: Float32Array, grads: TrainOutputGradients): Promise<TrainGradients> {
    try {
      const [w, x, g] = this.prepareBackward('backwardAsync', weights, inputs, saved, grads);
      return this.live('backwardAsync').backwardAsync(w, x, saved, g) as Promise<TrainGradients>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  dispose(): void {
    this.native?.dispose();
    this.native = null;
  }

  private live(method: string): NativeRnnTrainer {
    if (!this.native) throw new Error(`RnnTrainer.${method}: this trainer has been disposed`);
    return this.native;
  }

  private prepare(
    method: string,
    weights: TrainWeights,
    inputs: TrainInputs,
    options?: TrainForwardOptions,
  ): [NativeWeights, NativeInputs] {
    const where = `RnnTrainer.${method}`;
    const D = this.numDirections,
      G = this.gates,
      H = this.hiddenSize,
      I = this.inputSize;
    if (weights === null || typeof weights !== 'object') throw typeError(where, 'weights', 'an object { W, R, B }', weights);
    if (inputs === null || typeof inputs !== 'object')
      throw typeError(where, 'inputs', 'an object { X, seqLength, batchSize, ... }', inputs);
    const W = floats(where, 'W', weights.W, D * G * H * I, `[D, G*H, I] = [${D}, ${G * H}, ${I}]`, false)!;
    const R = floats(where, 'R', weights.R, D * G * H * H, `[D, G*H, H] = [${D}, ${G * H}, ${H}]`, false)!;
    const B = floats(where, 'B', weights.B, D * 2 * G * H, `[D, 2*G*H] = [${D}, ${2 * G * H}]`, true);
    const T = positiveInt(where, 'seqLength', inputs.seqLength);
    const N = positiveInt(where, 'batchSize', inputs.batchSize);
    const xShape = this.layout === 0 ? `[T, B, I] = [${T}, ${N}, ${I}]` : `[B, T, I] = [${N}, ${T}, ${I}]`;
    const X = floats(where, 'X', inputs.X, T * N * I, xShape, false)!;
    const initialH = floats(where, 'initialH', inputs.initialH, D * N * H, this.stateShape(N), true);
    const initialC = this.lstmState(where, 'initialC', inputs.initialC, N);
    let sequenceLens: Int32Array | null = null;
    if (inputs.sequenceLens != null) {
      if (!isI32(inputs.sequenceLens)) throw typeError(where, 'sequenceLens', 'an Int32Array, null or undefined', inputs.sequenceLens);
      sequenceLens = inputs.sequenceLens;
      if (sequenceLens.length !== N) throw rangeError(where, 'sequenceLens.length', `${N} (batchSize)`, String(sequenceLens.length));
      const bad = sequenceLens.findIndex((v) => v < 0 || v > T);
      if (bad >= 0) throw rangeError(where, `sequenceLens[${bad}]`, `in [0, ${T}] (seqLength)`, String(sequenceLens[bad]));
    }
    let wanted: readonly TrainOutputName[] = this.cell === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
    if (options?.outputs !== undefined) {
      if (!Array.isArray(options.outputs)) throw typeError(where, 'options.outputs', "an array of 'Y', 'Y_h', 'Y_c'", options.outputs);
      for (const o of options.outputs) {
        if (o !== 'Y' && o !== 'Y_h' && !(o === 'Y_c' && this.cell === 'LSTM')) {
          throw typeError(where, 'options.outputs', this.cell === 'LSTM' ? "'Y', 'Y_h' or 'Y_c' entries" : "'Y' or 'Y_h' entries", o);
        }
      }
      wanted = options.outputs;
    }
    return [
      { W, R, B },
      {
        X,
        seqLength: T,
        batchSize: N,
        sequenceLens,
        initialH,
        initialC,
        wantY: wanted.includes('Y'),
        wantYh: wanted.includes('Y_h'),
        wantYc: wanted.includes('Y_c'),
      },
    ];
  }

  private prepareBackward(
    method: string,
    weights: TrainWeights,
    inputs: TrainInputs,
    saved: Float32Array,
    grads: TrainOutputGradients,
  ): [NativeWeights, NativeInputs, TrainOutputGradients] {
    const where = `RnnTrainer.${method}`;
    const [w, x] = this.prepare(method, weights, inputs);
    if (!isF32(saved)) throw typeError(where, 'saved', 'the Float32Array that forward returned', saved);
    if (grads === null || typeof grads !== 'object') throw typeError(where, 'grads', 'an object { dY, dY_h, dY_c }', grads);
    const D = this.numDirections,
      H = this.hiddenSize,
      T = x.seqLength,
      N = x.batchSize;
    const yShape = this.layout === 0 ? `[T, D, B, H] = [${T}, ${D}, ${N}, ${H}]` : `[B, T, D, H] = [${N}, ${T}, ${D}, ${H}]`;
    const dY = floats(where, 'grads.dY', grads.dY, T * D * N * H, yShape, true);
    const dY_h = floats(where, 'grads.dY_h', grads.dY_h, D * N * H, this.stateShape(N), true);
    const dY_c = this.lstmState(where, 'grads.dY_c', grads.dY_c, N);
    return [w, x, { dY, dY_h, dY_c }];
  }

  /** options.savedInto, checked for its type (the native side checks its length against the shapes). */
  private savedInto(method: string, options?: TrainForwardOptions): Float32Array | null {
    const into = options?.savedInto;
    if (into == null) return null;
    if (!isF32(into)) throw typeError(`RnnTrainer.${method}`, 'options.savedInto', "an earlier forward's saved (a Float32Array)", into);
    return into;
  }

  /** The dims of a state ([D, B, H] or, in layout 1, [B, D, H]) for error messages. */
  private stateShape(N: number): string {
    const D = this.numDirections,
      H = this.hiddenSize;
    return this.layout === 0 ? `[D, B, H] = [${D}, ${N}, ${H}]` : `[B, D, H] = [${N}, ${D}, ${H}]`;
  }

  /** A cell-state array (or its gradient): checked for an LSTM, refused for a GRU or RNN. */
  private lstmState(where: string, name: string, value: Float32Array | null | undefined, N: number): Float32Array | null {
    if (this.cell === 'LSTM') return floats(where, name, value, this.numDirections * N * this.hiddenSize, this.stateShape(N), true);
    if (value != null) throw typeError(where, name, `absent for a ${this.cell === 'GRU' ? 'GRU' : 'plain RNN'}`, value);
    return null;
  }
}
