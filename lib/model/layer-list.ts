// The layer list a Sequential model is made of: what it accepts, and the default layer names.
import { rangeError, typeError } from '../errors';
import { Embedding, Layer } from '../layers';

/** Throws unless `layerList` is a non-empty array of distinct layers with any embedding first. */
export function checkLayerList(where: string, layerList: unknown): asserts layerList is Layer[] {
  if (!Array.isArray(layerList) || layerList.length === 0) throw typeError(where, 'layers', 'a non-empty array of layers', layerList);
  layerList.forEach((l, i) => {
    if (!(l instanceof Layer)) throw typeError(where, `layers[${i}]`, 'a layer (layers.dense, layers.gru, ...)', l);
    if (l instanceof Embedding && i > 0)
      throw rangeError(where, `layers[${i}]`, 'an embedding only as the first layer', `${l.className} at position ${i}`);
  });
  if (new Set(layerList).size !== layerList.length) throw rangeError(where, 'layers', 'distinct layer objects', 'the same layer twice');
}

/** Names each unnamed layer after its class (gru, gru_1, ...), skipping names already taken. */
export function nameLayers(layerList: readonly Layer[]): void {
  const used = new Set(layerList.map((l) => l.name).filter((n) => n !== undefined));
  const count = new Map<string, number>();
  for (const l of layerList) {
    if (l.name !== undefined) continue;
    const base = l.className.toLowerCase();
    let k = count.get(base) ?? 0;
    let name = k === 0 ? base : `${base}_${k}`;
    while (used.has(name)) name = `${base}_${++k}`;
    count.set(base, k + 1);
    used.add(name);
    l.name = name;
  }
}

/** A table of layers, output shapes and parameter counts, as Keras's model.summary() prints it. */
export function summaryTable(modelName: string, layers: readonly Layer[]): string {
  const rows = layers.map((l) => [
    `${l.name} (${l.className})`,
    `(None, ${l.outputShape!.map((d) => (d < 0 ? 'None' : String(d))).join(', ')})`,
    String(l.countParams()),
  ]);
  const head = ['Layer (type)', 'Output Shape', 'Param #'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)) + 2);
  const line = (r: string[]): string => r.map((c, i) => (i === 2 ? c : c.padEnd(w[i]))).join('');
  const rule = '─'.repeat(w[0] + w[1] + w[2]);
  const total = layers.reduce((a, l) => a + l.countParams(), 0);
  return [
    `Model: "${modelName}"`,
    rule,
    line(head),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${total}`,
    `Trainable params: ${total}`,
    `Non-trainable params: 0`,
    rule,
  ].join('\n');
}
