// GRU, LSTM and plain (tanh) RNN layers with Keras's arguments over the native trainer.
// Parameters are the ONNX operator's inputs (W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H]; gates
// z r h, i o f c, and the RNN's one), so a layer exports as one ONNX node; data is batch-major
// (ONNX layout 1), as Keras holds it.
import { rangeError } from '../errors';
import { checkInitializer, type InitializerName, initMatrix } from '../train/initializers';
import type { Rng } from '../rng';
import { positiveInt } from '../validate';
import { RnnTrainer, type TrainInputs } from '../ops/trainer';
import { type Activation, Layer, type LayerArgs, type LayerConfig, makeParam, option, isBool, requireArgs, type RunContext } from './layer';

export interface RecurrentArgs extends LayerArgs {
  units: number;
  returnSequences?: boolean;
  kernelInitializer?: InitializerName;
  recurrentInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  /**
   * Keras's stateful: each batch's final states become the next batch's initial states, row by
   * row, so row b of consecutive batches reads one long sequence in chunks (truncated BPTT: no
   * gradient crosses a chunk boundary). The batch size is then fixed until resetStates().
   */
  stateful?: boolean;
}

export interface GruArgs extends RecurrentArgs {
  /** Keras reset_after (default true): ONNX linear_before_reset = 1, PyTorch's form. */
  resetAfter?: boolean;
}

export interface LstmArgs extends RecurrentArgs {
  /** Add 1 to the forget gate's bias at initialization (Keras default true). */
  unitForgetBias?: boolean;
}

export interface SimpleRnnArgs extends RecurrentArgs {
  /** 'tanh' only (Keras's default): the native trainer and the ONNX RNN node's default. */
  activation?: 'tanh';
  /** Default true; false: no B parameter (the ONNX node has no B input). */
  useBias?: boolean;
  /**
   * Default false; true reads each sequence from its last step to its first (ONNX direction
   * 'reverse'). With returnSequences, output step t is the state after reading steps T-1 down
   * to t: aligned with the input, where Keras returns that sequence reversed in time.
   */
  goBackwards?: boolean;
  /** Only false: a sequential model passes one output on (use returnSequences for every step). */
  returnState?: false;
}

export abstract class Recurrent extends Layer {
  abstract readonly cell: 'GRU' | 'LSTM' | 'RNN';
  readonly units: number;
  readonly returnSequences: boolean;
  readonly kernelInitializer: InitializerName;
  readonly recurrentInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly stateful: boolean;
  /** 2 inside a Bidirectional wrapper: one ONNX bidirectional node. */
  directions: 1 | 2 = 1;
  /** False: parameters W and R only. */
  readonly useBias: boolean;
  /** ONNX direction 'reverse' (one direction only). */
  readonly goBackwards: boolean;
  private trainer: RnnTrainer | null = null;
  private lastInputs: TrainInputs | null = null;
  private saved: Float32Array | null = null;
  /** The carried states of a stateful layer, layout 1 ([B, D, H]); null after resetStates(). */
  private states: { h: Float32Array; c: Float32Array | null; batch: number } | null = null;

