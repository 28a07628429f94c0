// The ONNX graph builder: inputs and outputs with symbolic dims, initializers, nodes with
// attributes and doc strings, encoded as one model. export.ts writes the layers' nodes with it.
import { rangeError, typeError } from '../errors';
import type { TensorLike, TensorType } from '../tensor';
import {
  type AttributeProto,
  AttributeType,
  DataType,
  type Init,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
  encodeModel,
  typedToTensorProto,
} from './schema';

/** An attribute value: integers become INT(S), other numbers FLOAT(S); { float } forces FLOAT. */
export type AttrValue = number | number[] | string | string[] | { float: number } | { floats: number[] } | TensorLike;

export interface NodeOptions {
  name?: string;
  doc?: string;
}

const ELEM: Record<TensorType, number> = { float32: DataType.FLOAT, int32: DataType.INT32, int64: DataType.INT64 };

/** Default IR version for an opset: the oldest that defines it (onnx/helper.py's table), at least 4. */
function irVersionFor(opset: number): number {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset === 11) return 6;
  if (opset === 10) return 5;
  return 4;
}

function isTensorLike(v: unknown): v is TensorLike {
  return typeof v === 'object' && v !== null && 'dims' in v && 'data' in v && 'type' in v;
}

function attribute(where: string, name: string, v: AttrValue): Init<AttributeProto> {
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: AttributeType.INT, i: v } : { name, type: AttributeType.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string'))
      return { name, type: AttributeType.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    if (v.every((x) => typeof x === 'number')) {
      const nums = v as number[];
      return nums.every(Number.isInteger)
        ? { name, type: AttributeType.INTS, ints: nums }
        : { name, type: AttributeType.FLOATS, floats: nums };
    }
  } else if (isTensorLike(v)) {
    return { name, type: AttributeType.TENSOR, t: typedToTensorProto('', v) };
  } else if (typeof v === 'object' && v !== null && 'float' in v && typeof v.float === 'number') {
    return { name, type: AttributeType.FLOAT, f: v.float };
  } else if (typeof v === 'object' && v !== null && 'floats' in v && Array.isArray(v.floats)) {
    return { name, type: AttributeType.FLOATS, floats: v.floats };
  }
  throw typeError(where, `attribute '${name}'`, 'a number, string, array of numbers or strings, { float }, { floats } or a tensor', v);
}

/** Builds one ONNX graph; `build` encodes the model. Names must be unique: `unique` makes them so. */
export class OnnxGraphBuilder {
  private readonly nodes: Init<NodeProto>[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: Init<ValueInfoProto>[] = [];
  private readonly outputs: Init<ValueInfoProto>[] = [];
  private readonly names = new Set<string>();
  private readonly opCounts = new Map<string, number>();

  constructor(readonly graphName: string = 'gatedrnn') {}

  /** `base`, or `base_1`, `base_2`, ... : a value name not used yet. */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  private claim(where: string, name: string): string {
    if (typeof name !== 'string' || name === '') throw typeError(where, 'name', 'a non-empty string', name);
    if (this.names.has(name)) throw rangeError(where, 'name', 'unused in this graph', `'${name}', which is already used`);
    this.names.add(name);
    return name;
  }

  private valueInfo(name: string, type: TensorType, dims: readonly (number | string)[] | undefined, doc?: string): Init<ValueInfoProto> {
    const shape = dims && { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) };
    return { name, doc_string: doc, type: { tensor_type: { elem_type: ELEM[type], shape } } };
  }

  /** A graph input; string dims are symbolic (any size, the same name meaning the same size). */
  input(name: string, type: TensorType, dims: readonly (number | string)[], doc?: string): string {
    this.inputs.push(this.valueInfo(this.claim('OnnxGraphBuilder.input', name), type, dims, doc));
    return name;
  }

  /** Declares an existing value (a node's output or an input) as a graph output; no dims: any shape. */
  output(name: string, type: TensorType, dims?: readonly (number | string)[], doc?: string): string {
    if (!this.names.has(name)) throw rangeError('OnnxGraphBuilder.output', 'name', 'a value of this graph', `'${name}'`);
    this.outputs.push(this.valueInfo(name, type, dims, doc));
    return name;
  }

  /** A constant stored in the file (weights); returns its name. */
  initializer(name: string, tensor: TensorLike, doc?: string): string {
    const t = typedToTensorProto(this.claim('OnnxGraphBuilder.initializer', name), tensor);
    if (doc) t.doc_string = doc;
    this.initializers.push(t);
    return name;
  }

  /**
   * Adds a node. `inputs` are value names ('' for an absent optional input); `outputs` are new
   * names, or a count to name them `<node name>/output_k`. Returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number,
    attributes: Record<string, AttrValue | undefined> = {},
    options: NodeOptions = {},
  ): string[] {
    const where = `OnnxGraphBuilder.node(${opType})`;
    for (const i of inputs) {
      if (i !== '' && !this.names.has(i)) throw rangeError(where, 'inputs', 'names of values already in the graph', `'${i}'`);
    }
    const count = (this.opCounts.get(opType) ?? 0) + 1;
    this.opCounts.set(opType, count);
    const name = options.name ?? `${opType}_${count}`;
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, k) => this.unique(`${name}/output_${k}`)) : [...outputs];
    for (const o of outs) if (o !== '') this.claim(where, o);
    this.nodes.push({
      name,
      op_type: opType,
      input: [...inputs],
      output: outs,
      doc_string: options.doc,
      attribute: Object.entries(attributes)
        .filter((e): e is [string, AttrValue] => e[1] !== undefined)
        .map(([k, v]) => attribute(where, k, v)),
    });
    return outs;
  }

  /** The model as bytes. */
  build(options: { opset?: number; docString?: string; producerName?: string; producerVersion?: string } = {}): Uint8Array {
    const opset = options.opset ?? 14;
    const model: Init<ModelProto> = {
      ir_version: irVersionFor(opset),
      opset_import: [{ domain: '', version: opset }],
      producer_name: options.producerName ?? 'gatedrnn',
      producer_version: options.producerVersion,
      doc_string: options.docString,
      graph: { name: this.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    return encodeModel(model);
  }
}
