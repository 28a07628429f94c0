// Test-only ONNX helpers: decode the ONNX backend conformance files, build single-node
// GRU/LSTM/RNN models, run them in onnxruntime-node and compare tensors.
//
// Deliberately independent of gatedrnn (lib/): these helpers are the yardstick the library is
// measured against, so they must not share its code or its bugs.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import * as protobuf from 'protobufjs';
import * as ort from 'onnxruntime-node';

// ---------------------------------------------------------------------------------------------
// Types

export type TensorType = 'float32' | 'int32' | 'int64';
export type TensorData = Float32Array | Int32Array | BigInt64Array;
/** Structurally the same as gatedrnn's Tensor (and onnxruntime-common's). */
export interface Tensor {
  type: TensorType;
  data: TensorData;
  dims: readonly number[];
}
export interface Float32Tensor extends Tensor {
  type: 'float32';
  data: Float32Array;
}
export interface NamedTensor extends Tensor {
  name: string;
}

/** Plain numbers for assertions and messages (int64 converted, exact up to 2^53). */
export function toNumbers(x: Pick<Tensor, 'data'> | TensorData): number[] {
  const data = 'data' in x && !ArrayBuffer.isView(x) ? x.data : (x as TensorData);
  return Array.from(data as ArrayLike<number | bigint>, Number);
}

export type OpType = 'GRU' | 'LSTM' | 'RNN';
export type InputSlot = 'X' | 'W' | 'R' | 'B' | 'sequence_lens' | 'initial_h' | 'initial_c' | 'P';
export type OutputSlot = 'Y' | 'Y_h' | 'Y_c';
export type AttrValue = number | string | number[] | string[];

/** ONNX attribute names of the recurrent ops; values follow the spec. */
export interface RnnAttrs {
  hidden_size: number;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  linear_before_reset?: number;
  input_forget?: number;
  layout?: number;
  clip?: number;
  activations?: string[];
  activation_alpha?: number[];
  activation_beta?: number[];
}

// ---------------------------------------------------------------------------------------------
// The subset of onnx.proto we need. Field numbers are those of onnx/onnx.proto (IR version 10);
// fields we never read are omitted and protobufjs skips them when decoding.

const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSOR = 11; SPARSE_TENSORS = 12; TYPE_PROTO = 13; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional AttributeType type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
}

