// The Sequential model file's contents: the header (architecture and compile settings) and the
// weights keyed by layer, written by save and checkpoints and read back by loadModel.
import { type Layer, serializeLayer, type SerializedLayer } from '../layers';
import type { Loss } from '../train/losses';
import type { MetricSpec } from '../train/metrics';
import type { Optimizer } from '../train/optimizers';

/** The architecture part of the header. */
export interface SequentialConfig {
  name: string;
  seed?: number;
  inputShape: (number | null)[];
  layers: SerializedLayer[];
}

/** The header: architecture, and the compile settings when the model is compiled. */
export function sequentialHeader(
  model: { className: string; name: string; seed: number | undefined; layers: readonly Layer[] },
  compiled: { optimizer: Optimizer; loss: Loss; metricSpecs: (string | MetricSpec)[] } | null,
): Record<string, unknown> {
  return {
    format: 'gatedrnn-model',
    model: {
      className: model.className,
      config: {
        name: model.name,
        seed: model.seed,
        inputShape: model.layers[0].inputShape!.map((d) => (d < 0 ? null : d)),
        layers: model.layers.map(serializeLayer),
      },
    },
    compile: compiled && {
      optimizer: compiled.optimizer.getConfig(),
      loss: compiled.loss.getConfig(),
      metrics: compiled.metricSpecs,
    },
  };
}

/** Every parameter, keyed `index/layer/param`. */
export function weightArrays(layers: readonly Layer[]): [string, Float32Array][] {
  const arrays: [string, Float32Array][] = [];
  layers.forEach((l, i) => l.params.forEach((p) => arrays.push([`${i}/${l.name}/${p.name}`, p.value])));
  return arrays;
}

/** Copies the file's weights into the layers; throws when one is missing or of another size. */
export function loadLayerWeights(layers: readonly Layer[], arrays: Map<string, Float32Array>, source: string): void {
  layers.forEach((l, i) =>
    l.params.forEach((p) => {
      const key = `${i}/${l.name}/${p.name}`;
      const a = arrays.get(key);
      if (!a) throw new Error(`loadModel(${source}): the file has no weights for ${key}`);
      if (a.length !== p.value.length)
        throw new Error(
          `loadModel(${source}): ${key} holds ${a.length} values, expected ${p.value.length} for shape [${p.shape.join(', ')}]`,
        );
      p.value.set(a);
    }),
  );
}

/** The header's architecture; throws unless the header describes a Sequential model. */
export function sequentialConfig(where: string, header: Record<string, unknown>): SequentialConfig {
  const m = header.model as { className: string; config: SequentialConfig } | undefined;
  if (
    header.format !== 'gatedrnn-model' ||
    !m ||
    m.className !== 'Sequential' ||
    !Array.isArray(m.config?.layers) ||
    !Array.isArray(m.config.inputShape)
  ) {
    throw new Error(`${where}: the header does not describe a Sequential model`);
  }
  return m.config;
}

/** Whether a checkpoint's header holds these layers, layer names aside. */
export function sameArchitecture(header: Record<string, unknown>, layers: readonly Layer[]): boolean {
  const saved = (header.model as { config: { layers: SerializedLayer[] } }).config.layers;
  const unnamed = (ls: SerializedLayer[]): string => JSON.stringify(ls.map((s) => ({ ...s, config: { ...s.config, name: undefined } })));
  return unnamed(saved) === unnamed(layers.map(serializeLayer));
}
