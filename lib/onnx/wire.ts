// Protobuf wire format, read and written without dependencies.
//
// The reader is written for hostile input: every read is bounds-checked against the end of the
// message being read (not just the buffer), lengths are checked against the bytes actually left
// before anything is sliced or allocated, varints stop at 10 bytes, and nesting is capped. Every
// failure is an OnnxParseError that names the message type, the field and the byte offset, so a
// user with a broken file learns where it breaks; no RangeError from a typed array or DataView
// can escape, because no read happens before its bounds are checked.
//
// The writer produces canonical output (the schema layer writes fields in field-number order and
// repeated scalars packed) into a buffer that grows by doubling.

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
const MAX_FIELD_NUMBER = 0x1fffffff;
const TWO_32 = 4294967296;

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

/** Saved position and error context of the enclosing message while a nested one is read. */
export interface ReaderFrame {
  readonly end: number;
  readonly messageType: string;
  readonly field: string | undefined;
  readonly fieldStart: number;
}

/**
 * Reads protobuf wire format from one Uint8Array. Nested messages are read in place: `enter`
 * narrows `end` to the nested message and `leave` restores it, so offsets in errors are always
 * offsets in the whole input and nothing is copied.
 */
export class Reader {
  readonly buf: Uint8Array;
  /** Next byte to read. */
  pos = 0;
  /** One past the last byte of the message being read. */
  end: number;
  /** Context for errors: the message being read, its current field and where that field starts. */
  messageType = 'message';
  field: string | undefined = undefined;
  fieldStart = 0;
  depth = 0;
  readonly maxDepth: number;

  private readonly view: DataView;
  // The last varint read, as two unsigned 32-bit halves (avoids allocating per varint).
  private lo = 0;
  private hi = 0;

  constructor(buf: Uint8Array, maxDepth = DEFAULT_MAX_DEPTH) {
    this.buf = buf;
    this.end = buf.byteLength;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.maxDepth = maxDepth;
  }

  /** Throws an OnnxParseError located at the current field (or at `offset`). */
  fail(detail: string, offset = this.fieldStart): never {
    throw new OnnxParseError(this.messageType, this.field, offset, detail);
  }

  // -- nesting --------------------------------------------------------------------------------

  /**
   * Starts reading a nested message of `length` bytes (from `length()`) at the current position.
   * Returns the frame to hand to `leave` when the nested message is done.
   */
  enter(messageType: string, length: number): ReaderFrame {
    if (length > this.end - this.pos) this.fail(`length ${length} exceeds the ${this.end - this.pos} bytes left`);
    if (this.depth >= this.maxDepth) {
      this.fail(`messages nest more than ${this.maxDepth} deep (a malformed or hostile file)`);
    }
    const frame: ReaderFrame = { end: this.end, messageType: this.messageType, field: this.field, fieldStart: this.fieldStart };
    this.depth++;
    this.end = this.pos + length;
    this.messageType = messageType;
    this.field = undefined;
    this.fieldStart = this.pos;
    return frame;
  }

  leave(frame: ReaderFrame): void {
    this.depth--;
    this.end = frame.end;
    this.messageType = frame.messageType;
    this.field = frame.field;
    this.fieldStart = frame.fieldStart;
  }

  // -- tags -----------------------------------------------------------------------------------

  /**
   * Reads a tag and returns it whole (field number << 3 | wire type); records where the field
   * starts for error messages. Rejects field number 0, field numbers past 2^29 - 1 and the wire
   * types protobuf never defined (6, 7).
   */
  tag(): number {
    this.field = undefined;
    this.fieldStart = this.pos;
    this.varint('tag');
    if (this.hi !== 0) this.fail('tag exceeds 32 bits');
    const tag = this.lo;
    if (tag >>> 3 === 0) this.fail('field number 0 is invalid');
    if ((tag & 7) > 5) this.fail(`${wireTypeName(tag & 7)} in tag for field ${tag >>> 3}`);
    return tag;
  }

  /** Skips the value of an unknown field. Groups (deprecated since proto2) are rejected. */
  skip(wire: number): void {
    switch (wire) {
      case WireType.VARINT:
        this.varint('varint');
        return;
      case WireType.I64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case WireType.LEN: {
        // Not `this.pos += this.length()`: that would add to pos as it was before the prefix.
        const n = this.length();
        this.pos += n;
        return;
      }
      case WireType.I32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      default:
        // tag() already rejected 6 and 7; what is left are the deprecated groups.
        this.fail(`groups (wire type ${wire}) are not supported`);
    }
  }

  // -- varints --------------------------------------------------------------------------------

