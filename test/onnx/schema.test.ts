/** @jest-environment ./test/helpers/node-realm-environment.ts */

// lib/onnx/schema.ts: ONNX messages decoded and encoded by our dependency-free codec, measured
// against protobufjs (an independent implementation, with its own copy of onnx.proto's fields
// below), against the test helpers on the ONNX conformance files, against onnxruntime-node
// (which must run what we write), and on hostile input.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import {
  AttributeType,
  DataType,
  type GraphProto,
  type Init,
  Messages,
  type MessageType,
  type ModelProto,
  OnnxParseError,
  Reader,
  type TensorProto,
  WireType,
  Writer,
  decodeMessage,
  decodeModel,
  decodeTensor,
  encodeMessage,
  encodeModel,
  encodeTensor,
  tensorToTyped,
  typedToTensorProto,
} from '../../lib/onnx/schema';
import {
  expectClose,
  graphFeeds,
  graphOutputs,
  loadConformanceCase,
  mulberry32,
  parseRnnModel,
  readTensorPb,
  runOrt,
} from '../helpers/onnx';

const CONFORMANCE_DIR = path.resolve(__dirname, '../fixtures/conformance/onnx-node');
const CASES = fs
  .readdirSync(CONFORMANCE_DIR)
  .filter((d) => d.startsWith('test_'))
  .sort();
const modelPath = (name: string): string => path.join(CONFORMANCE_DIR, name, 'model.onnx');
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

// ---------------------------------------------------------------------------------------------
// protobufjs yardstick: every field we model, with onnx.proto's numbers. Repeated scalars are
// declared packed or unpacked per root, so both encodings are exercised.

function onnxProto(packed: boolean): string {
  const P = `[packed = ${packed}]`;
  return `
syntax = "proto2";
package onnx;
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message TensorProto {
  repeated int64 dims = 1 ${P};
  optional int32 data_type = 2;
  repeated float float_data = 4 ${P};
  repeated int32 int32_data = 5 ${P};
  repeated int64 int64_data = 7 ${P};
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 ${P};
  repeated uint64 uint64_data = 11 ${P};
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}
message TensorShapeProto {
  message Dimension {
    oneof value { int64 dim_value = 1; string dim_param = 2; }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  message Sequence { optional TypeProto elem_type = 1; }
  message Map { optional int32 key_type = 1; optional TypeProto value_type = 2; }
  message SparseTensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  message Optional { optional TypeProto elem_type = 1; }
  oneof value {
    Tensor tensor_type = 1; Sequence sequence_type = 4; Map map_type = 5;
    SparseTensor sparse_tensor_type = 8; Optional optional_type = 9;
  }
  optional string denotation = 6;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; }
message AttributeProto {
  optional string name = 1;
  optional string ref_attr_name = 21;
  optional string doc_string = 13;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7 ${P};
  repeated int64 ints = 8 ${P};
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
}
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  optional string domain = 7; repeated AttributeProto attribute = 5; optional string doc_string = 6;
}
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  optional string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message ModelProto {
  optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; optional string producer_name = 2;
  optional string producer_version = 3; optional string domain = 4; optional int64 model_version = 5;
  optional string doc_string = 6; optional GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14;
}
`;
}

// resolveAll() matters: protobufjs 7 applies [packed = ...] only once features are resolved, and
// until then writes every repeated scalar unpacked.
function pbRoot(packed: boolean): protobuf.Root {
  const root = protobuf.parse(onnxProto(packed), { keepCase: true }).root;
  root.resolveAll();
  return root;
}
const packedRoot = pbRoot(true);
const unpackedRoot = pbRoot(false);

// Our Messages key -> protobufjs type name.
const PB_NAMES: Record<keyof typeof Messages, string> = {
  ModelProto: 'onnx.ModelProto',
  OperatorSetIdProto: 'onnx.OperatorSetIdProto',
  GraphProto: 'onnx.GraphProto',
  NodeProto: 'onnx.NodeProto',
  AttributeProto: 'onnx.AttributeProto',
  ValueInfoProto: 'onnx.ValueInfoProto',
  TypeProto: 'onnx.TypeProto',
  TypeProtoTensor: 'onnx.TypeProto.Tensor',
  TensorShapeProto: 'onnx.TensorShapeProto',
  TensorShapeDimension: 'onnx.TensorShapeProto.Dimension',
  TensorProto: 'onnx.TensorProto',
  StringStringEntryProto: 'onnx.StringStringEntryProto',
};

/** Our objects in the shape protobufjs's fromObject takes: int64 as strings, plain arrays. */
function toPbjs(x: unknown): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (isBytes(x)) return x;
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<unknown>, toPbjs);
  if (Array.isArray(x)) return x.map(toPbjs);
  if (x !== null && typeof x === 'object') {
    return Object.fromEntries(
      Object.entries(x)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toPbjs(v)]),
    );
  }
  return x;
}

function isBytes(x: unknown): x is Uint8Array {
  return ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === '[object Uint8Array]';
}

/**
 * A form both sides agree on: integers (number, bigint or protobufjs's decimal strings) become
 * decimal strings, typed arrays plain arrays, bytes hex strings; absent fields and empty repeated
 * fields are left out (that repeated fields are always present is checked on its own).
 */
