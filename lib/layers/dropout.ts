// Dropout: in training, zeroes each value with probability `rate` and scales the rest by
// 1 / (1 - rate) (inverse dropout), drawing from the model's seeded generator; identity otherwise.
import type { Rng } from '../rng';
import { fraction } from '../validate';
import { type Activation, Layer, type LayerArgs, type LayerConfig, requireArgs, type RunContext } from './layer';

export interface DropoutArgs extends LayerArgs {
  rate: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  private mask: Float32Array | null = null;

  constructor(args: DropoutArgs) {
    const where = 'layers.dropout';
    requireArgs(where, args);
    super(args, where);
    fraction(where, 'rate', args.rate);
    this.rate = args.rate;
  }

  protected initialize(inputShape: number[], _rng: Rng): number[] {
    return [...inputShape];
  }

  async forward(x: Activation, ctx: RunContext): Promise<Activation> {
    this.checkInput(x, 'float32');
    if (!ctx.training || this.rate === 0) {
      this.mask = null;
      return x;
    }
    const xd = x.data as Float32Array;
    const keep = 1 / (1 - this.rate);
    const mask = new Float32Array(xd.length);
    const y = new Float32Array(xd.length);
    for (let i = 0; i < xd.length; i++) {
      mask[i] = ctx.rng.next() < this.rate ? 0 : keep;
      y[i] = xd[i] * mask[i];
    }
    this.mask = mask;
    return { data: y, dims: x.dims, lengths: x.lengths };
  }

  async backward(dy: Float32Array): Promise<Float32Array> {
    const m = this.mask;
    if (!m) return dy;
    const dx = new Float32Array(dy.length);
    for (let i = 0; i < dy.length; i++) dx[i] = dy[i] * m[i];
    return dx;
  }

  getConfig(): LayerConfig {
    return { name: this.name, rate: this.rate };
  }
}
