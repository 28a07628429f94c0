// A small table-driven protobuf message codec over wire.ts.
//
// Each message is described once (field number, name, kind); one generic decoder and one generic
// encoder walk those tables. That keeps the ONNX schema in schema.ts a list of fields that can be
// checked against onnx.proto line by line, and gives every error the same shape: the message,
// the field and the byte offset come from the table rather than from hand-written messages.
//
// Decoded messages are plain objects. Singular fields are present only when they were on the
// wire (proto2 presence: ONNX distinguishes "absent" from "0" in places, e.g. an attribute's
// value); repeated fields are always present, empty when absent.

import { describe } from '../errors';
import { DEFAULT_MAX_DEPTH, Reader, WireType, Writer, wireTypeName } from './wire';

/**
 * How a field's value is read and written:
 * - int32: varint, low 32 bits signed (protobuf int32 and enums)
 * - int64: varint as a bigint (values an op may take up to 2^63 - 1, e.g. Slice ends)
 * - int64n: varint as a number, an error outside the safe integer range (counts, dims, versions)
 * - uint64: varint as an unsigned bigint
 * - float, double: fixed32 / fixed64 IEEE 754
 * - string, bytes: length-delimited; bytes are views into the input
 * - message: a nested message (see `message`)
 * - unsupported: a oneof member we do not model; its payload is skipped and its name recorded
 *   in the message's `unsupported` property so a consumer can say what it met
 */
export type ScalarKind = 'int32' | 'int64' | 'int64n' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';
export type FieldKind = ScalarKind | 'message' | 'unsupported';

export interface FieldSpec {
  readonly no: number;
  readonly name: string;
  readonly kind: FieldKind;
  readonly repeated?: boolean;
  /** For kind 'message': the nested type, as a thunk so messages can refer to each other. */
  readonly message?: () => MessageType<unknown>;
  /** For repeated numeric fields: converts the decoded list (e.g. to a Float32Array). */
  readonly typed?: (values: unknown[]) => ArrayLike<unknown>;
  /** Members of one oneof clear each other: the last one on the wire wins, as in protobuf. */
  readonly oneof?: string;
  /** For int64n: negative values are an error (tensor dims). */
  readonly nonNegative?: boolean;
}

export interface MessageType<T> {
  readonly name: string;
  /** Sorted by field number: the order the encoder writes them in (canonical encoding). */
  readonly fields: readonly FieldSpec[];
  /** Index by field number; holes for unknown numbers. */
  readonly byNo: readonly (FieldSpec | undefined)[];
  /** Runs on every decoded message of this type; `start` is its first byte in the input. */
  // Method syntax on purpose: it keeps MessageType<T> assignable to MessageType<unknown>.
  check?(message: T, start: number): void;
  /** Phantom: ties the descriptor to the decoded type. */
  readonly __type?: T;
}

export function messageType<T>(name: string, fields: FieldSpec[], check?: (message: T, start: number) => void): MessageType<T> {
  const sorted = [...fields].sort((a, b) => a.no - b.no);
  const byNo: (FieldSpec | undefined)[] = [];
  for (const f of sorted) {
    if (byNo[f.no]) throw new Error(`${name}: field number ${f.no} used twice`);
    byNo[f.no] = f;
  }
  return { name, fields: sorted, byNo, check };
}

/** Where `unsupported` oneof members record their name. */
const UNSUPPORTED_KEY = 'unsupported';

const SCALAR_WIRE: Record<ScalarKind, number> = {
  int32: WireType.VARINT,
  int64: WireType.VARINT,
  int64n: WireType.VARINT,
  uint64: WireType.VARINT,
  float: WireType.I32,
  double: WireType.I64,
  string: WireType.LEN,
  bytes: WireType.LEN,
};

function isPackable(kind: FieldKind): boolean {
  return kind !== 'string' && kind !== 'bytes' && kind !== 'message' && kind !== 'unsupported';
}

// ---------------------------------------------------------------------------------------------
// Decoding

export interface DecodeOptions {
  /** How deep messages may nest before the input is rejected; 64 by default. */
  maxDepth?: number;
}