function norm(x: unknown): unknown {
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'number') return Number.isInteger(x) ? String(x) : x;
  if (isBytes(x)) return `bytes:${Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex')}`;
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<unknown>, norm);
  if (Array.isArray(x)) return x.map(norm);
  if (x !== null && typeof x === 'object') {
    const isEmptyList = (v: unknown): boolean =>
      (Array.isArray(v) || (ArrayBuffer.isView(v) && !isBytes(v))) && (v as unknown[]).length === 0;
    const entries = Object.entries(x).filter(([, v]) => v !== undefined && !isEmptyList(v));
    return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, norm(v)]));
  }
  return x;
}

function pbEncode(root: protobuf.Root, key: keyof typeof Messages, obj: unknown): Uint8Array {
  const type = root.lookupType(PB_NAMES[key]);
  const init = toPbjs(obj) as Record<string, unknown>;
  const err = type.verify(type.fromObject(init));
  if (err) throw new Error(`protobufjs rejects the sample ${key}: ${err}`);
  return type.encode(type.fromObject(init)).finish();
}

function pbDecode(key: keyof typeof Messages, bytes: Uint8Array): unknown {
  const type = packedRoot.lookupType(PB_NAMES[key]);
  return type.toObject(type.decode(bytes), { longs: String, arrays: true });
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function catchParseError(fn: () => unknown): OnnxParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OnnxParseError) return e;
    throw new Error(`expected an OnnxParseError, got ${String(e)}`);
  }
  throw new Error('expected an OnnxParseError, but nothing was thrown');
}

// ---------------------------------------------------------------------------------------------
// Samples: every modeled field set, negative int64s, extreme values, nested messages.

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

// Every field set at once, which no valid numeric tensor does: data_type STRING keeps the
// data-count check (tested on its own below) out of the way.
const tensorSample: Init<TensorProto> = {
  dims: [2, 0, 3],
  data_type: DataType.STRING,
  float_data: f32(1.5, -2.25, 1e-30, 3.4e38, -0),
  int32_data: Int32Array.from([0, -1, 2 ** 31 - 1, -(2 ** 31)]),
  int64_data: BigInt64Array.from([INT64_MIN, -1n, 0n, INT64_MAX]),
  name: 'W',
  doc_string: 'weights',
  raw_data: Uint8Array.from([1, 2, 3]),
  double_data: Float64Array.from([0.1, -1e300]),
  uint64_data: BigUint64Array.from([0n, (1n << 64n) - 1n]),
  external_data: [],
  data_location: 0,
};

const graphSample: Init<GraphProto> = {
  node: [
    {
      input: ['X', 'W', 'R', '', '', 'h0'],
      output: ['', 'Y_h'],
      name: 'gru',
      op_type: 'GRU',
      domain: '',
      doc_string: 'a GRU',
      attribute: [
        { name: 'hidden_size', type: AttributeType.INT, i: 5n },
        { name: 'neg', type: AttributeType.INT, i: -3n },
        { name: 'clip', type: AttributeType.FLOAT, f: 0.5 },
        { name: 'direction', type: AttributeType.STRING, s: utf8('forward') },
        { name: 'activations', type: AttributeType.STRINGS, strings: [utf8('Sigmoid'), utf8('Tanh')] },
        { name: 'alpha', type: AttributeType.FLOATS, floats: [0.25, -1.5] },
        { name: 'ends', type: AttributeType.INTS, ints: [INT64_MAX, INT64_MIN, -1n, 0n] },
        { name: 'value', type: AttributeType.TENSOR, t: { dims: [1], data_type: DataType.INT64, int64_data: BigInt64Array.from([-7n]) } },
        { name: 'ts', type: AttributeType.TENSORS, tensors: [{ dims: [], data_type: DataType.FLOAT, float_data: f32(2) }] },
        { name: 'body', type: AttributeType.GRAPH, g: { name: 'sub', node: [{ op_type: 'Identity', input: ['a'], output: ['b'] }] } },
        { name: 'branches', type: AttributeType.GRAPHS, graphs: [{ name: 'g1' }, { name: 'g2', doc_string: 'second' }] },
        { name: 'ref', ref_attr_name: 'outer', type: AttributeType.INT, doc_string: 'from the function' },
      ],
    },
  ],
  name: 'main',
  initializer: [
    { name: 'W', dims: [1, 2], data_type: DataType.FLOAT, raw_data: new Uint8Array(new Float32Array([1, 2]).buffer) },
    { name: 'lens', dims: [2], data_type: DataType.INT32, int32_data: Int32Array.from([3, -3]) },
  ],
  doc_string: 'graph docs',
  input: [
    {
      name: 'X',
      doc_string: 'input',
      type: {
        tensor_type: {
          elem_type: DataType.FLOAT,
          shape: { dim: [{ dim_param: 'T' }, { dim_value: 4 }, { dim_value: 0, denotation: 'DATA_FEATURE' }, {}] },
        },
        denotation: 'TENSOR',
      },
    },
  ],
  output: [{ name: 'Y_h', type: { tensor_type: { elem_type: DataType.FLOAT } } }],
  value_info: [{ name: 'mid' }],
};

