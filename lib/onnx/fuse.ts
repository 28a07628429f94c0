// Load-time rewrite of the Transposes that exporters put around a recurrent node of a
// batch-first model. ONNX GRU/LSTM/RNN nodes before opset 14 (and onnxruntime at any opset)
// take time-major data, so torch.onnx.export (batch_first=True) and tf2onnx/keras2onnx write
//
//   X [B, T, I] -> Transpose(1, 0, 2) -> GRU/LSTM/RNN -> Y [T, D, B, H]
//     -> Squeeze(axis 1) -> Transpose(1, 0, 2)                       (one direction), or
//     -> Transpose(0, 2, 1, 3) -> Reshape(0, 0, -1) -> Transpose(1, 0, 2)   (either)
//   -> [B, T, D*H]
//   or -> Transpose(2, 0, 1, 3) -> [B, T, D, H]                        (gatedrnn's exportOnnx)
//
// and in a stack the same Squeeze or Transpose + Reshape feed [T, B, D*H] to the next layer.
//
// The native operator reads and writes batch-major data itself (layout 1), so the node is run
// that way: it reads X before the first Transpose and its Y, seen as [B, T, D*H] or
// [B, T, D, H], is the chain's result (or the next layer's X, when that layer is rewritten too). The Transposes were two full copies of the sequence per
// run. States keep their time-major [D, B, H] shape outside the node (the kernel converts them;
// a copy of D*B*H values at most). Matched only where each rewritten value has no other reader.
import type { GraphNode, ParsedGraph } from './graph';
import { tensorToTyped } from './schema';

const RECURRENT = new Set(['GRU', 'LSTM', 'RNN']);

function intsAttribute(node: GraphNode, name: string): number[] | undefined {
  const a = node.attributes.find((x) => x.name === name);
  return a?.ints.map(Number);
}

function sameInts(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((v, k) => v === b[k]);
}

