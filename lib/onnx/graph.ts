// From a decoded ModelProto to a graph the session can run: the opset, the initializers as
// tensors, the inputs and outputs with their declared types and dims, and the nodes that the
// outputs need, in topological order. Every structural problem (a cycle, an input nothing
// produces, a value produced twice, an opset or domain gatedrnn does not know) is an error here,
// before anything runs.
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  dataTypeName,
  decodeModel,
  tensorToTyped,
} from './schema';
import { NodeError, type Value, type ValueType } from './values';

export const MIN_OPSET = 7;
export const MAX_OPSET = 22;

/** A dim as declared: a size, a symbolic name, or null when unknown. */
export type DeclaredDim = number | string | null;

export interface ValueInfo {
  name: string;
  /** undefined when the file declares no element type. */
  type: ValueType | undefined;
  /** undefined when the file declares no shape (any rank). */
  dims: DeclaredDim[] | undefined;
}

export interface GraphNode {
  name: string;
  opType: string;
  /** For messages: node 'name' (Op, opset N). */
  label: string;
  /** '' where an optional input is absent. */
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
  /** A recurrent node run batch-major in place of the Transposes around it (fuse.ts). */
  batchMajor?: { mergeDirections: boolean };
}

export interface ParsedGraph {
  opset: number;
  producer: string;
  initializers: Map<string, Value>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Declared types and shapes of intermediate values (value_info), by name. */
  valueInfo: Map<string, ValueInfo>;
  /** Only the nodes the outputs depend on, producers before consumers. */
  nodes: GraphNode[];
}

const ELEM_TYPES: Partial<Record<number, ValueType>> = {
  [DataType.FLOAT]: 'float32',
  [DataType.INT32]: 'int32',
  [DataType.INT64]: 'int64',
  [DataType.BOOL]: 'bool',
};

function elemType(code: number | undefined): ValueType | undefined {
  return code === undefined ? undefined : ELEM_TYPES[code];
}

function valueInfo(where: string, v: ValueInfoProto, role: string): ValueInfo {
  const name = v.name ?? '';
  if (v.type?.unsupported) {
    throw new TypeError(`${where}: ${role} '${name}' is a ${v.type.unsupported.replace('_type', '')}; gatedrnn supports tensors only`);
  }
  const tt = v.type?.tensor_type;
  const type = elemType(tt?.elem_type);
  if (tt?.elem_type !== undefined && tt.elem_type !== DataType.UNDEFINED && (type === undefined || (type === 'bool' && role !== 'value'))) {
    throw new TypeError(
      `${where}: ${role} '${name}' has element type ${dataTypeName(tt.elem_type)}; gatedrnn supports FLOAT (float32), INT32 (int32) and INT64 (int64)`,
    );
  }
  const dims = tt?.shape?.dim.map((d) => (d.dim_value !== undefined && d.dim_value >= 0 ? d.dim_value : d.dim_param ? d.dim_param : null));
  return { name, type, dims };
}

/** A TensorProto (an initializer, a Constant's value) as a Value; errors name `where`. */
function tensorValue(where: string, t: TensorProto): Value {
  if (t.data_type === DataType.BOOL) {
    // tensorToTyped converts the three gatedrnn types; bool constants (Where masks) are rare but exported.
    const n = t.dims.reduce((a, b) => a * b, 1);
    const data = new Uint8Array(n);
    if (t.raw_data !== undefined && t.raw_data.byteLength > 0) data.set(t.raw_data);
    else for (let k = 0; k < n; k++) data[k] = t.int32_data[k] ? 1 : 0;
    return { type: 'bool', data, dims: [...t.dims] };
  }
  try {
    return tensorToTyped(t);
  } catch (e) {
    throw new TypeError(`${where}: ${(e as Error).message.replace(/^tensorToTyped: /, '')}`);
  }
}

