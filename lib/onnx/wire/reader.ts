// The protobuf reader, written for hostile input: every read is bounds-checked against the end of
// the message being read (not just the buffer), lengths are checked against the bytes actually
// left before anything is sliced or allocated, varints stop at 10 bytes, and nesting is capped.
// Every failure is an OnnxParseError that names the message type, the field and the byte offset,
// so a user with a broken file learns where it breaks; no RangeError from a typed array or
// DataView can escape, because no read happens before its bounds are checked.
import { DEFAULT_MAX_DEPTH, OnnxParseError, TWO_32, WireType, wireTypeName } from './types';

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
