// The subset of onnx.proto that gatedrnn's loader and exporter use, as TypeScript types and
// codec tables. Field numbers are onnx.proto's (IR version 10); fields not listed here (e.g.
// ModelProto.functions, sparse initializers, metadata_props on nodes and graphs) are skipped when
// decoding, like any unknown field, and never written.
//
// Decoded messages are plain objects: singular fields present only when on the wire, repeated
// fields always arrays. 64-bit integers are bigint where values may exceed 2^53 (attribute ints,
// model_version, uint64 data) and numbers, range-checked, where they are counts, dims or
// versions. TensorProto.raw_data is a view into the input, and every decoded TensorProto has
// been checked to hold exactly the data its dims declare (see tensors.ts).

import {
  type DecodeOptions,
  type FieldKind,
  type FieldSpec,
  type Init,
  type MessageType,
  decodeMessage,
  encodeMessage,
  messageType,
} from './codec';
import { checkTensorData } from './tensors';
import type { StringStringEntryProto, TensorProto } from './tensors';

export { OnnxParseError, Reader, Writer, WireType } from './wire';
export type { DecodeOptions, Init, MessageType } from './codec';
export { decodeMessage, encodeMessage } from './codec';
export { DataLocation, DataType, dataTypeName, tensorDataProblem, tensorToTyped, typedToTensorProto } from './tensors';
export type { StringStringEntryProto, TensorDataProblem, TensorProto, TypedTensor } from './tensors';

// ---------------------------------------------------------------------------------------------
// Types

export interface OperatorSetIdProto {
  /** '' or absent: the default domain (ai.onnx). */
  domain?: string;
  version?: number;
}

export interface TensorShapeDimension {
  /** A oneof with dim_param; may be negative in files from old exporters (meaning unknown). */
  dim_value?: number;
  dim_param?: string;
  denotation?: string;
}

export interface TensorShapeProto {
  dim: TensorShapeDimension[];
}

export interface TypeProtoTensor {
  elem_type?: number;
  shape?: TensorShapeProto;
}

/** Value kinds of TypeProto that gatedrnn does not model; decoding records which one it met. */
export type UnsupportedTypeKind = 'sequence_type' | 'map_type' | 'sparse_tensor_type' | 'optional_type';

export interface TypeProto {
  tensor_type?: TypeProtoTensor;
  /** Set instead of tensor_type when the value is a sequence, map, sparse tensor or optional. */
  unsupported?: UnsupportedTypeKind;
  denotation?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
}

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface AttributeProto {
  name?: string;
  ref_attr_name?: string;
  doc_string?: string;
  /** AttributeType; says which value field below is meant. */
  type?: number;
  f?: number;
  i?: bigint;
  /** Bytes (usually UTF-8), a view into the input. */
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute: AttributeProto[];
  doc_string?: string;
}

export interface GraphProto {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  doc_string?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
}

