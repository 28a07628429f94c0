// Dense: y = f(x · kernel + bias) over the last axis ([N, F] or [N, T, F]). The kernel is stored
// [inputDim, units] as Keras stores it, which is also an ONNX Gemm/MatMul's B.
import { gemm } from '../ops/gemm';
import { checkInitializer, type InitializerName, initMatrix } from '../train/initializers';
import type { Rng } from '../rng';
import { positiveInt } from '../validate';
import { activate, activateBackward, type ActivationName, checkActivation } from './activations';
import {
  type Activation,
  Layer,
  type LayerArgs,
  type LayerConfig,
  makeParam,
  option,
  isBool,
  requireArgs,
  type RunContext,
  showShape,
} from './layer';
import { rangeError } from '../errors';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  private x: Float32Array | null = null;
  private z: Float32Array | null = null;
  private y: Float32Array | null = null;

  constructor(args: DenseArgs) {
    const where = 'layers.dense';
    requireArgs(where, args);
    super(args, where);
    positiveInt(where, 'units', args.units);
    this.units = args.units;
    this.activation = checkActivation(where, args.activation);
    this.useBias = option(where, args, 'useBias', true, isBool, 'a boolean');
    this.kernelInitializer = checkInitializer(where, 'kernelInitializer', args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(where, 'biasInitializer', args.biasInitializer ?? 'zeros');
  }

  protected initialize(inputShape: number[], rng: Rng): number[] {
    if (inputShape.length < 1 || inputShape[inputShape.length - 1] < 1) {
      throw rangeError(this.label, 'input shape', '[features] or [steps, features]', showShape(inputShape));
    }
    const fin = inputShape[inputShape.length - 1];
    const kernel = makeParam('kernel', [fin, this.units]);
    const u = this.units;
    // initMatrix sees (rows = fan out, cols = fan in) and this kernel is [fanIn, fanOut].
    initMatrix(this.kernelInitializer, u, fin, rng, (r, c, v) => (kernel.value[c * u + r] = v));
    this.params = [kernel];
    if (this.useBias) {
      const bias = makeParam('bias', [u]);
      initMatrix(this.biasInitializer, 1, u, rng, (_r, c, v) => (bias.value[c] = v));
      this.params.push(bias);
    }
    return [...inputShape.slice(0, -1), u];
  }

  async forward(x: Activation, _ctx: RunContext): Promise<Activation> {
    this.checkInput(x, 'float32');
    const xd = x.data as Float32Array;
    const fin = this.inputShape![this.inputShape!.length - 1];
    const rows = xd.length / fin;
    const u = this.units;
    const z = new Float32Array(rows * u);
    if (this.useBias) {
      const b = this.params[1].value;
      for (let r = 0; r < rows; r++) z.set(b, r * u);
    }
    gemm({ M: rows, N: u, K: fin, A: xd, B: this.params[0].value, beta: this.useBias ? 1 : 0, C: z, threads: this.threads });
    const y = this.activation === 'linear' ? z : new Float32Array(z.length);
    activate(this.activation, z, y, u);
    // Kept in inference too: a loss fused with the activation reads the logits.
    this.x = xd;
    this.z = z;
    this.y = y;
    return { data: y, dims: [...x.dims.slice(0, -1), u], lengths: x.lengths };
  }

  /** The last forward's pre-activation (logits for a softmax or sigmoid output). */
  get preactivation(): Float32Array | null {
    return this.z;
  }

  async backward(dy: Float32Array): Promise<Float32Array> {
    const dz = this.activation === 'linear' ? dy : Float32Array.from(dy);
    activateBackward(this.activation, this.z!, this.y!, dz, this.units);
    return this.backwardFromPreactivation(dz);
  }

  /** Backward from dLoss/dz (z = x·kernel + bias), for losses fused with this layer's activation. */
  async backwardFromPreactivation(dz: Float32Array): Promise<Float32Array> {
    const x = this.x!;
    const fin = this.inputShape![this.inputShape!.length - 1];
    const u = this.units;
    const rows = x.length / fin;
    gemm({ transA: true, M: fin, N: u, K: rows, A: x, B: dz, C: this.params[0].grad, threads: this.threads });
    if (this.useBias) {
      const db = this.params[1].grad;
      db.fill(0);
      for (let r = 0; r < rows; r++) for (let j = 0, o = r * u; j < u; j++) db[j] += dz[o + j];
    }
    const dx = new Float32Array(x.length);
    gemm({ transB: true, M: rows, N: fin, K: u, A: dz, B: this.params[0].value, C: dx, threads: this.threads });
    return dx;
  }

  getConfig(): LayerConfig {
    return {
      name: this.name,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}