function opsetOf(where: string, model: ModelProto): number {
  let opset: number | undefined;
  for (const o of model.opset_import) {
    const domain = o.domain ?? '';
    if (domain === '' || domain === 'ai.onnx') opset = o.version;
  }
  if (opset === undefined) {
    throw new Error(`${where}: the model imports no version of the default ONNX operator set (opset_import has no '' or 'ai.onnx' entry)`);
  }
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new RangeError(`${where}: the model uses opset ${opset}; gatedrnn supports opsets ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  return opset;
}

function nodeLabel(n: NodeProto, index: number, opset: number): string {
  const name = n.name ? `'${n.name}'` : `#${index}`;
  return `node ${name} (${n.op_type ?? '?'}, opset ${opset})`;
}

/** Decodes and checks a model; `where` prefixes every message (e.g. 'loadOnnx'). */
export function parseModel(where: string, bytes: Uint8Array): ParsedGraph {
  const model = decodeModel(bytes);
  const g = model.graph;
  if (!g) throw new Error(`${where}: the file holds no graph (ModelProto.graph is absent)`);
  const opset = opsetOf(where, model);

  const initializers = new Map<string, Value>();
  for (const t of g.initializer) {
    if (!t.name) throw new Error(`${where}: an initializer has no name`);
    initializers.set(t.name, tensorValue(`${where}: initializer '${t.name}'`, t));
  }
  // Before IR version 4 initializers were also listed as inputs; those are constants, not feeds.
  const inputs = g.input.filter((v) => !initializers.has(v.name ?? '')).map((v) => valueInfo(where, v, 'input'));
  const outputs = g.output.map((v) => valueInfo(where, v, 'output'));
  const valueInfos = new Map<string, ValueInfo>();
  for (const v of g.value_info) if (v.name && !v.type?.unsupported) valueInfos.set(v.name, valueInfo(where, v, 'value'));

  const known = new Set<string>();
  for (const v of inputs) {
    if (!v.name) throw new Error(`${where}: a graph input has no name`);
    if (known.has(v.name)) throw new Error(`${where}: graph input '${v.name}' is declared twice`);
    known.add(v.name);
  }
  for (const name of initializers.keys()) known.add(name);

  const nodes: GraphNode[] = g.node.map((n, index) => {
    const label = nodeLabel(n, index, opset);
    const domain = n.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') {
      throw new NodeError(`${where}: ${label}: operator domain '${domain}' is not supported; gatedrnn runs the default ONNX domain only`);
    }
    if (!n.op_type) throw new NodeError(`${where}: ${label}: the node has no op_type`);
    return { name: n.name ?? `#${index}`, opType: n.op_type, label, inputs: n.input, outputs: n.output, attributes: n.attribute };
  });

  const producer = new Map<string, number>();
  nodes.forEach((n, k) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (known.has(o) || producer.has(o)) {
        throw new NodeError(
          `${where}: ${n.label}: output '${o}' is already ${producer.has(o) ? `produced by ${nodes[producer.get(o)!].label}` : 'a graph input or initializer'}`,
        );
      }
      producer.set(o, k);
    }
  });
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (i !== '' && !known.has(i) && !producer.has(i)) {
        throw new NodeError(`${where}: ${n.label}: input '${i}' is not a graph input, an initializer or any node's output`);
      }
    }
  }
  for (const o of outputs) {
    if (!known.has(o.name) && !producer.has(o.name)) throw new Error(`${where}: graph output '${o.name}' is not produced by any node`);
  }

  // Only what the outputs need, as onnxruntime does: dead branches (with ops gatedrnn may lack) are dropped.
  const needed = new Set<number>();
  const stack = outputs.map((o) => producer.get(o.name)).filter((k): k is number => k !== undefined);
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (needed.has(k)) continue;
    needed.add(k);
    for (const i of nodes[k].inputs) {
      const p = producer.get(i);
      if (p !== undefined && !needed.has(p)) stack.push(p);
    }
  }

  // Kahn's algorithm; whatever is left over lies on a cycle.
  const pending = new Map<number, number>();
  const consumers = new Map<number, number[]>();
  for (const k of needed) {
    let count = 0;
    for (const i of new Set(nodes[k].inputs)) {
      const p = producer.get(i);
      if (p === undefined) continue;
      count++;
      if (!consumers.has(p)) consumers.set(p, []);
      consumers.get(p)!.push(k);
    }
    pending.set(k, count);
  }
  const ready = [...needed].filter((k) => pending.get(k) === 0).sort((a, b) => a - b);
  const order: GraphNode[] = [];
  while (ready.length > 0) {
    const k = ready.shift()!;
    order.push(nodes[k]);
    for (const c of consumers.get(k) ?? []) {
      const left = pending.get(c)! - 1;
      pending.set(c, left);
      if (left === 0) ready.push(c);
    }
  }
  if (order.length < needed.size) {
    const stuck = [...needed].filter((k) => pending.get(k)! > 0).sort((a, b) => a - b);
    throw new NodeError(
      `${where}: the graph has a cycle through ${stuck
        .slice(0, 4)
        .map((k) => nodes[k].label)
        .join(', ')}${stuck.length > 4 ? ` and ${stuck.length - 4} more` : ''}`,
    );
  }

  return { opset, producer: model.producer_name ?? '', initializers, inputs, outputs, valueInfo: valueInfos, nodes: order };
}