export interface ModelProto {
  ir_version?: number;
  opset_import: OperatorSetIdProto[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: bigint;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props: StringStringEntryProto[];
}

// ---------------------------------------------------------------------------------------------
// Codec tables, one line per field, as in onnx.proto

interface FieldOptions {
  repeated?: boolean;
  typed?: (values: unknown[]) => ArrayLike<unknown>;
  oneof?: string;
  nonNegative?: boolean;
}

function field(no: number, name: string, kind: FieldKind | (() => MessageType<unknown>), opts: FieldOptions = {}): FieldSpec {
  return typeof kind === 'function' ? { no, name, kind: 'message', message: kind, ...opts } : { no, name, kind, ...opts };
}

const REPEATED = { repeated: true };
const asFloat32 = (v: unknown[]): Float32Array => Float32Array.from(v as number[]);
const asInt32 = (v: unknown[]): Int32Array => Int32Array.from(v as number[]);
const asFloat64 = (v: unknown[]): Float64Array => Float64Array.from(v as number[]);
const asBigInt64 = (v: unknown[]): BigInt64Array => BigInt64Array.from(v as bigint[]);
const asBigUint64 = (v: unknown[]): BigUint64Array => BigUint64Array.from(v as bigint[]);

// Thunks (`() => X`) let messages refer to ones defined later (GraphProto <-> AttributeProto).

const StringStringEntry: MessageType<StringStringEntryProto> = messageType('StringStringEntryProto', [
  field(1, 'key', 'string'),
  field(2, 'value', 'string'),
]);

const OperatorSetId: MessageType<OperatorSetIdProto> = messageType('OperatorSetIdProto', [
  field(1, 'domain', 'string'),
  field(2, 'version', 'int64n'),
]);

const Tensor: MessageType<TensorProto> = messageType<TensorProto>(
  'TensorProto',
  [
    field(1, 'dims', 'int64n', { repeated: true, nonNegative: true }),
    field(2, 'data_type', 'int32'),
    field(4, 'float_data', 'float', { repeated: true, typed: asFloat32 }),
    field(5, 'int32_data', 'int32', { repeated: true, typed: asInt32 }),
    field(7, 'int64_data', 'int64', { repeated: true, typed: asBigInt64 }),
    field(8, 'name', 'string'),
    field(9, 'raw_data', 'bytes'),
    field(10, 'double_data', 'double', { repeated: true, typed: asFloat64 }),
    field(11, 'uint64_data', 'uint64', { repeated: true, typed: asBigUint64 }),
    field(12, 'doc_string', 'string'),
    field(13, 'external_data', () => StringStringEntry, REPEATED),
    field(14, 'data_location', 'int32'),
  ],
  checkTensorData,
);

const Dimension: MessageType<TensorShapeDimension> = messageType('TensorShapeProto.Dimension', [
  field(1, 'dim_value', 'int64n', { oneof: 'value' }),
  field(2, 'dim_param', 'string', { oneof: 'value' }),
  field(3, 'denotation', 'string'),
]);

const TensorShape: MessageType<TensorShapeProto> = messageType('TensorShapeProto', [field(1, 'dim', () => Dimension, REPEATED)]);

const TypeTensor: MessageType<TypeProtoTensor> = messageType('TypeProto.Tensor', [
  field(1, 'elem_type', 'int32'),
  field(2, 'shape', () => TensorShape),
]);

const Type: MessageType<TypeProto> = messageType('TypeProto', [
  field(1, 'tensor_type', () => TypeTensor, { oneof: 'value' }),
  field(4, 'sequence_type', 'unsupported', { oneof: 'value' }),
  field(5, 'map_type', 'unsupported', { oneof: 'value' }),
  field(6, 'denotation', 'string'),
  field(8, 'sparse_tensor_type', 'unsupported', { oneof: 'value' }),
  field(9, 'optional_type', 'unsupported', { oneof: 'value' }),
]);

const ValueInfo: MessageType<ValueInfoProto> = messageType('ValueInfoProto', [
  field(1, 'name', 'string'),
  field(2, 'type', () => Type),
  field(3, 'doc_string', 'string'),
]);

const Attribute: MessageType<AttributeProto> = messageType('AttributeProto', [
  field(1, 'name', 'string'),
  field(2, 'f', 'float'),
  field(3, 'i', 'int64'),
  field(4, 's', 'bytes'),
  field(5, 't', () => Tensor),
  field(6, 'g', () => Graph),
  field(7, 'floats', 'float', REPEATED),
  field(8, 'ints', 'int64', REPEATED),
  field(9, 'strings', 'bytes', REPEATED),
  field(10, 'tensors', () => Tensor, REPEATED),
  field(11, 'graphs', () => Graph, REPEATED),
  field(13, 'doc_string', 'string'),
  field(20, 'type', 'int32'),
  field(21, 'ref_attr_name', 'string'),
]);

const Node: MessageType<NodeProto> = messageType('NodeProto', [
  field(1, 'input', 'string', REPEATED),
  field(2, 'output', 'string', REPEATED),
  field(3, 'name', 'string'),
  field(4, 'op_type', 'string'),
  field(5, 'attribute', () => Attribute, REPEATED),
  field(6, 'doc_string', 'string'),
  field(7, 'domain', 'string'),
]);

const Graph: MessageType<GraphProto> = messageType('GraphProto', [
  field(1, 'node', () => Node, REPEATED),
  field(2, 'name', 'string'),
  field(5, 'initializer', () => Tensor, REPEATED),
  field(10, 'doc_string', 'string'),
  field(11, 'input', () => ValueInfo, REPEATED),
  field(12, 'output', () => ValueInfo, REPEATED),
  field(13, 'value_info', () => ValueInfo, REPEATED),
]);

const Model: MessageType<ModelProto> = messageType('ModelProto', [
  field(1, 'ir_version', 'int64n'),
  field(2, 'producer_name', 'string'),
  field(3, 'producer_version', 'string'),
  field(4, 'domain', 'string'),
  field(5, 'model_version', 'int64'),
  field(6, 'doc_string', 'string'),
  field(7, 'graph', () => Graph),
  field(8, 'opset_import', () => OperatorSetId, REPEATED),
  field(14, 'metadata_props', () => StringStringEntry, REPEATED),
]);

/** Every message type this module models, for decodeMessage / encodeMessage. */
export const Messages = {
  ModelProto: Model,
  OperatorSetIdProto: OperatorSetId,
  GraphProto: Graph,
  NodeProto: Node,
  AttributeProto: Attribute,
  ValueInfoProto: ValueInfo,
  TypeProto: Type,
  TypeProtoTensor: TypeTensor,
  TensorShapeProto: TensorShape,
  TensorShapeDimension: Dimension,
  TensorProto: Tensor,
  StringStringEntryProto: StringStringEntry,
} as const;

// ---------------------------------------------------------------------------------------------
// Entry points

/** Decodes an .onnx file. Throws OnnxParseError (message, field, byte offset) on malformed input. */
export function decodeModel(bytes: Uint8Array, options?: DecodeOptions): ModelProto {
  return decodeMessage(Model, bytes, options);
}

/** Encodes a model canonically: fields in number order, repeated scalars packed. */
export function encodeModel(model: Init<ModelProto>): Uint8Array {
  return encodeMessage(Model, model, 4096);
}

/** Decodes a serialized TensorProto (e.g. the .pb files of ONNX's backend tests). */
export function decodeTensor(bytes: Uint8Array, options?: DecodeOptions): TensorProto {
  return decodeMessage(Tensor, bytes, options);
}

export function encodeTensor(tensor: Init<TensorProto>): Uint8Array {
  return encodeMessage(Tensor, tensor);
}