const modelSample: Init<ModelProto> = {
  ir_version: 10,
  opset_import: [
    { domain: '', version: 22 },
    { domain: 'com.microsoft', version: 1 },
  ],
  producer_name: 'gatedrnn',
  producer_version: '0.1.0',
  domain: 'ai.gatedrnn',
  model_version: -42n,
  doc_string: 'ünïcode 😀',
  graph: graphSample,
  metadata_props: [
    { key: 'k', value: 'v' },
    { key: '', value: '' },
  ],
};

const SAMPLES: { [K in keyof typeof Messages]: unknown } = {
  ModelProto: modelSample,
  OperatorSetIdProto: { domain: 'ai.onnx.ml', version: 3 },
  GraphProto: graphSample,
  NodeProto: (graphSample.node as object[])[0],
  AttributeProto: { name: 'ints', type: AttributeType.INTS, ints: [-1n, INT64_MAX], floats: [1, 2], strings: [utf8('')] },
  ValueInfoProto: (graphSample.input as object[])[0],
  TypeProto: { tensor_type: { elem_type: DataType.INT64, shape: { dim: [{ dim_value: 1 }] } } },
  TypeProtoTensor: { elem_type: DataType.INT32, shape: { dim: [] } },
  TensorShapeProto: { dim: [{ dim_value: Number.MAX_SAFE_INTEGER }, { dim_param: 'batch' }, { dim_value: -1 }] },
  TensorShapeDimension: { dim_param: 'N', denotation: 'DATA_BATCH' },
  TensorProto: tensorSample,
  StringStringEntryProto: { key: 'location', value: 'weights.bin' },
};
const MESSAGE_KEYS = Object.keys(Messages) as (keyof typeof Messages)[];

function typeOf(key: keyof typeof Messages): MessageType<unknown> {
  return Messages[key] as MessageType<unknown>;
}