/** Decodes a whole buffer as one message of `type`. */
export function decodeMessage<T>(type: MessageType<T>, bytes: Uint8Array, options: DecodeOptions = {}): T {
  // By tag, not instanceof: a Buffer or a Uint8Array from another realm (a vm context, jest) is fine.
  if (!ArrayBuffer.isView(bytes) || Object.prototype.toString.call(bytes) !== '[object Uint8Array]') {
    throw new TypeError(`decode ${type.name}: expected bytes to be a Uint8Array (or Buffer), but received ${describe(bytes)}`);
  }
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  // NaN or a negative limit would silently disable the check.
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new RangeError(`decode ${type.name}: expected options.maxDepth to be a non-negative integer, but received ${String(maxDepth)}`);
  }
  const r = new Reader(bytes, maxDepth);
  r.messageType = type.name;
  return readBody(r, type);
}

/** Reads fields until the reader's current end (the end of this message). */
function readBody<T>(r: Reader, type: MessageType<T>): T {
  const start = r.pos;
  const m: Record<string, unknown> = {};
  for (const f of type.fields) if (f.repeated) m[f.name] = [];

  const byNo = type.byNo;
  while (r.pos < r.end) {
    const tag = r.tag();
    const no = tag >>> 3;
    const wire = tag & 7;
    const f = no < byNo.length ? byNo[no] : undefined;
    if (f === undefined) {
      r.field = `<unknown field ${no}>`;
      r.skip(wire);
      continue;
    }
    r.field = f.name;
    readField(r, type, f, wire, m);
  }

  for (const f of type.fields) if (f.typed) m[f.name] = f.typed(m[f.name] as unknown[]);
  const message = m as T;
  type.check?.(message, start);
  return message;
}

function readField(r: Reader, type: MessageType<unknown>, f: FieldSpec, wire: number, m: Record<string, unknown>): void {
  if (f.kind === 'message' || f.kind === 'unsupported') {
    expectWire(r, wire, WireType.LEN);
    const length = r.length();
    if (f.kind === 'unsupported') {
      r.pos += length;
      clearOneof(type, f, m);
      m[UNSUPPORTED_KEY] = f.name;
      return;
    }
    const child = f.message!();
    const frame = r.enter(child.name, length);
    const value = readBody(r, child);
    r.leave(frame);
    store(type, f, m, value);
    return;
  }

  if (f.repeated && wire === WireType.LEN && isPackable(f.kind)) {
    readPacked(r, f, m[f.name] as unknown[]);
    return;
  }
  expectWire(r, wire, SCALAR_WIRE[f.kind], f.repeated && isPackable(f.kind) ? `${wireTypeName(SCALAR_WIRE[f.kind])} or packed` : undefined);
  store(type, f, m, readScalar(r, f));
}

function expectWire(r: Reader, wire: number, expected: number, expectedName?: string): void {
  if (wire !== expected) {
    r.fail(`wire type ${wireTypeName(wire)}, expected ${expectedName ?? wireTypeName(expected)}`);
  }
}

function store(type: MessageType<unknown>, f: FieldSpec, m: Record<string, unknown>, value: unknown): void {
  if (f.repeated) {
    (m[f.name] as unknown[]).push(value);
    return;
  }
  if (f.oneof !== undefined) clearOneof(type, f, m);
  // Last one wins for a singular field that appears twice (protobufjs does the same for messages;
  // protobuf C++ would merge two copies of a message field, which no exporter writes).
  m[f.name] = value;
}

function clearOneof(type: MessageType<unknown>, f: FieldSpec, m: Record<string, unknown>): void {
  for (const other of type.fields) {
    if (other.oneof !== undefined && other.oneof === f.oneof) delete m[other.kind === 'unsupported' ? UNSUPPORTED_KEY : other.name];
  }
}

function readScalar(r: Reader, f: FieldSpec): unknown {
  switch (f.kind as ScalarKind) {
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'int64n': {
      const v = r.int64Number();
      if (f.nonNegative && v < 0) r.fail(`${v} is negative`);
      return v;
    }
    case 'uint64':
      return r.uint64();
    case 'float':
      return r.float();
    case 'double':
      return r.double();
    case 'string':
      return r.string();
    case 'bytes':
      return r.bytes();
  }
}

