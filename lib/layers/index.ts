// The `layers` namespace (Keras names) and the registry that rebuilds a layer from its config.
import { typeError, rangeError } from '../errors';
import { Bidirectional, type BidirectionalArgs } from './bidirectional';
import { Dense, type DenseArgs } from './dense';
import { Dropout, type DropoutArgs } from './dropout';
import { Embedding, type EmbeddingArgs } from './embedding';
import { Layer } from './layer';
import type { LayerConfig } from './layer';
import { Gru, type GruArgs, Lstm, type LstmArgs, Recurrent, SimpleRnn, type SimpleRnnArgs } from './recurrent';

export { Layer, Dense, Dropout, Embedding, Gru, Lstm, SimpleRnn, Recurrent, Bidirectional };
export type { Activation, Param, LayerConfig } from './layer';
export { showShape, toSampleShape } from './layer';
export type { DenseArgs, DropoutArgs, EmbeddingArgs, GruArgs, LstmArgs, SimpleRnnArgs, BidirectionalArgs };
export type { ActivationName } from './activations';

export const layers = {
  dense: (args: DenseArgs): Dense => new Dense(args),
  embedding: (args: EmbeddingArgs): Embedding => new Embedding(args),
  dropout: (args: DropoutArgs): Dropout => new Dropout(args),
  gru: (args: GruArgs): Gru => new Gru(args),
  lstm: (args: LstmArgs): Lstm => new Lstm(args),
  simpleRnn: (args: SimpleRnnArgs): SimpleRnn => new SimpleRnn(args),
  bidirectional: (args: BidirectionalArgs): Bidirectional => new Bidirectional(args),
};

/** A serialized layer: { className, config } as getConfig writes it. */
export interface SerializedLayer {
  className: string;
  config: LayerConfig;
}

/** Rebuilds a layer from { className, config } (tfjs-layers' fromConfig). */
export function layerFromConfig(s: SerializedLayer): Layer {
  if (s === null || typeof s !== 'object' || typeof s.className !== 'string' || s.config === null || typeof s.config !== 'object') {
    throw typeError('layerFromConfig', 'its argument', '{ className, config }', s);
  }
  const c = s.config as never;
  switch (s.className) {
    case 'Dense':
      return new Dense(c);
    case 'Embedding':
      return new Embedding(c);
    case 'Dropout':
      return new Dropout(c);
    case 'GRU':
      return new Gru(c);
    case 'LSTM':
      return new Lstm(c);
    case 'SimpleRNN':
      return new SimpleRnn(c);
    case 'Bidirectional': {
      const inner = (s.config as { layer: SerializedLayer }).layer;
      return new Bidirectional({ ...(s.config as object), layer: layerFromConfig(inner) } as BidirectionalArgs);
    }
    default:
      throw rangeError(
        'layerFromConfig',
        'className',
        'one of Dense, Embedding, Dropout, GRU, LSTM, SimpleRNN, Bidirectional',
        `"${s.className}"`,
      );
  }
}

export function serializeLayer(l: Layer): SerializedLayer {
  return { className: l.className, config: l.getConfig() };
}