  /** `directionArgs`: the layer takes Keras's useBias and goBackwards (otherwise true and false). */
  constructor(args: RecurrentArgs & { useBias?: boolean; goBackwards?: boolean }, where: string, directionArgs = false) {
    requireArgs(where, args);
    super(args, where);
    this.useBias = directionArgs ? option(where, args, 'useBias', true, isBool, 'a boolean') : true;
    this.goBackwards = directionArgs ? option(where, args, 'goBackwards', false, isBool, 'a boolean') : false;
    positiveInt(where, 'units', args.units);
    this.units = args.units;
    this.returnSequences = option(where, args, 'returnSequences', false, isBool, 'a boolean');
    this.kernelInitializer = checkInitializer(where, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.recurrentInitializer = checkInitializer(where, 'recurrentInitializer', args.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = checkInitializer(where, 'biasInitializer', args.biasInitializer ?? 'zeros');
    this.stateful = option(where, args, 'stateful', false, isBool, 'a boolean');
  }

  /** Forgets the carried states: the next batch starts from zeros (and may have any size). */
  resetStates(): void {
    this.states = null;
  }

  get gates(): number {
    return this.cell === 'GRU' ? 3 : this.cell === 'LSTM' ? 4 : 1;
  }

  protected abstract linearBeforeReset(): boolean;
  protected abstract forgetBias(): number;

  protected initialize(inputShape: number[], rng: Rng): number[] {
    if (inputShape.length !== 2 || inputShape[1] < 1) {
      throw rangeError(this.label, 'input shape', '[steps, features] (inputs [N, T, F])', `[${inputShape.join(', ')}]`);
    }
    const [t, i] = inputShape;
    const h = this.units;
    const gh = this.gates * h;
    const d = this.directions;
    const W = makeParam('W', [d, gh, i]);
    const R = makeParam('R', [d, gh, h]);
    const B = this.useBias ? makeParam('B', [d, 2 * gh]) : null;
    for (let dir = 0; dir < d; dir++) {
      initMatrix(this.kernelInitializer, gh, i, rng, (r, c, v) => (W.value[(dir * gh + r) * i + c] = v));
      initMatrix(this.recurrentInitializer, gh, h, rng, (r, c, v) => (R.value[(dir * gh + r) * h + c] = v));
      if (!B) continue;
      initMatrix(this.biasInitializer, 1, 2 * gh, rng, (_r, c, v) => (B.value[dir * 2 * gh + c] = v));
      // LSTM gates are i o f c: the forget gate is the third block of the input bias.
      const fb = this.forgetBias();
      if (fb !== 0) for (let k = 0; k < h; k++) B.value[dir * 2 * gh + 2 * h + k] += fb;
    }
    this.params = B ? [W, R, B] : [W, R];
    return this.returnSequences ? [t, d * h] : [d * h];
  }

  private native(): RnnTrainer {
    this.trainer ??= new RnnTrainer({
      cell: this.cell,
      hiddenSize: this.units,
      inputSize: this.inputShape![1],
      direction: this.directions === 2 ? 'bidirectional' : this.goBackwards ? 'reverse' : 'forward',
      linearBeforeReset: this.linearBeforeReset(),
      layout: 1,
      threads: this.threads,
    });
    return this.trainer;
  }

  private weights(): { W: Float32Array; R: Float32Array; B: Float32Array | null } {
    return { W: this.params[0].value, R: this.params[1].value, B: this.useBias ? this.params[2].value : null };
  }

  async forward(x: Activation, ctx: RunContext): Promise<Activation> {
    this.checkInput(x, 'float32');
    const [n, t] = x.dims;
    const inputs: TrainInputs = { X: x.data as Float32Array, seqLength: t, batchSize: n, sequenceLens: x.lengths ?? null };
    if (this.stateful && this.states) {
      if (this.states.batch !== n) {
        throw rangeError(
          this.label,
          'batch size',
          `${this.states.batch} rows, as the batch whose states it carries (stateful: call resetStates() before changing it)`,
          String(n),
        );
      }
      inputs.initialH = this.states.h;
      inputs.initialC = this.states.c;
    }
    const outputs: ('Y' | 'Y_h' | 'Y_c')[] = [this.returnSequences ? 'Y' : 'Y_h'];
    if (this.stateful) outputs.push(...(this.returnSequences ? ['Y_h' as const] : []), ...(this.cell === 'LSTM' ? ['Y_c' as const] : []));
    const out = await this.native().forwardAsync(this.weights(), inputs, { outputs, savedInto: this.reuseSaved(ctx, n, t) });
    if (ctx.training) {
      this.lastInputs = inputs;
      this.saved = out.saved;
    }
    if (this.stateful) this.states = { h: out.Y_h!, c: out.Y_c ?? null, batch: n };
    const width = this.directions * this.units;
    if (this.returnSequences) return { data: out.Y!, dims: [n, t, width], lengths: x.lengths };
    return { data: out.Y_h!, dims: [n, width] };
  }

  /**
   * For a training forward of n rows and t steps: the previous training forward's `saved` when its
   * inputs had those dims, taken from the layer (a call that starts before this one returns gets none, so
   * no two calls write one array), else null (the trainer allocates one). Only the layer holds it.
   */
  private reuseSaved(ctx: RunContext, n: number, t: number): Float32Array | null {
    const last = this.lastInputs;
    if (!ctx.training || this.saved === null || last?.batchSize !== n || last.seqLength !== t) return null;
    const saved = this.saved;
    this.saved = null;
    this.lastInputs = null;
    return saved;
  }

  async backward(dy: Float32Array): Promise<Float32Array> {
    return (await this.backwardWithStates(this.returnSequences ? dy : null, this.returnSequences ? null : dy, null)).dX;
  }

  /**
   * Every step's output Y [N, T, D*H] and the final states h and, for an LSTM, c ([N, D, H]),
   * starting from `initial` states ([N, D, H]; zeros when absent), whatever returnSequences says:
   * what an encoder hands its decoder. Not for stateful layers, whose states the layer carries.
   */
  async forwardWithStates(
    x: Activation,
    ctx: RunContext,
    initial: { h: Float32Array | null; c: Float32Array | null } | null = null,
  ): Promise<{ y: Activation; h: Float32Array; c: Float32Array | null }> {
    if (this.stateful)
      throw rangeError(
        this.label,
        'initial states',
        'a layer without stateful (a stateful layer carries its own states)',
        'stateful: true',
      );
    this.checkInput(x, 'float32');
    const [n, t] = x.dims;
    const lstm = this.cell === 'LSTM';
    const inputs: TrainInputs = { X: x.data as Float32Array, seqLength: t, batchSize: n, sequenceLens: x.lengths ?? null };
    inputs.initialH = initial?.h ?? null;
    inputs.initialC = lstm ? (initial?.c ?? null) : null;
    const out = await this.native().forwardAsync(this.weights(), inputs, {
      outputs: lstm ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'],
      savedInto: this.reuseSaved(ctx, n, t),
    });
    if (ctx.training) {
      this.lastInputs = inputs;
      this.saved = out.saved;
    }
    return { y: { data: out.Y!, dims: [n, t, this.directions * this.units], lengths: x.lengths }, h: out.Y_h!, c: lstm ? out.Y_c! : null };
  }

  /**
   * Gradients of the last training forward from those of its outputs (dY [N, T, D*H], dH and dC
   * [N, D, H]; null counts as zeros): stores the parameters' gradients and returns dX and the
   * initial states' gradients (dC0 for an LSTM).
   */
  async backwardWithStates(
    dY: Float32Array | null,
    dH: Float32Array | null,
    dC: Float32Array | null,
  ): Promise<{ dX: Float32Array; dH0: Float32Array; dC0: Float32Array | null }> {
    const lstm = this.cell === 'LSTM';
    const g = await this.native().backwardAsync(this.weights(), this.lastInputs!, this.saved!, { dY, dY_h: dH, dY_c: lstm ? dC : null });
    this.params[0].grad.set(g.dW);
    this.params[1].grad.set(g.dR);
    if (this.useBias) this.params[2].grad.set(g.dB);
    return { dX: g.dX, dH0: g.dInitialH, dC0: lstm ? (g.dInitialC ?? null) : null };
  }

  dispose(): void {
    this.trainer?.dispose();
    this.trainer = null;
  }

  protected baseConfig(): LayerConfig {
    return {
      name: this.name,
      units: this.units,
      returnSequences: this.returnSequences,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      stateful: this.stateful,
    };
  }
}

export class Gru extends Recurrent {
  readonly className = 'GRU';
  readonly cell = 'GRU';
  readonly resetAfter: boolean;

  constructor(args: GruArgs) {
    super(args, 'layers.gru');
    this.resetAfter = option('layers.gru', args, 'resetAfter', true, isBool, 'a boolean');
  }

  protected linearBeforeReset(): boolean {
    return this.resetAfter;
  }

  protected forgetBias(): number {
    return 0;
  }

  getConfig(): LayerConfig {
    return { ...this.baseConfig(), resetAfter: this.resetAfter };
  }
}

export class Lstm extends Recurrent {
  readonly className = 'LSTM';
  readonly cell = 'LSTM';
  readonly unitForgetBias: boolean;

  constructor(args: LstmArgs) {
    super(args, 'layers.lstm');
    this.unitForgetBias = option('layers.lstm', args, 'unitForgetBias', true, isBool, 'a boolean');
  }

  protected linearBeforeReset(): boolean {
    return false;
  }

  protected forgetBias(): number {
    return this.unitForgetBias ? 1 : 0;
  }

  getConfig(): LayerConfig {
    return { ...this.baseConfig(), unitForgetBias: this.unitForgetBias };
  }
}

export class SimpleRnn extends Recurrent {
  readonly className = 'SimpleRNN';
  readonly cell = 'RNN';
  readonly activation = 'tanh';

  constructor(args: SimpleRnnArgs) {
    const where = 'layers.simpleRnn';
    super(args, where, true);
    if (args.activation !== undefined && args.activation !== 'tanh') {
      throw rangeError(
        where,
        'activation',
        "'tanh' (the only activation the native trainer and ONNX export support)",
        `'${String(args.activation)}'`,
      );
    }
    if (args.returnState !== undefined && args.returnState !== false) {
      throw rangeError(
        where,
        'returnState',
        'false (a sequential model passes one output on; returnSequences gives every step)',
        String(args.returnState),
      );
    }
  }

  protected linearBeforeReset(): boolean {
    return false;
  }

  protected forgetBias(): number {
    return 0;
  }

  getConfig(): LayerConfig {
    return { ...this.baseConfig(), activation: this.activation, useBias: this.useBias, goBackwards: this.goBackwards };
  }
}