/** A packed run: one length prefix, then values back to back, each read within the run's bounds. */
function readPacked(r: Reader, f: FieldSpec, into: unknown[]): void {
  const length = r.length();
  const size = f.kind === 'float' ? 4 : f.kind === 'double' ? 8 : 0;
  if (size > 0 && length % size !== 0) r.fail(`packed ${f.kind} run of ${length} bytes is not a multiple of ${size}`);
  const outerEnd = r.end;
  r.end = r.pos + length;
  try {
    while (r.pos < r.end) into.push(readScalar(r, f));
  } finally {
    r.end = outerEnd;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/**
 * What the encoder accepts for a decoded type T: every field optional (repeated ones may be left
 * out), 64-bit integers as bigint or safe-integer numbers.
 */
export type Init<T> = T extends Uint8Array | Float32Array | Int32Array | Float64Array | BigInt64Array | BigUint64Array
  ? T
  : T extends bigint
    ? bigint | number
    : T extends readonly (infer U)[]
      ? readonly Init<U>[]
      : T extends object
        ? { [K in keyof T]?: Init<T[K]> }
        : T;

/** Encodes one message; fields in field-number order, repeated scalars packed. */
export function encodeMessage<T>(type: MessageType<T>, message: Init<T>, initialSize?: number): Uint8Array {
  const w = new Writer(initialSize);
  writeBody(w, type, message as unknown as Record<string, unknown>);
  return w.finish();
}

function writeBody(w: Writer, type: MessageType<unknown>, m: Record<string, unknown>): void {
  if (m === null || typeof m !== 'object') {
    throw new TypeError(`encode ${type.name}: expected an object, but received ${describe(m)}`);
  }
  if (m[UNSUPPORTED_KEY] !== undefined && type.fields.some((f) => f.kind === 'unsupported')) {
    throw new Error(`encode ${type.name}: cannot write a value of kind '${String(m[UNSUPPORTED_KEY])}', which was skipped when decoding`);
  }
  for (const f of type.fields) {
    if (f.kind === 'unsupported') continue;
    const v = m[f.name];
    if (v === undefined || v === null) continue;
    if (!f.repeated) {
      writeValue(w, type, f, v);
      continue;
    }
    if (!isList(v)) throw encodeTypeError(type, f, 'an array', v);
    if (v.length === 0) continue;
    if (isPackable(f.kind)) {
      // Packed, as proto3 does by default and every proto2 parser since 2.3 accepts.
      w.tag(f.no, WireType.LEN);
      const start = w.fork();
      for (let i = 0; i < v.length; i++) writeScalar(w, type, f, v[i]);
      w.ldelim(start);
    } else {
      for (let i = 0; i < v.length; i++) writeValue(w, type, f, v[i]);
    }
  }
}

function isList(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function writeValue(w: Writer, type: MessageType<unknown>, f: FieldSpec, v: unknown): void {
  if (f.kind === 'message') {
    w.tag(f.no, WireType.LEN);
    const start = w.fork();
    writeBody(w, f.message!(), v as Record<string, unknown>);
    w.ldelim(start);
    return;
  }
  w.tag(f.no, SCALAR_WIRE[f.kind as ScalarKind] as WireType);
  writeScalar(w, type, f, v);
}

function writeScalar(w: Writer, type: MessageType<unknown>, f: FieldSpec, v: unknown): void {
  switch (f.kind as ScalarKind) {
    case 'int32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        throw encodeTypeError(type, f, 'an int32', v);
      }
      w.int64(v);
      return;
    case 'int64':
    case 'int64n':
      if (typeof v === 'bigint' ? v !== BigInt.asIntN(64, v) : !Number.isSafeInteger(v)) {
        throw encodeTypeError(type, f, 'an int64 (a bigint, or a number that is a safe integer)', v);
      }
      w.int64(v as number | bigint);
      return;
    case 'uint64':
      if (typeof v === 'bigint' ? v !== BigInt.asUintN(64, v) : !(Number.isSafeInteger(v) && (v as number) >= 0)) {
        throw encodeTypeError(type, f, 'a uint64 (a non-negative bigint or safe integer)', v);
      }
      w.uint64(v as number | bigint);
      return;
    case 'float':
      if (typeof v !== 'number') throw encodeTypeError(type, f, 'a number', v);
      w.float(v);
      return;
    case 'double':
      if (typeof v !== 'number') throw encodeTypeError(type, f, 'a number', v);
      w.double(v);
      return;
    case 'string':
      if (typeof v !== 'string') throw encodeTypeError(type, f, 'a string', v);
      w.string(v);
      return;
    case 'bytes':
      if (!ArrayBuffer.isView(v) || Object.prototype.toString.call(v) !== '[object Uint8Array]') {
        throw encodeTypeError(type, f, 'a Uint8Array', v);
      }
      w.bytes(v as Uint8Array);
      return;
  }
}

function encodeTypeError(type: MessageType<unknown>, f: FieldSpec, expected: string, v: unknown): TypeError {
  return new TypeError(`encode ${type.name}: expected ${f.name} to be ${expected}, but received ${describe(v)}`);
}
