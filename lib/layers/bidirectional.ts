// Bidirectional: runs a GRU/LSTM/SimpleRNN forward and backward in time and concatenates the two
// (Keras's mergeMode 'concat'); the wrapped layer owns both directions' parameters, so the
// pair is one ONNX bidirectional node.
import { rangeError, typeError } from '../errors';
import type { Rng } from '../rng';
import { oneOf } from '../validate';
import { type Activation, Layer, type LayerArgs, type LayerConfig, requireArgs, type RunContext } from './layer';
import { Recurrent } from './recurrent';

export interface BidirectionalArgs extends LayerArgs {
  layer: Recurrent;
  mergeMode?: 'concat';
}

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly layer: Recurrent;
  readonly mergeMode = 'concat';

  constructor(args: BidirectionalArgs) {
    const where = 'layers.bidirectional';
    requireArgs(where, args);
    super(args, where);
    if (!(args.layer instanceof Recurrent))
      throw typeError(where, 'layer', 'a layers.gru, layers.lstm or layers.simpleRnn layer', args.layer);
    if (args.layer.goBackwards)
      throw rangeError(
        where,
        'layer',
        'a layer without goBackwards (the wrapper runs both directions)',
        `${args.layer.label} with goBackwards: true`,
      );
    if (args.layer.built) throw rangeError(where, 'layer', 'a layer not yet used in a model', `${args.layer.label}, already built`);
    if (args.layer.stateful)
      throw rangeError(
        where,
        'layer',
        'a layer without stateful (the backward direction has no next chunk to carry its state to)',
        `${args.layer.label} with stateful: true`,
      );
    if (args.mergeMode !== undefined) oneOf(where, 'mergeMode', args.mergeMode, ['concat'] as const, "'concat'");
    this.layer = args.layer;
    this.layer.directions = 2;
  }

  protected initialize(inputShape: number[], rng: Rng): number[] {
    if (this.name !== undefined && this.layer.name === undefined) this.layer.name = `${this.name}/${this.layer.className.toLowerCase()}`;
    const out = this.layer.build(inputShape, rng);
    this.params = this.layer.params;
    return out;
  }

  forward(x: Activation, ctx: RunContext): Promise<Activation> {
    return this.layer.forward(x, ctx);
  }

  backward(dy: Float32Array): Promise<Float32Array> {
    return this.layer.backward(dy);
  }

  setThreads(threads: number | undefined): void {
    super.setThreads(threads);
    this.layer.setThreads(threads);
  }

  dispose(): void {
    this.layer.dispose();
  }

  unbuild(): void {
    this.layer.unbuild();
    super.unbuild();
  }

  getConfig(): LayerConfig {
    return { name: this.name, layer: { className: this.layer.className, config: this.layer.getConfig() }, mergeMode: this.mergeMode };
  }
}
