// Embedding: int32 token ids [N, T] -> rows of a [inputDim, outputDim] table. The gradient is
// sparse: only the rows a batch used are nonzero, and optimizers update only those.
import { rangeError } from '../errors';
import { embeddingGather, embeddingScatterAdd } from '../ops/embedding';
import { checkInitializer, type InitializerName, initMatrix } from '../train/initializers';
import type { Rng } from '../rng';
import { positiveInt } from '../validate';
import { type Activation, Layer, type LayerArgs, type LayerConfig, makeParam, option, isBool, requireArgs, type RunContext } from './layer';

export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  /** Token 0 is padding, after each row's tokens: the rows' lengths go to the next RNN, and losses skip the padded steps. */
  maskZero?: boolean;
  embeddingsInitializer?: InitializerName;
}

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly embeddingsInitializer: InitializerName;
  private ids: Int32Array | null = null;

  constructor(args: EmbeddingArgs) {
    const where = 'layers.embedding';
    requireArgs(where, args);
    super(args, where);
    positiveInt(where, 'inputDim', args.inputDim);
    positiveInt(where, 'outputDim', args.outputDim);
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = option(where, args, 'maskZero', false, isBool, 'a boolean');
    this.embeddingsInitializer = checkInitializer(where, 'embeddingsInitializer', args.embeddingsInitializer ?? 'randomUniform');
  }

  protected initialize(inputShape: number[], rng: Rng): number[] {
    if (inputShape.length !== 1) throw rangeError(this.label, 'input shape', '[steps] (token ids [N, T])', `[${inputShape.join(', ')}]`);
    const table = makeParam('embeddings', [this.inputDim, this.outputDim], this.outputDim);
    const d = this.outputDim;
    initMatrix(this.embeddingsInitializer, d, this.inputDim, rng, (r, c, v) => (table.value[c * d + r] = v));
    this.params = [table];
    return [inputShape[0], d];
  }

  async forward(x: Activation, ctx: RunContext): Promise<Activation> {
    this.checkInput(x, 'int32');
    const ids = x.data as Int32Array;
    const d = this.outputDim;
    const table = this.params[0].value;
    const out = new Float32Array(ids.length * d);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.inputDim)) {
        throw rangeError(
          this.label,
          `token id at flat index ${i}`,
          `an integer in [0, ${this.inputDim - 1}] (inputDim ${this.inputDim})`,
          String(id),
        );
      }
    }
    embeddingGather(table, ids, d, out);
    let lengths = x.lengths;
    if (this.maskZero) {
      const [n, t] = x.dims;
      lengths = new Int32Array(n);
      // Recurrent layers take a length per row, so padding must come last (Keras's
      // pad_sequences(..., padding: 'post')): a 0 before a token would be a hole the RNN
      // cannot skip, so it is refused rather than silently read as a token.
      for (let b = 0; b < n; b++) {
        let len = 0;
        let firstZero = -1;
        for (let s = 0; s < t; s++) {
          if (ids[b * t + s] !== 0) {
            if (firstZero >= 0) {
              throw rangeError(
                this.label,
                `row ${b} of the token ids`,
                "padding (id 0) only after the last token with maskZero (pad with padding 'post')",
                `id 0 at step ${firstZero} before id ${ids[b * t + s]} at step ${s}`,
              );
            }
            len = s + 1;
          } else if (firstZero < 0) firstZero = s;
        }
        lengths[b] = len;
      }
    }
    if (ctx.training) this.ids = ids;
    return { data: out, dims: [...x.dims, d], lengths };
  }

  async backward(dy: Float32Array): Promise<null> {
    const p = this.params[0];
    const d = this.outputDim;
    const grad = p.grad;
    if (p.rows) for (const r of p.rows) grad.fill(0, r * d, r * d + d);
    else grad.fill(0);
    const ids = this.ids!;
    const seen = new Uint8Array(this.inputDim);
    const rows = new Int32Array(Math.min(ids.length, this.inputDim));
    let nrows = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!seen[id]) {
        seen[id] = 1;
        rows[nrows++] = id;
      }
    }
    embeddingScatterAdd(grad, ids, dy, d);
    p.rows = rows.slice(0, nrows);
    return null;
  }

  getConfig(): LayerConfig {
    return {
      name: this.name,
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      maskZero: this.maskZero,
      embeddingsInitializer: this.embeddingsInitializer,
    };
  }
}