message ModelProto {
  optional int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional string doc_string = 12;
  optional bytes raw_data = 9;
  optional int32 data_location = 14;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');
const TensorProto = root.lookupType('onnx.TensorProto');

// TensorProto.DataType and AttributeProto.AttributeType values we use.
const DT = { FLOAT: 1, INT32: 6, INT64: 7 } as const;
const AT = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const DATA_LOCATION_EXTERNAL = 1;

// Plain-object views of decoded messages, as produced by toPlain() below (int64 -> string).
interface TensorMsg {
  dims?: string[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: string[];
  name?: string;
  raw_data?: Uint8Array;
  data_location?: number;
}
interface AttrMsg {
  name: string;
  type?: number;
  f?: number;
  i?: string;
  s?: Uint8Array;
  floats?: number[];
  ints?: string[];
  strings?: Uint8Array[];
}
interface NodeMsg {
  input?: string[];
  output?: string[];
  op_type: string;
  domain?: string;
  attribute?: AttrMsg[];
}
interface ValueInfoMsg {
  name: string;
}
interface GraphMsg {
  node?: NodeMsg[];
  initializer?: TensorMsg[];
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
}
interface ModelMsg {
  opset_import?: { domain?: string; version?: string }[];
  graph?: GraphMsg;
}

/** Decodes and converts to plain objects; int64 become decimal strings so none lose precision. */
function decode<T>(type: protobuf.Type, bytes: Uint8Array): T {
  const msg = type.decode(bytes);
  return type.toObject(msg, { longs: String, arrays: true }) as T;
}

// ---------------------------------------------------------------------------------------------
// Tensors

const DATA_TYPE_TO_TENSOR_TYPE: Record<number, TensorType> = {
  [DT.FLOAT]: 'float32',
  [DT.INT32]: 'int32',
  [DT.INT64]: 'int64',
};
const BYTES_PER_ELEMENT: Record<TensorType, number> = { float32: 4, int32: 4, int64: 8 };

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

function allocate(type: TensorType, n: number): TensorData {
  if (type === 'float32') return new Float32Array(n);
  if (type === 'int32') return new Int32Array(n);
  return new BigInt64Array(n);
}

/**
 * raw_data is little-endian whatever the host. Reading through a DataView also copies into a
 * fresh, aligned buffer: protobufjs hands back a view into the file's buffer at any offset.
 */
function fromRawData(type: TensorType, raw: Uint8Array, n: number): TensorData {
  const size = BYTES_PER_ELEMENT[type];
  if (raw.byteLength !== n * size) {
    throw new Error(`raw_data holds ${raw.byteLength} bytes, expected ${n} x ${size}`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = allocate(type, n);
  for (let k = 0; k < n; k++) {
    if (type === 'float32') out[k] = view.getFloat32(k * size, true);
    else if (type === 'int32') out[k] = view.getInt32(k * size, true);
    else out[k] = view.getBigInt64(k * size, true);
  }
  return out;
}

function fromTypedFields(type: TensorType, msg: TensorMsg): TensorData {
  if (type === 'float32') return Float32Array.from(msg.float_data ?? []);
  if (type === 'int32') return Int32Array.from(msg.int32_data ?? []);
  return BigInt64Array.from((msg.int64_data ?? []).map((v) => BigInt(v)));
}

function tensorFromMsg(msg: TensorMsg, where: string): NamedTensor {
  const name = msg.name ?? '';
  const type = DATA_TYPE_TO_TENSOR_TYPE[msg.data_type ?? 0];
  if (type === undefined) {
    throw new Error(`${where}: tensor '${name}' has data_type ${msg.data_type}; only FLOAT, INT32, INT64 are supported`);
  }
  if (msg.data_location === DATA_LOCATION_EXTERNAL) {
    throw new Error(`${where}: tensor '${name}' uses external data, which these helpers do not read`);
  }
  const dims = (msg.dims ?? []).map(Number);
  const n = elementCount(dims);
  const data = msg.raw_data && msg.raw_data.byteLength > 0 ? fromRawData(type, msg.raw_data, n) : fromTypedFields(type, msg);
  if (data.length !== n) {
    throw new Error(`${where}: tensor '${name}' has ${data.length} elements but dims [${dims}] need ${n}`);
  }
  return { type, data, dims, name };
}

/** Reads a serialized onnx.TensorProto (the conformance suite's input_N.pb / output_N.pb). */
export function readTensorPb(file: string): NamedTensor {
  return tensorFromMsg(decode<TensorMsg>(TensorProto, fs.readFileSync(file)), file);
}

const TENSOR_TYPE_TO_DATA_TYPE: Record<TensorType, number> = { float32: DT.FLOAT, int32: DT.INT32, int64: DT.INT64 };

/** Little-endian raw_data, as exporters write it. */
function toRawData(t: Tensor): Uint8Array {
  const size = BYTES_PER_ELEMENT[t.type];
  const out = new Uint8Array(t.data.length * size);
  const view = new DataView(out.buffer);
  for (let k = 0; k < t.data.length; k++) {
    if (t.type === 'float32') view.setFloat32(k * size, t.data[k] as number, true);
    else if (t.type === 'int32') view.setInt32(k * size, t.data[k] as number, true);
    else view.setBigInt64(k * size, t.data[k] as bigint, true);
  }
  return out;
}

function tensorToMsg(name: string, t: Tensor): object {
  return { name, dims: t.dims, data_type: TENSOR_TYPE_TO_DATA_TYPE[t.type], raw_data: toRawData(t) };
}

// ---------------------------------------------------------------------------------------------
// Recurrent op slots

const INPUT_SLOTS: Record<OpType, InputSlot[]> = {
  GRU: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  RNN: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
  LSTM: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
};
const OUTPUT_SLOTS: Record<OpType, OutputSlot[]> = {
  GRU: ['Y', 'Y_h'],
  RNN: ['Y', 'Y_h'],
  LSTM: ['Y', 'Y_h', 'Y_c'],
};

/** The op's outputs in node order: Y, Y_h (and Y_c for LSTM). */
export function outputSlots(opType: OpType): readonly OutputSlot[] {
  return OUTPUT_SLOTS[opType];
}

function asOpType(s: string): OpType {
  if (s === 'GRU' || s === 'LSTM' || s === 'RNN') return s;
  throw new Error(`expected a GRU, LSTM or RNN node, got '${s}'`);
}

// ---------------------------------------------------------------------------------------------
// Reading models

/** What a one-node recurrent model holds, decoded. */
export interface RnnModelInfo {
  opType: OpType;
  /** The default-domain opset the model imports. */
  opset: number;
  attrs: Record<string, AttrValue>;
  /** The node's input names by position; '' where an optional input is absent. */
  nodeInputs: string[];
  nodeOutputs: string[];
  graphInputs: string[];
  graphOutputs: string[];
  initializers: Record<string, NamedTensor>;
}

const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

function attrValue(a: AttrMsg): AttrValue {
  switch (a.type) {
    case AT.FLOAT:
      return a.f ?? 0;
    case AT.INT:
      return Number(a.i ?? 0);
    case AT.STRING:
      return utf8(a.s ?? new Uint8Array());
    case AT.FLOATS:
      return a.floats ?? [];
    case AT.INTS:
      return (a.ints ?? []).map(Number);
    case AT.STRINGS:
      return (a.strings ?? []).map(utf8);
    default:
      throw new Error(`attribute '${a.name}' has unsupported type ${a.type}`);
  }
}

function defaultOpset(model: ModelMsg): number {
  const entry = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new Error('model imports no default-domain opset');
  return Number(entry.version);
}

/** Decodes a model whose graph is a single GRU, LSTM or RNN node. */
export function parseRnnModel(bytes: Uint8Array, where = 'model'): RnnModelInfo {
  const model = decode<ModelMsg>(ModelProto, bytes);
  const graph = model.graph ?? {};
  const nodes = graph.node ?? [];
  if (nodes.length !== 1) throw new Error(`${where}: expected one node, found ${nodes.length}`);
  const node = nodes[0];
  const attrs: Record<string, AttrValue> = {};
  for (const a of node.attribute ?? []) attrs[a.name] = attrValue(a);
  const initializers: Record<string, NamedTensor> = {};
  for (const t of graph.initializer ?? []) initializers[t.name ?? ''] = tensorFromMsg(t, where);
  return {
    opType: asOpType(node.op_type),
    opset: defaultOpset(model),
    attrs,
    nodeInputs: node.input ?? [],
    nodeOutputs: node.output ?? [],
    graphInputs: (graph.input ?? []).map((v) => v.name),
    graphOutputs: (graph.output ?? []).map((v) => v.name),
    initializers,
  };
}

/** The decoded attributes, typed as buildRnnModel takes them (hidden_size is required). */
export function asRnnAttrs(attrs: Record<string, AttrValue>): RnnAttrs {
  if (typeof attrs.hidden_size !== 'number') throw new Error('hidden_size attribute missing');
  return attrs as unknown as RnnAttrs;
}

// ---------------------------------------------------------------------------------------------
// Conformance cases

export interface ConformanceCase {
  opType: OpType;
  opset: number;
  attrs: Record<string, AttrValue>;
  /** The node's input names by position; '' where an optional input is absent. */
  nodeInputs: string[];
  nodeOutputs: string[];
  /** Keyed by ONNX slot name (X, W, R, B, sequence_lens, initial_h, initial_c, P). */
  inputs: Partial<Record<InputSlot, NamedTensor>>;
  /** Keyed by ONNX slot name (Y, Y_h, Y_c); only the outputs the node produces. */
  outputs: Partial<Record<OutputSlot, NamedTensor>>;
}

/**
 * Reads test_data_set_0/<prefix>_N.pb for each graph value in order and files it under the op
 * slot its name occupies in the node (graph inputs are matched to node inputs by name, not by
 * position: a graph lists only the inputs it has, the node keeps '' placeholders).
 */
function readDataSet<S extends string>(
  dir: string,
  prefix: string,
  graphNames: string[],
  nodeNames: string[],
  slots: readonly S[],
): Partial<Record<S, NamedTensor>> {
  const out: Partial<Record<S, NamedTensor>> = {};
  graphNames.forEach((name, n) => {
    const pos = nodeNames.indexOf(name);
    if (name === '' || pos < 0 || pos >= slots.length) {
      throw new Error(`${dir}: graph value '${name}' is not one of the node's ${prefix}s [${nodeNames}]`);
    }
    out[slots[pos]] = readTensorPb(path.join(dir, 'test_data_set_0', `${prefix}_${n}.pb`));
  });
  return out;
}

/** Loads one ONNX backend node test folder (model.onnx + test_data_set_0). */
export function loadConformanceCase(dir: string): ConformanceCase {
  const m = parseRnnModel(fs.readFileSync(path.join(dir, 'model.onnx')), dir);
  // Backend node tests feed every input; an initializer would be a value we never read.
  if (Object.keys(m.initializers).length > 0) {
    throw new Error(`${dir}: initializers are not expected in a backend node test`);
  }
  return {
    opType: m.opType,
    opset: m.opset,
    attrs: m.attrs,
    nodeInputs: m.nodeInputs,
    nodeOutputs: m.nodeOutputs,
    inputs: readDataSet(dir, 'input', m.graphInputs, m.nodeInputs, INPUT_SLOTS[m.opType]),
    outputs: readDataSet(dir, 'output', m.graphOutputs, m.nodeOutputs, OUTPUT_SLOTS[m.opType]),
  };
}

/** The case's inputs keyed by the graph's own input names, ready to feed the original model. */
export function graphFeeds(c: ConformanceCase): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  INPUT_SLOTS[c.opType].forEach((slot, pos) => {
    const t = c.inputs[slot];
    if (t) feeds[c.nodeInputs[pos]] = t;
  });
  return feeds;
}

/** The case's expected outputs keyed by the graph's own output names. */
export function graphOutputs(c: ConformanceCase): Record<string, Tensor> {
  const outs: Record<string, Tensor> = {};
  OUTPUT_SLOTS[c.opType].forEach((slot, pos) => {
    const t = c.outputs[slot];
    if (t) outs[c.nodeOutputs[pos]] = t;
  });
  return outs;
}

// ---------------------------------------------------------------------------------------------
// Building single-node models

export interface BuildRnnModelOptions {
  opType: OpType;
  attrs: RnnAttrs;
  inputs: Partial<Record<InputSlot, Tensor>>;
  /** Which outputs the node produces; all of the op's outputs by default. */
  outputs?: OutputSlot[];
  /** Default-domain opset; 14 is the first with `layout`. */
  opset?: number;
}

// Weights go in as initializers, as an exported model holds them; the rest are fed at run time.
const INITIALIZER_SLOTS: ReadonlySet<InputSlot> = new Set(['W', 'R', 'B', 'P']);
// JS numbers do not say int or float, so the attribute's name decides (clip=1 must stay FLOAT).
const INT_ATTRS: ReadonlySet<string> = new Set(['hidden_size', 'linear_before_reset', 'input_forget', 'layout']);

function attrToMsg(name: string, v: AttrValue): object {
  if (typeof v === 'string') return { name, type: AT.STRING, s: Buffer.from(v, 'utf8') };
  if (typeof v === 'number') {
    return INT_ATTRS.has(name) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  }
  if (v.every((x) => typeof x === 'string')) {
    return { name, type: AT.STRINGS, strings: (v as string[]).map((x) => Buffer.from(x, 'utf8')) };
  }
  return { name, type: AT.FLOATS, floats: v };
}

function valueInfo(name: string, type: TensorType, dims: readonly number[]): object {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: TENSOR_TYPE_TO_DATA_TYPE[type],
        shape: { dim: dims.map((d) => ({ dim_value: d })) },
      },
    },
  };
}