  /**
   * Reads a varint into lo/hi. At most 10 bytes, and the 10th may carry only bit 63: anything
   * longer or wider is not a 64-bit value. Non-minimal encodings (e.g. 0x80 0x00) are valid
   * protobuf and are accepted.
   */
  private varint(what: string): void {
    const buf = this.buf;
    const end = this.end;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail(`truncated ${what}: the ${this.endName()} comes after ${pos - this.pos} of its bytes`);
      const b = buf[pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else if (i < 9) hi |= (b & 0x7f) << (7 * i - 32);
      else {
        if (b > 1) this.fail(`${what} is longer than 10 bytes or wider than 64 bits`);
        hi |= b << 31;
      }
      if ((b & 0x80) === 0) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    // Unreachable: the 10th byte either ends the varint or fails above.
    this.fail(`${what} is longer than 10 bytes`);
  }

  private endName(): string {
    return this.end === this.buf.byteLength ? 'end of the input' : 'end of the enclosing message';
  }

  /** A varint as protobuf's int32: the low 32 bits, signed (negatives are sign-extended to 10 bytes on the wire). */
  int32(): number {
    this.varint('varint');
    return this.lo | 0;
  }

  /** A varint as a non-negative count that fits in 32 bits (enum values, lengths of small things). */
  uint32(): number {
    this.varint('varint');
    if (this.hi !== 0) this.fail(`value ${this.bigUnsigned()} does not fit in 32 bits`);
    return this.lo;
  }

  /** A varint as signed int64, exactly. */
  int64(): bigint {
    this.varint('varint');
    if (this.hi === 0) return BigInt(this.lo);
    return BigInt.asIntN(64, this.bigUnsigned());
  }

  /** A varint as uint64, exactly. */
  uint64(): bigint {
    this.varint('varint');
    return this.hi === 0 ? BigInt(this.lo) : this.bigUnsigned();
  }

  /**
   * A varint as a signed int64 that must be a safe integer (|v| < 2^53): for counts, dims and
   * versions, which the rest of the library handles as numbers.
   */
  int64Number(): number {
    this.varint('varint');
    // Exact whenever the result is a safe integer; otherwise it is rounded but still unsafe.
    const v = (this.hi | 0) * TWO_32 + this.lo;
    if (!Number.isSafeInteger(v)) {
      this.fail(`value ${BigInt.asIntN(64, this.bigUnsigned())} is outside the safe integer range (|v| < 2^53)`);
    }
    return v;
  }

  bool(): boolean {
    this.varint('varint');
    return this.lo !== 0 || this.hi !== 0;
  }

  private bigUnsigned(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  // -- fixed width ----------------------------------------------------------------------------

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) this.fail(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`);
  }

  float(): number {
    this.need(4, 'float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  fixed32(): number {
    this.need(4, 'fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(): bigint {
    this.need(8, 'fixed64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  // -- length-delimited -----------------------------------------------------------------------

  /**
   * Reads a length prefix and checks it against the bytes left in the enclosing message, so a
   * hostile length (2^31, 2^62, ...) is an error before anything is sliced or allocated.
   */
  length(): number {
    this.varint('length');
    const n = this.hi * TWO_32 + this.lo;
    if (n > this.end - this.pos) {
      const shown = this.hi === 0 ? String(n) : String(this.bigUnsigned());
      this.fail(`length ${shown} exceeds the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** A bytes field as a view into the input (no copy): it keeps the input's buffer alive. */
  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A string field; invalid UTF-8 becomes U+FFFD, as in protobuf's own JS runtimes. */
  string(): string {
    const n = this.length();
    const start = this.pos;
    this.pos += n;
    return decodeUtf8(this.buf, start, start + n);
  }
}

const utf8Decoder = new TextDecoder('utf-8');

function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  // Names and op types are short ASCII; skip TextDecoder's call overhead for them.
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

// ---------------------------------------------------------------------------------------------
// Writer

const utf8Encoder = new TextEncoder();

/** Bytes needed to write `n` (a non-negative safe integer) as a varint. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/**
 * Writes protobuf wire format into a growing buffer. Length-delimited values are written in
 * place and their length prefix inserted afterwards (`fork` / `ldelim`), so nested messages are
 * encoded in one pass without sizing them first.
 */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initialSize = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialSize));
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  tag(field: number, wire: WireType): this {
    if (!Number.isInteger(field) || field < 1 || field > MAX_FIELD_NUMBER) {
      throw new RangeError(`Writer.tag: expected field to be an integer in [1, ${MAX_FIELD_NUMBER}], but received ${field}`);
    }
    return this.uint32(((field << 3) | wire) >>> 0);
  }

  /** An unsigned varint from a non-negative safe integer. */
  uint32(n: number): this {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 128) {
      buf[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[pos++] = n;
    this.pos = pos;
    return this;
  }

  /** A varint from any 64-bit value; negatives are two's complement (10 bytes), as protobuf's int32/int64 require. */
  int64(v: number | bigint): this {
    if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) return this.uint32(v);
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new RangeError(`Writer.int64: expected a safe integer or a bigint, but received ${v}`);
    }
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u >= 128n) {
      this.buf[this.pos++] = Number(u & 127n) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  /** An unsigned 64-bit varint; rejects negatives rather than wrapping them. */
  uint64(v: number | bigint): this {
    if (v < 0 || (typeof v === 'number' && !Number.isSafeInteger(v)) || BigInt(v) >= 1n << 64n) {
      throw new RangeError(`Writer.uint64: expected an integer in [0, 2^64), but received ${v}`);
    }
    return this.int64(v);
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  float(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  double(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  fixed32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }

  fixed64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
    return this;
  }

  /** Raw bytes with no prefix. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
    return this;
  }

  /** A length-prefixed byte string. */
  bytes(bytes: Uint8Array): this {
    return this.uint32(bytes.byteLength).raw(bytes);
  }

  /** A length-prefixed UTF-8 string. */
  string(s: string): this {
    const start = this.fork();
    this.ensure(s.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.pos += utf8Encoder.encodeInto(s, this.buf.subarray(this.pos)).written;
    return this.ldelim(start);
  }

  /** Marks the start of a length-delimited value; write its contents, then call ldelim(start). */
  fork(): number {
    return this.pos;
  }

  /** Inserts the length prefix of everything written since `start` (moving it up by the prefix size). */
  ldelim(start: number): this {
    const length = this.pos - start;
    const k = varintSize(length);
    this.ensure(k);
    this.buf.copyWithin(start + k, start, this.pos);
    const end = this.pos + k;
    this.pos = start;
    this.uint32(length);
    this.pos = end;
    return this;
  }

  /** The bytes written so far, in a buffer of exactly that size. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