/** Marks fused nodes (GraphNode.batchMajor) and drops the Transposes and the output chain they replace. */
export function fuseBatchMajorRecurrent(graph: ParsedGraph): void {
  const producer = new Map<string, GraphNode>();
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) if (o !== '') producer.set(o, n);
    for (const i of new Set(n.inputs)) if (i !== '') readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  /** The one node that reads `name`, when nothing else (graph outputs included) does. */
  const soleReader = (name: string): GraphNode | undefined => {
    const r = readers.get(name);
    return r?.length === 1 && !graphOutputs.has(name) && r[0].inputs.filter((i) => i === name).length === 1 ? r[0] : undefined;
  };
  /** An int list known from the file: an initializer or a Constant node's value. */
  const constantInts = (name: string | undefined): number[] | undefined => {
    if (!name) return undefined;
    const init = graph.initializers.get(name);
    if (init)
      return init.type === 'int64' || init.type === 'int32' ? Array.from(init.data as ArrayLike<number | bigint>, Number) : undefined;
    const c = producer.get(name);
    if (c?.opType !== 'Constant') return undefined;
    const ints = intsAttribute(c, 'value_ints');
    if (ints) return ints;
    const t = c.attributes.find((a) => a.name === 'value')?.t;
    if (!t) return undefined;
    try {
      const v = tensorToTyped(t);
      return v.type === 'float32' ? undefined : Array.from(v.data as ArrayLike<number | bigint>, Number);
    } catch {
      // A malformed constant is reported when its node is created.
      return undefined;
    }
  };
  /**
   * A node that is dropped must be well formed (its input count, one output, known attributes):
   * otherwise it stays, and creating it reports the problem.
   */
  const wellFormed = (n: GraphNode, inputs: number, attributes: string[]): boolean =>
    n.inputs.length === inputs &&
    n.inputs.every((i) => i !== '') &&
    n.outputs.length === 1 &&
    n.attributes.every((a) => attributes.includes(a.name ?? ''));
  const isTranspose = (n: GraphNode | undefined, perm: number[]): boolean =>
    n?.opType === 'Transpose' && wellFormed(n, 1, ['perm']) && sameInts(intsAttribute(n, 'perm'), perm);

  const directions = (n: GraphNode): number => {
    const direction = n.attributes.find((a) => a.name === 'direction')?.s;
    return direction && new TextDecoder().decode(direction) === 'bidirectional' ? 2 : 1;
  };
  const fusible = (n: GraphNode | undefined): n is GraphNode =>
    n !== undefined && RECURRENT.has(n.opType) && !n.attributes.some((a) => a.name === 'layout' && Number(a.i ?? 0n) !== 0);

  /** Y [T, D, B, H] to the time-major sequence [T, B, D*H]: the nodes and the result. */
  const mergeChain = (y: string, D: number): { nodes: GraphNode[]; out: string } | undefined => {
    const first = soleReader(y);
    if (first?.opType === 'Squeeze' && D === 1 && wellFormed(first, graph.opset < 13 ? 1 : 2, graph.opset < 13 ? ['axes'] : [])) {
      const axes = graph.opset < 13 ? intsAttribute(first, 'axes') : constantInts(first.inputs[1]);
      if (sameInts(axes, [1]) || sameInts(axes, [-3])) return { nodes: [first], out: first.outputs[0] };
    }
    if (first && isTranspose(first, [0, 2, 1, 3])) {
      const reshape = soleReader(first.outputs[0]);
      if (
        reshape?.opType !== 'Reshape' ||
        reshape.inputs[0] !== first.outputs[0] ||
        !wellFormed(reshape, 2, graph.opset >= 14 ? ['allowzero'] : [])
      )
        return undefined;
      const allowZero = reshape.attributes.find((a) => a.name === 'allowzero');
      if (allowZero && Number(allowZero.i ?? 0n) !== 0) return undefined;
      if (sameInts(constantInts(reshape.inputs[1]), [0, 0, -1])) return { nodes: [first, reshape], out: reshape.outputs[0] };
    }
    return undefined;
  };

  /**
   * How the batch-major Y of `n` replaces what reads Y: nothing reads it; a chain back to
   * batch-major ends at the output (`final`); or the sequence feeds the next recurrent node
   * (`next`), which then runs batch-major too. Undefined when Y is read any other way.
   */
  type YUse = { nodes: GraphNode[]; final?: string; next?: GraphNode; merge: boolean };
  const useOfY = (n: GraphNode): YUse | undefined => {
    const y = n.outputs[0] ?? '';
    if (y === '' || (!readers.has(y) && !graphOutputs.has(y))) return { nodes: [], merge: false };
    const first = soleReader(y);
    // The chain of one Transpose keeps the directions axis: [B, T, D, H].
    if (first && isTranspose(first, [2, 0, 1, 3])) return { nodes: [first], final: first.outputs[0], merge: false };
    const merged = mergeChain(y, directions(n));
    if (merged === undefined) return undefined;
    const after = soleReader(merged.out);
    if (after && isTranspose(after, [1, 0, 2])) return { nodes: [...merged.nodes, after], final: after.outputs[0], merge: true };
    if (fusible(after) && after.inputs[0] === merged.out) return { nodes: merged.nodes, next: after, merge: true };
    return undefined;
  };

  const drop = new Set<GraphNode>();
  const replaced = new Map<GraphNode, GraphNode>();
  for (const n of graph.nodes) {
    if (!fusible(n) || replaced.has(n)) continue;
    const transposeIn = producer.get(n.inputs[0]);
    if (!transposeIn || !isTranspose(transposeIn, [1, 0, 2]) || soleReader(n.inputs[0]) !== n) continue;
    // Follow the stack while each layer's sequence goes only to the next layer.
    const stack: [GraphNode, YUse][] = [];
    for (let cur: GraphNode | undefined = n; cur; ) {
      const use = useOfY(cur);
      if (use === undefined) break;
      stack.push([cur, use]);
      cur = use.next;
    }
    const last = stack[stack.length - 1];
    if (last === undefined || last[1].next !== undefined) continue;
    drop.add(transposeIn);
    let x = transposeIn.inputs[0];
    for (const [node, use] of stack) {
      for (const d of use.nodes) drop.add(d);
      const outputs = [...node.outputs];
      if (use.final !== undefined) outputs[0] = use.final;
      replaced.set(node, { ...node, inputs: [x, ...node.inputs.slice(1)], outputs, batchMajor: { mergeDirections: use.merge } });
      x = outputs[0];
    }
  }
  graph.nodes = graph.nodes.map((n) => replaced.get(n) ?? n);
  graph.nodes = graph.nodes.filter((n) => !drop.has(n));
}