/** Unknown fields of every wire type, at field numbers no ONNX message uses. */
function unknownFields(): Uint8Array {
  const w = new Writer();
  w.tag(1000, WireType.VARINT).int64(-1);
  w.tag(1001, WireType.I64).fixed64(0x0123456789abcdefn);
  w.tag(1002, WireType.LEN).bytes(Uint8Array.from([8, 1, 18, 0])); // looks like a message; still skipped
  w.tag(1003, WireType.I32).fixed32(0xffffffff);
  w.tag(15, WireType.LEN).bytes(new Uint8Array(0)); // an unused number below the modeled ones
  return w.finish();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

// ---------------------------------------------------------------------------------------------

describe('round trips against protobufjs, every message type', () => {
  test.each(MESSAGE_KEYS)('%s: our encoding is byte-identical to protobufjs (packed) and decodes there', (key) => {
    const ours = encodeMessage(typeOf(key), SAMPLES[key] as Init<unknown>);
    expect(hex(ours)).toBe(hex(pbEncode(packedRoot, key, SAMPLES[key])));
    expect(norm(pbDecode(key, ours))).toEqual(norm(toPbjs(SAMPLES[key])));
  });

  test.each(MESSAGE_KEYS)('%s: we decode protobufjs output, packed and unpacked, to the sample', (key) => {
    for (const root of [packedRoot, unpackedRoot]) {
      const bytes = pbEncode(root, key, SAMPLES[key]);
      const decoded = decodeMessage(typeOf(key), bytes);
      expect(norm(decoded)).toEqual(norm(pbDecode(key, bytes)));
      expect(norm(decoded)).toEqual(norm(toPbjs(SAMPLES[key])));
    }
    // The unpacked encoding really is different bytes (so both paths were taken).
    if (key === 'TensorProto' || key === 'AttributeProto') {
      expect(hex(pbEncode(unpackedRoot, key, SAMPLES[key]))).not.toBe(hex(pbEncode(packedRoot, key, SAMPLES[key])));
    }
  });

  test.each(MESSAGE_KEYS)('%s: unknown fields of every wire type are skipped, before and after known ones', (key) => {
    const body = encodeMessage(typeOf(key), SAMPLES[key] as Init<unknown>);
    const expected = norm(decodeMessage(typeOf(key), body));
    expect(norm(decodeMessage(typeOf(key), concat(unknownFields(), body, unknownFields())))).toEqual(expected);
  });

  test.each(MESSAGE_KEYS)('%s: the empty message decodes to empty repeated fields and encodes to nothing', (key) => {
    const decoded = decodeMessage(typeOf(key), new Uint8Array(0)) as Record<string, unknown>;
    for (const v of Object.values(decoded)) expect((v as ArrayLike<unknown>).length).toBe(0);
    expect(norm(decoded)).toEqual(norm(pbDecode(key, new Uint8Array(0))));
    expect(encodeMessage(typeOf(key), {} as Init<unknown>).byteLength).toBe(0);
  });

  test('decoded values have the documented JS types', () => {
    const m = decodeModel(encodeModel(modelSample));
    expect(typeof m.ir_version).toBe('number');
    expect(m.model_version).toBe(-42n);
    expect(typeof m.opset_import[0].version).toBe('number');
    const attrs = m.graph!.node[0].attribute;
    expect(attrs.find((a) => a.name === 'neg')!.i).toBe(-3n);
    expect(attrs.find((a) => a.name === 'ends')!.ints).toEqual([INT64_MAX, INT64_MIN, -1n, 0n]);
    expect(attrs.find((a) => a.name === 'clip')!.f).toBe(0.5);
    expect(attrs.find((a) => a.name === 'value')!.t!.int64_data).toEqual(BigInt64Array.from([-7n]));
    const t = decodeTensor(encodeTensor(tensorSample));
    expect(t.dims).toEqual([2, 0, 3]);
    expect(t.float_data).toBeInstanceOf(Float32Array);
    expect(t.int64_data).toEqual(BigInt64Array.from([INT64_MIN, -1n, 0n, INT64_MAX]));
    expect(t.uint64_data).toEqual(BigUint64Array.from([0n, (1n << 64n) - 1n]));
    // Absent singular fields stay absent (proto2 presence); repeated ones are empty.
    const empty = decodeMessage(Messages.AttributeProto, new Uint8Array(0));
    expect('i' in empty).toBe(false);
    expect(empty.ints).toEqual([]);
  });

  test('the dim oneof keeps only the last member on the wire', () => {
    const w = new Writer();
    w.tag(1, WireType.VARINT).uint32(7);
    w.tag(2, WireType.LEN).string('N');
    expect(decodeMessage(Messages.TensorShapeDimension, w.finish())).toEqual({ dim_param: 'N' });
    w.tag(1, WireType.VARINT).uint32(9);
    expect(decodeMessage(Messages.TensorShapeDimension, w.finish())).toEqual({ dim_value: 9 });
  });

  test.each(['sequence_type', 'map_type', 'sparse_tensor_type', 'optional_type'])(
    'TypeProto with %s decodes as unsupported instead of failing; encoding it is an error',
    (kind) => {
      const inner =
        kind === 'map_type'
          ? { key_type: DataType.INT64, value_type: {} }
          : kind === 'sparse_tensor_type'
            ? { elem_type: 1 }
            : { elem_type: {} };
      const bytes = pbEncode(packedRoot, 'TypeProto', { [kind]: inner, denotation: 'X' });
      const t = decodeMessage(Messages.TypeProto, bytes);
      expect(t).toEqual({ unsupported: kind, denotation: 'X' });
      expect(() => encodeMessage(Messages.TypeProto, t)).toThrow(`encode TypeProto: cannot write a value of kind '${kind}'`);
      // Inside a model it names the value kind for the loader to report, and the parse goes on.
      const model = decodeModel(pbEncode(packedRoot, 'ModelProto', { graph: { input: [{ name: 'seq', type: { [kind]: inner } }] } }));
      expect(model.graph!.input[0].type).toEqual({ unsupported: kind });
    },
  );

  test('packed and unpacked runs of one repeated field concatenate, as protobuf allows', () => {
    const w = new Writer();
    w.tag(8, WireType.VARINT).int64(-1);
    w.tag(8, WireType.LEN);
    const start = w.fork();
    w.int64(2).int64(INT64_MAX);
    w.ldelim(start);
    w.tag(8, WireType.VARINT).int64(4);
    expect(decodeMessage(Messages.AttributeProto, w.finish()).ints).toEqual([-1n, 2n, INT64_MAX, 4n]);
  });

  test('the encoder rejects values of the wrong type, naming the message and field', () => {
    expect(() => encodeModel({ ir_version: 1.5 })).toThrow(
      'encode ModelProto: expected ir_version to be an int64 (a bigint, or a number that is a safe integer), but received 1.5 of type number',
    );
    expect(() => encodeModel({ producer_name: 7 as unknown as string })).toThrow('expected producer_name to be a string');
    expect(() => encodeTensor({ raw_data: [1, 2] as unknown as Uint8Array })).toThrow(
      'encode TensorProto: expected raw_data to be a Uint8Array',
    );
    expect(() => encodeTensor({ data_type: 2 ** 31 })).toThrow('expected data_type to be an int32');
    expect(() => encodeTensor({ dims: 3 as unknown as number[] })).toThrow('expected dims to be an array');
    expect(() => encodeTensor({ int64_data: [1n << 63n] as unknown as BigInt64Array })).toThrow('int64_data');
  });

  test('decode rejects input that is not a Uint8Array with a TypeError', () => {
    expect(() => decodeModel('model.onnx' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => decodeModel(new Float32Array(4) as unknown as Uint8Array)).toThrow(
      'expected bytes to be a Uint8Array (or Buffer), but received Float32Array(4)',
    );
    expect(decodeModel(Buffer.from([0x08, 0x07])).ir_version).toBe(7);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ONNX conformance files', () => {
  test('all 12 cases are there', () => {
    expect(CASES).toHaveLength(12);
  });

  test.each(CASES)('%s: model.onnx decodes as protobufjs decodes it, and as the test helpers read it', (name) => {
    const bytes = fs.readFileSync(modelPath(name));
    const ours = decodeModel(bytes);
    expect(norm(ours)).toEqual(norm(pbDecode('ModelProto', bytes)));

    const helper = parseRnnModel(bytes, name);
    const node = ours.graph!.node[0];
    expect(ours.graph!.node).toHaveLength(1);
    expect(node.op_type).toBe(helper.opType);
    expect(node.input).toEqual(helper.nodeInputs);
    expect(node.output).toEqual(helper.nodeOutputs);
    expect(ours.graph!.input.map((v) => v.name)).toEqual(helper.graphInputs);
    expect(ours.graph!.output.map((v) => v.name)).toEqual(helper.graphOutputs);
    expect(ours.opset_import.find((o) => !o.domain)!.version).toBe(helper.opset);
    for (const a of node.attribute) {
      const v = helper.attrs[a.name!];
      if (a.type === AttributeType.INT) expect(Number(a.i)).toBe(v);
      else if (a.type === AttributeType.FLOAT) expect(a.f).toBe(v);
      else if (a.type === AttributeType.STRING) expect(Buffer.from(a.s!).toString()).toBe(v);
      else if (a.type === AttributeType.STRINGS) expect(a.strings.map((s) => Buffer.from(s).toString())).toEqual(v);
      else if (a.type === AttributeType.FLOATS) expect(a.floats).toEqual(v);
      else expect(a.ints.map(Number)).toEqual(v);
    }
    // Our canonical re-encoding (packed dims) decodes to the same model in protobufjs.
    expect(norm(pbDecode('ModelProto', encodeModel(ours)))).toEqual(norm(ours));
  });

  test.each(CASES)('%s: every .pb tensor decodes to the data the test helpers read', (name) => {
    const dir = path.join(CONFORMANCE_DIR, name, 'test_data_set_0');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.pb'));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(dir, file));
      const t = decodeTensor(bytes);
      expect(norm(t)).toEqual(norm(pbDecode('TensorProto', bytes)));
      const typed = tensorToTyped(t);
      const expected = readTensorPb(path.join(dir, file));
      expect(typed.type).toBe(expected.type);
      expect(typed.dims).toEqual([...expected.dims]);
      expect(typed.data).toEqual(expected.data);
      expect(t.name).toBe(expected.name);
    }
  });
});

describe('what we write runs in onnxruntime-node', () => {
  const ORT_CASES = CASES.filter((n) => !n.endsWith('_batchwise')); // onnxruntime rejects layout = 1

  test.each(ORT_CASES)('%s decoded and re-encoded gives the expected outputs', async (name) => {
    const c = loadConformanceCase(path.join(CONFORMANCE_DIR, name));
    const bytes = encodeModel(decodeModel(fs.readFileSync(modelPath(name))));
    const got = await runOrt(bytes, graphFeeds(c));
    for (const [out, expected] of Object.entries(graphOutputs(c))) {
      expectClose(got[out], expected, { atol: 1e-5, rtol: 0, label: `${name} ${out}` });
    }
  });

  test('a model built from scratch, weights as raw_data initializers from typedToTensorProto', async () => {
    const name = 'test_lstm_with_peepholes';
    const c = loadConformanceCase(path.join(CONFORMANCE_DIR, name));
    const original = decodeModel(fs.readFileSync(modelPath(name)));
    const node = original.graph!.node[0];
    const slots = ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h', 'initial_c', 'P'] as const;
    const weights = new Set(['W', 'R', 'B', 'P']);
    const graphInputs = original.graph!.input.filter((v) => !weights.has(slots[node.input.indexOf(v.name!)]));
    const initializer = node.input
      .map((valueName, pos) => ({ valueName, slot: slots[pos] }))
      .filter(({ slot }) => weights.has(slot))
      .map(({ valueName, slot }) => typedToTensorProto(valueName, c.inputs[slot]!));
    const bytes = encodeModel({
      ir_version: 8,
      opset_import: [{ domain: '', version: original.opset_import[0].version }],
      producer_name: 'gatedrnn-tests',
      graph: { name: 'lstm', node: [node], initializer, input: graphInputs, output: original.graph!.output },
    });
    const feeds = Object.fromEntries(Object.entries(graphFeeds(c)).filter(([k]) => graphInputs.some((v) => v.name === k)));
    const got = await runOrt(bytes, feeds);
    for (const [out, expected] of Object.entries(graphOutputs(c))) {
      expectClose(got[out], expected, { atol: 1e-5, rtol: 0, label: out });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('tensors', () => {
  const raw = (arr: Float32Array | Int32Array | BigInt64Array): Uint8Array => new Uint8Array(arr.buffer.slice(0));

  test.each([
    ['float32', DataType.FLOAT, Float32Array.from([1.5, -2, 3e-7, 0])],
    ['int32', DataType.INT32, Int32Array.from([1, -2, 2 ** 31 - 1, 0])],
    ['int64', DataType.INT64, BigInt64Array.from([1n, -2n, INT64_MAX, INT64_MIN])],
  ] as const)('%s: raw_data and typed fields both convert; the result is an aligned copy', (type, dataType, data) => {
    // raw_data at an odd offset inside a larger buffer, as in a real file.
    const file = new Uint8Array(data.byteLength + 3);
    file.set(raw(data), 3);
    const viaRaw = tensorToTyped({ ...typedToTensorProto('t', { type, data, dims: [2, 2] }), raw_data: file.subarray(3) });
    expect(viaRaw).toEqual({ type, data, dims: [2, 2] });
    expect(viaRaw.data.byteOffset).toBe(0);
    expect(viaRaw.data.buffer).not.toBe(file.buffer);

    const field = type === 'float32' ? 'float_data' : type === 'int32' ? 'int32_data' : 'int64_data';
    const viaField = tensorToTyped(decodeTensor(encodeTensor({ dims: [4], data_type: dataType, [field]: data })));
    expect(viaField).toEqual({ type, data, dims: [4] });

    const proto = typedToTensorProto('t', { type, data, dims: [4] });
    expect(proto).toMatchObject({ name: 't', dims: [4], data_type: dataType });
    expect(tensorToTyped(decodeTensor(encodeTensor(proto)))).toEqual({ type, data, dims: [4] });
    // raw_data is little-endian, exactly what protobufjs/the helpers read.
    expect(hex(proto.raw_data!)).toBe(hex(raw(data)));
  });

  test('a scalar (dims []) holds one element', () => {
    expect(tensorToTyped(decodeTensor(encodeTensor({ data_type: DataType.FLOAT, float_data: f32(4) })))).toEqual({
      type: 'float32',
      data: f32(4),
      dims: [],
    });
  });

  test.each([
    [DataType.DOUBLE, 'DOUBLE (11)'],
    [DataType.BOOL, 'BOOL (9)'],
    [DataType.UINT8, 'UINT8 (2)'],
    [DataType.FLOAT16, 'FLOAT16 (10)'],
    [99, 'unknown data type 99'],
  ])('data type %i is rejected by name: %s', (dataType, shown) => {
    const t = decodeTensor(encodeTensor({ name: 'w', data_type: dataType, dims: [0] }));
    expect(() => tensorToTyped(t)).toThrow(
      `tensorToTyped: tensor 'w' has data type ${shown}; gatedrnn supports FLOAT (float32), INT32 (int32) and INT64 (int64)`,
    );
  });

  test.each([
    [DataType.BOOL, 1],
    [DataType.UINT8, 1],
    [DataType.INT8, 1],
    [DataType.INT32, 4],
    [DataType.FLOAT, 4],
    [DataType.INT64, 8],
    [DataType.DOUBLE, 8],
  ])('data type %i: raw_data must hold exactly dims x %i bytes', (dataType, size) => {
    expect(decodeTensor(encodeTensor({ data_type: dataType, dims: [3], raw_data: new Uint8Array(3 * size) })).dims).toEqual([3]);
    for (const n of [3 * size - 1, 3 * size + 1]) {
      const e = catchParseError(() =>
        decodeTensor(encodeTensor({ name: 'x', data_type: dataType, dims: [3], raw_data: new Uint8Array(n) })),
      );
      expect(e.field).toBe('raw_data');
      expect(e.detail).toMatch(
        new RegExp(`^tensor 'x' has dims \\[3\\]: 3 \\w+ elements need ${3 * size} bytes, but raw_data holds ${n}$`),
      );
    }
  });

  test('a typed field must hold exactly the declared number of values', () => {
    const e = catchParseError(() =>
      decodeTensor(encodeTensor({ name: 'b', data_type: DataType.FLOAT, dims: [2, 3], float_data: f32(1, 2) })),
    );
    expect(e.message).toBe(
      "ONNX: TensorProto.float_data at byte 0: tensor 'b' has dims [2, 3]: 6 FLOAT elements need 6 values in float_data, but it holds 2",
    );
    // No data at all for a non-empty tensor is the same error.
    expect(() => decodeTensor(encodeTensor({ data_type: DataType.INT64, dims: [1] }))).toThrow(
      /need 1 values in int64_data, but it holds 0/,
    );
  });

  test('typedToTensorProto checks its tensor', () => {
    expect(() => typedToTensorProto('w', { type: 'float64', data: new Float64Array(1), dims: [1] })).toThrow(
      "typedToTensorProto: expected w.type to be 'float32', 'int32' or 'int64', but received \"float64\" of type string",
    );
    expect(() => typedToTensorProto('w', { type: 'float32', data: new Float32Array(3), dims: [2] })).toThrow(/w\.data\.length/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('hostile input', () => {
  // A real model with raw_data initializers: the peephole LSTM with its weights moved inside.
  function modelWithWeights(): Uint8Array {
    const name = 'test_lstm_with_peepholes';
    const c = loadConformanceCase(path.join(CONFORMANCE_DIR, name));
    const m = decodeModel(fs.readFileSync(modelPath(name)));
    m.graph!.initializer = (['W', 'R', 'B', 'P'] as const).map((slot) => typedToTensorProto(slot, c.inputs[slot]!));
    return encodeModel(m);
  }
  const MODELS = {
    'test_lstm_with_peepholes/model.onnx': fs.readFileSync(modelPath('test_lstm_with_peepholes')),
    'the same with weights inside': modelWithWeights(),
  };

  /** Offsets where a top-level field ends: a file cut there is a valid, shorter ModelProto. */
  function topLevelBoundaries(bytes: Uint8Array): Set<number> {
    const ends = new Set<number>([0]);
    const r = new Reader(bytes);
    while (r.pos < r.end) {
      r.skip(r.tag() & 7);
      ends.add(r.pos);
    }
    return ends;
  }

  test.each(Object.keys(MODELS))('%s truncated at every byte: an OnnxParseError unless cut between top-level fields', (label) => {
    const bytes = MODELS[label as keyof typeof MODELS];
    const boundaries = topLevelBoundaries(bytes);
    let errors = 0;
    for (let cut = 0; cut < bytes.byteLength; cut++) {
      const prefix = bytes.subarray(0, cut);
      if (boundaries.has(cut)) {
        expect(() => decodeModel(prefix)).not.toThrow();
        continue;
      }
      catchParseError(() => decodeModel(prefix));
      errors++;
    }
    expect(errors).toBeGreaterThan(bytes.byteLength - 10);
  });

  test('every .pb tensor of a case truncated at every byte: an OnnxParseError unless cut between fields', () => {
    const dir = path.join(CONFORMANCE_DIR, 'test_lstm_with_peepholes', 'test_data_set_0');
    for (const file of fs.readdirSync(dir)) {
      const bytes = fs.readFileSync(path.join(dir, file));
      const boundaries = topLevelBoundaries(bytes);
      for (let cut = 0; cut < bytes.byteLength; cut++) {
        const prefix = bytes.subarray(0, cut);
        if (!boundaries.has(cut)) catchParseError(() => decodeTensor(prefix));
        else {
          // A cut between fields may still be a whole tensor (e.g. one without its name) or miss data.
          try {
            decodeTensor(prefix);
          } catch (e) {
            expect(e).toBeInstanceOf(OnnxParseError);
          }
        }
      }
    }
  });

  /** Runs `decodeModel` on each input; returns the non-OnnxParseError failures and how many decoded. */
  function fuzz(inputs: Iterable<Uint8Array>): { decoded: number; rejected: number; bad: string[] } {
    const out = { decoded: 0, rejected: 0, bad: [] as string[] };
    for (const input of inputs) {
      try {
        decodeModel(input);
        out.decoded++;
      } catch (e) {
        if (e instanceof OnnxParseError) out.rejected++;
        else out.bad.push(`${String(e)} for input ${hex(input).slice(0, 200)}`);
      }
    }
    return out;
  }

  test('2,000 seeded random byte strings: each decodes or throws OnnxParseError, quickly', () => {
    const rng = mulberry32(20240611);
    function* inputs(): Generator<Uint8Array> {
      for (let k = 0; k < 2000; k++) {
        const n = Math.floor(rng() * 600);
        // Half of them start like a model (graph field, then a node) so the parser goes deeper.
        const b = Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
        if (k % 2 === 0 && n > 4) b.set([0x3a, Math.min(n - 2, 127), 0x0a, Math.min(n - 4, 127)]);
        yield b;
      }
    }
    const t0 = Date.now();
    const r = fuzz(inputs());
    expect(r.bad).toEqual([]);
    expect(r.decoded + r.rejected).toBe(2000);
    expect(Date.now() - t0).toBeLessThan(10000);
  });

  test('2,000 seeded single-byte mutations of a real model: each decodes or throws OnnxParseError', () => {
    const rng = mulberry32(7);
    const base = MODELS['the same with weights inside'];
    function* inputs(): Generator<Uint8Array> {
      for (let k = 0; k < 2000; k++) {
        const b = base.slice();
        b[Math.floor(rng() * b.byteLength)] = Math.floor(rng() * 256);
        yield b;
      }
    }
    const t0 = Date.now();
    const r = fuzz(inputs());
    expect(r.bad).toEqual([]);
    expect(r.rejected).toBeGreaterThan(100); // the mutations do reach the checks
    expect(Date.now() - t0).toBeLessThan(10000);
  });

  test.each([
    ['2^31', 2n ** 31n],
    ['2^62', 2n ** 62n],
  ])('a length prefix of %s for the graph is rejected without allocating', (_label, n) => {
    const bytes = new Writer().tag(1, WireType.VARINT).uint32(8).tag(7, WireType.LEN).uint64(n).raw(new Uint8Array(5)).finish();
    const e = catchParseError(() => decodeModel(bytes));
    expect(e.message).toBe(`ONNX: ModelProto.graph at byte 2: length ${n} exceeds the 5 bytes left`);
  });

  test('a raw_data length past the end of its tensor names TensorProto.raw_data', () => {
    const tensor = concat(new Writer().tag(8, WireType.LEN).string('W').tag(9, WireType.LEN).uint32(4096).finish(), new Uint8Array(100));
    const graph = new Writer().tag(5, WireType.LEN).bytes(tensor).finish();
    const model = new Writer().tag(7, WireType.LEN).bytes(graph).finish();
    const e = catchParseError(() => decodeModel(model));
    // Byte 7: model tag + length (2), graph tag + length (2), the name field (3).
    expect(e.message).toBe('ONNX: TensorProto.raw_data at byte 7: length 4096 exceeds the 100 bytes left');
  });

  test('a varint of 11 bytes', () => {
    const bytes = Uint8Array.from([0x08, ...new Array(10).fill(0xff), 0x01]);
    expect(catchParseError(() => decodeModel(bytes)).message).toBe(
      'ONNX: ModelProto.ir_version at byte 0: varint is longer than 10 bytes or wider than 64 bits',
    );
  });

  /** GraphProto -> NodeProto -> AttributeProto.g -> GraphProto ..., `levels` times, inside a model. */
  function nestedGraphs(levels: number): Uint8Array {
    let graph = new Writer().tag(2, WireType.LEN).string('leaf').finish();
    for (let k = 0; k < levels; k++) {
      const attr = new Writer()
        .tag(1, WireType.LEN)
        .string('body')
        .tag(6, WireType.LEN)
        .bytes(graph)
        .tag(20, WireType.VARINT)
        .uint32(AttributeType.GRAPH)
        .finish();
      const node = new Writer().tag(4, WireType.LEN).string('Loop').tag(5, WireType.LEN).bytes(attr).finish();
      graph = new Writer().tag(1, WireType.LEN).bytes(node).finish();
    }
    return new Writer().tag(7, WireType.LEN).bytes(graph).finish();
  }

  test('messages nested 1,000 deep are rejected with a clear error; 20 subgraph levels are fine', () => {
    const e = catchParseError(() => decodeModel(nestedGraphs(1000)));
    expect(e.detail).toBe('messages nest more than 64 deep (a malformed or hostile file)');
    let g = decodeModel(nestedGraphs(20)).graph!;
    for (let k = 0; k < 20; k++) g = g.node[0].attribute[0].g!;
    expect(g.name).toBe('leaf');
    expect(() => decodeModel(nestedGraphs(20), { maxDepth: 30 })).toThrow(/nest more than 30 deep/);
    expect(() => decodeModel(nestedGraphs(1), { maxDepth: NaN })).toThrow(
      'decode ModelProto: expected options.maxDepth to be a non-negative integer, but received NaN',
    );
  });

  test('a tensor declaring dims [1e9, 1e9] with 4 bytes of raw_data fails before any allocation', () => {
    const bytes = encodeTensor({ name: 'huge', dims: [1e9, 1e9], data_type: DataType.FLOAT, raw_data: new Uint8Array(4) });
    const e = catchParseError(() => decodeTensor(bytes));
    expect(e.message).toBe(
      "ONNX: TensorProto.raw_data at byte 0: tensor 'huge' has dims [1000000000, 1000000000]: about 1.00e+18 FLOAT elements need about 4.00e+18 bytes, but raw_data holds 4",
    );
    // The same tensor as a model initializer, and with dims whose product overflows to Infinity.
    const dims = new Array(20).fill(2 ** 52);
    const model = encodeModel({ graph: { initializer: [{ name: 'huge', dims, data_type: DataType.INT64, raw_data: new Uint8Array(8) }] } });
    expect(catchParseError(() => decodeModel(model)).detail).toMatch(
      /^tensor 'huge' has dims \[4503599627370496, .*, \.\.\. \(20 dims\)\]: about Infinity INT64 elements need about Infinity bytes, but raw_data holds 8$/,
    );
  });

  test('negative dims are rejected', () => {
    const bytes = pbEncode(unpackedRoot, 'TensorProto', { name: 'n', dims: ['2', '-1'], data_type: 1 });
    const e = catchParseError(() => decodeTensor(bytes));
    expect(e.message).toBe('ONNX: TensorProto.dims at byte 2: -1 is negative');
  });

  test('external data is an explicit error naming the tensor', () => {
    const ext = { name: 'W', dims: [4], data_type: DataType.FLOAT, data_location: 1, external_data: [{ key: 'location', value: 'w.bin' }] };
    const model = encodeModel({ graph: { name: 'g', initializer: [ext] } });
    const e = catchParseError(() => decodeModel(model));
    expect(e.messageType).toBe('TensorProto');
    expect(e.detail).toBe(
      "tensor 'W': external data is not supported (its data lives in another file); save the model with its weights inside the .onnx file",
    );
    // external_data entries without data_location are treated the same way.
    expect(() => decodeTensor(encodeTensor({ ...ext, data_location: undefined }))).toThrow(/external data is not supported/);
  });

  test('a known field with the wrong wire type is an error naming the field', () => {
    const bytes = new Writer().tag(7, WireType.VARINT).uint32(3).finish();
    expect(catchParseError(() => decodeModel(bytes)).message).toBe(
      'ONNX: ModelProto.graph at byte 0: wire type varint, expected length-delimited',
    );
    const dims = new Writer().tag(1, WireType.I32).fixed32(3).finish();
    expect(catchParseError(() => decodeTensor(dims)).detail).toBe('wire type fixed32, expected varint or packed');
    const floats = new Writer().tag(4, WireType.LEN).bytes(new Uint8Array(6)).finish();
    expect(catchParseError(() => decodeTensor(floats)).detail).toBe('packed float run of 6 bytes is not a multiple of 4');
  });

  test('a varint in a packed run cannot read past the run', () => {
    // int64_data packed run of 1 byte (0x80: a varint that wants more), followed by a valid field.
    const bytes = new Writer()
      .tag(7, WireType.LEN)
      .uint32(1)
      .raw(Uint8Array.from([0x80]))
      .tag(8, WireType.LEN)
      .string('x')
      .finish();
    expect(catchParseError(() => decodeTensor(bytes)).detail).toBe(
      'truncated varint: the end of the enclosing message comes after 1 of its bytes',
    );
  });
});