/** Y, Y_h and Y_c dims per the spec, for layout 0 (time-major) and 1 (batch-major). */
export function rnnOutputDims(opType: OpType, attrs: RnnAttrs, xDims: readonly number[]): Record<OutputSlot, number[]> {
  const layout = attrs.layout ?? 0;
  const [seq, batch] = layout === 0 ? [xDims[0], xDims[1]] : [xDims[1], xDims[0]];
  const dirs = attrs.direction === 'bidirectional' ? 2 : 1;
  const H = attrs.hidden_size;
  const state = layout === 0 ? [dirs, batch, H] : [batch, dirs, H];
  return {
    Y: layout === 0 ? [seq, dirs, batch, H] : [batch, seq, dirs, H],
    Y_h: state,
    Y_c: opType === 'LSTM' ? state : [],
  };
}

function irVersionFor(opset: number): number {
  // The IR version released with each opset (onnx/docs/Versioning.md); ORT accepts newer IR too.
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/**
 * A model with one GRU/LSTM/RNN node. Slot names double as value names. Absent optional inputs
 * are '' in the node's input list; trailing ones are dropped, as the spec allows.
 */
export function buildRnnModel(opts: BuildRnnModelOptions): Uint8Array {
  const { opType, attrs, inputs } = opts;
  const opset = opts.opset ?? 14;
  const X = inputs.X;
  if (!X) throw new Error('buildRnnModel: inputs.X is required');

  const nodeInputs = INPUT_SLOTS[opType].map((slot) => (inputs[slot] ? slot : ''));
  while (nodeInputs.length > 0 && nodeInputs[nodeInputs.length - 1] === '') nodeInputs.pop();

  const wanted = opts.outputs ?? OUTPUT_SLOTS[opType];
  const nodeOutputs = OUTPUT_SLOTS[opType].map((slot) => (wanted.includes(slot) ? slot : ''));
  while (nodeOutputs.length > 0 && nodeOutputs[nodeOutputs.length - 1] === '') nodeOutputs.pop();

  const present = INPUT_SLOTS[opType].filter((slot) => inputs[slot]);
  const outDims = rnnOutputDims(opType, attrs, X.dims);
  const attribute = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => attrToMsg(name, v as AttrValue));

  const model = {
    ir_version: irVersionFor(opset),
    producer_name: 'gatedrnn-tests',
    opset_import: [{ domain: '', version: opset }],
    graph: {
      name: `single_${opType.toLowerCase()}`,
      node: [{ op_type: opType, name: opType.toLowerCase(), input: nodeInputs, output: nodeOutputs, attribute }],
      initializer: present.filter((s) => INITIALIZER_SLOTS.has(s)).map((s) => tensorToMsg(s, inputs[s]!)),
      input: present.filter((s) => !INITIALIZER_SLOTS.has(s)).map((s) => valueInfo(s, inputs[s]!.type, inputs[s]!.dims)),
      output: OUTPUT_SLOTS[opType].filter((s) => wanted.includes(s)).map((s) => valueInfo(s, 'float32', outDims[s])),
    },
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`buildRnnModel: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** The graph inputs buildRnnModel made (X, sequence_lens, initial_h, initial_c), as feeds. */
export function rnnModelFeeds(inputs: Partial<Record<InputSlot, Tensor>>): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const [slot, t] of Object.entries(inputs)) {
    if (t && !INITIALIZER_SLOTS.has(slot as InputSlot)) feeds[slot] = t;
  }
  return feeds;
}

// ---------------------------------------------------------------------------------------------
// onnxruntime-node

function toOrt(t: Tensor): ort.Tensor {
  return new ort.Tensor(t.type, t.data, t.dims);
}

function fromOrt(t: ort.Tensor): Tensor {
  const type = t.type as TensorType;
  if (!(type in BYTES_PER_ELEMENT)) throw new Error(`runOrt: unexpected output type ${t.type}`);
  // Copy: the session may reuse or free the memory behind an output once it is released.
  const data = (t.data as TensorData).slice();
  return { type, data, dims: [...t.dims] };
}

/**
 * onnxruntime-node's outputs are typed arrays from Node's main context; under jest's default
 * environment they fail onnxruntime's own instanceof check with a cryptic TypeError. Say why.
 */
function assertSharedTypedArrays(): void {
  if (Float32Array !== vm.runInThisContext('Float32Array')) {
    throw new Error(
      'runOrt: this test file runs in a jest context with its own typed arrays, which onnxruntime-node ' +
        'rejects; start the file with /** @jest-environment ./test/helpers/node-realm-environment.ts */',
    );
  }
}

/** Runs a model once in onnxruntime-node on one thread (deterministic summation order). */
export async function runOrt(modelBytes: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  assertSharedTypedArrays();
  const session = await ort.InferenceSession.create(modelBytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    const results = await session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(results)) out[name] = fromOrt(t);
    return out;
  } finally {
    await session.release();
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing

type Numeric = Pick<Tensor, 'data'> | ArrayLike<number>;

function values(x: Numeric): ArrayLike<number | bigint> {
  return 'data' in x ? x.data : x;
}

/** Largest |a[k] - b[k]|; Infinity if the lengths differ or a NaN appears on one side only. */
export function maxAbsDiff(a: Numeric, b: Numeric): number {
  const va = values(a);
  const vb = values(b);
  if (va.length !== vb.length) return Infinity;
  let worst = 0;
  for (let k = 0; k < va.length; k++) {
    const x = Number(va[k]);
    const y = Number(vb[k]);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    const d = Math.abs(x - y);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

export interface CloseOptions {
  atol?: number;
  rtol?: number;
  /** Names the tensor in the failure message, e.g. 'test_gru_defaults Y'. */
  label?: string;
}

function fmtIndex(k: number, dims: readonly number[]): string {
  const idx: number[] = [];
  for (let d = dims.length - 1; d >= 0; d--) {
    idx.unshift(k % dims[d]);
    k = Math.floor(k / dims[d]);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Throws unless dims match and every element satisfies |a - e| <= atol or |a - e| <= rtol * |e|
 * (NaN matches only NaN). The message names the first bad element and the worst difference.
 */
export function expectClose(actual: Tensor, expected: Tensor, opts: CloseOptions = {}): void {
  const { atol = 1e-5, rtol = 1e-4, label = 'tensor' } = opts;
  const a = actual.data;
  const e = expected.data;
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, k) => d !== expected.dims[k])) {
    throw new Error(`${label}: dims [${actual.dims}] differ from expected [${expected.dims}]`);
  }
  if (a.length !== e.length || a.length !== elementCount(expected.dims)) {
    throw new Error(`${label}: ${a.length} elements, expected ${e.length} for dims [${expected.dims}]`);
  }
  let bad = 0;
  let first = -1;
  for (let k = 0; k < a.length; k++) {
    const x = Number(a[k]);
    const y = Number(e[k]);
    const d = Math.abs(x - y);
    const ok = (Number.isNaN(x) && Number.isNaN(y)) || d <= atol || d <= rtol * Math.abs(y);
    if (!ok) {
      bad++;
      if (first < 0) first = k;
    }
  }
  if (bad > 0) {
    throw new Error(
      `${label}: ${bad} of ${a.length} elements differ beyond atol ${atol} / rtol ${rtol}; ` +
        `first at ${fmtIndex(first, expected.dims)} (flat ${first}): got ${Number(a[first])}, expected ${Number(e[first])}; ` +
        `max |diff| ${maxAbsDiff(actual, expected)}; dims [${expected.dims}]`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Seeded random data

/** mulberry32 (the library's Rng): floats in [0, 1). */
export { rng32 as mulberry32 } from './rnn64';

/** float32 tensor with elements uniform in [-scale, scale). */
export function randomTensor(dims: readonly number[], rng: () => number, scale = 1): Float32Tensor {
  const data = new Float32Array(elementCount(dims));
  for (let k = 0; k < data.length; k++) data[k] = (rng() * 2 - 1) * scale;
  return { type: 'float32', data, dims: [...dims] };
}
