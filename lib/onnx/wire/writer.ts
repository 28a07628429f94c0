// The protobuf writer: canonical output (the schema layer writes fields in field-number order and
// repeated scalars packed) into a buffer that grows by doubling.
import { MAX_FIELD_NUMBER, type WireType } from './types';

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