// ---------------------------------------------------------------------------------------------
// Attributes

const ATTRIBUTE_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AttributeType).map(([k, v]) => [v, k]));

/** A node's attributes, checked against the names its op (at this opset) takes. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    private readonly where: string,
    node: GraphNode,
    allowed: readonly string[],
  ) {
    for (const a of node.attributes) {
      const name = a.name ?? '';
      if (!allowed.includes(name)) {
        const list = allowed.length > 0 ? `supported: ${allowed.join(', ')}` : 'it takes none';
        throw new NodeError(`${where}: attribute '${name}' is not supported (${list})`);
      }
      if (a.ref_attr_name) throw new NodeError(`${where}: attribute '${name}' refers to a function attribute, which only functions may do`);
      this.byName.set(name, a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a === undefined) return undefined;
    if (a.type !== undefined && a.type !== AttributeType.UNDEFINED && a.type !== type) {
      throw new NodeError(
        `${this.where}: expected attribute '${name}' to be ${ATTRIBUTE_TYPE_NAMES[type]}, but it is ${ATTRIBUTE_TYPE_NAMES[a.type] ?? `type ${a.type}`}`,
      );
    }
    return a;
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, AttributeType.INT);
    if (a === undefined) return fallback;
    const v = a.i ?? 0n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      // Slice-style "to the end" values (INT64_MAX) are clamped by their users.
      return v > 0n ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
    }
    return Number(v);
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, AttributeType.FLOAT);
    return a === undefined ? fallback : (a.f ?? 0);
  }

  string(name: string): string | undefined {
    const a = this.get(name, AttributeType.STRING);
    return a === undefined ? undefined : new TextDecoder().decode(a.s ?? new Uint8Array(0));
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, AttributeType.INTS);
    return a?.ints.map((v) =>
      v > BigInt(Number.MAX_SAFE_INTEGER)
        ? Number.MAX_SAFE_INTEGER
        : v < BigInt(Number.MIN_SAFE_INTEGER)
          ? Number.MIN_SAFE_INTEGER
          : Number(v),
    );
  }

  floats(name: string): number[] | undefined {
    return this.get(name, AttributeType.FLOATS)?.floats;
  }

  strings(name: string): string[] | undefined {
    return this.get(name, AttributeType.STRINGS)?.strings.map((s) => new TextDecoder().decode(s));
  }

  tensor(name: string): Value | undefined {
    const a = this.get(name, AttributeType.TENSOR);
    if (a === undefined) return undefined;
    if (!a.t) throw new NodeError(`${this.where}: attribute '${name}' holds no tensor`);
    return tensorValue(`${this.where}: attribute '${name}'`, a.t);
  }
}
