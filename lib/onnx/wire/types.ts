// Protobuf wire format, read and written without dependencies: the wire types, the limits both
// sides share, and the error every malformed input becomes (see reader.ts and writer.ts).

/** Protobuf wire types (the low 3 bits of a tag). */
export const WireType = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  SGROUP: 3,
  EGROUP: 4,
  I32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

export function wireTypeName(wire: number): string {
  return WIRE_TYPE_NAMES[wire] ?? `invalid wire type ${wire}`;
}

/** Deep enough for any real model (If/Loop bodies nest 3 messages per level), far from the JS stack limit. */
export const DEFAULT_MAX_DEPTH = 64;

/** Largest field number protobuf allows (2^29 - 1). */
export const MAX_FIELD_NUMBER = 0x1fffffff;
/** 2^32: the high word's weight when a 64-bit integer is read as two 32-bit halves. */
export const TWO_32 = 4294967296;

/** A malformed, truncated or hostile ONNX/protobuf input. */
export class OnnxParseError extends Error {
  /** The protobuf message being read, e.g. 'TensorProto'. */
  readonly messageType: string;
  /** The field being read, e.g. 'raw_data'; undefined when the error is in a tag itself. */
  readonly field: string | undefined;
  /** Byte offset in the whole input where the offending field (or tag) starts. */
  readonly offset: number;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(messageType: string, field: string | undefined, offset: number, detail: string) {
    const where = field === undefined ? messageType : `${messageType}.${field}`;
    super(`ONNX: ${where} at byte ${offset}: ${detail}`);
    this.name = 'OnnxParseError';
    this.messageType = messageType;
    this.field = field;
    this.offset = offset;
    this.detail = detail;
  }
}
