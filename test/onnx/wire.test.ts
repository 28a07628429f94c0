// lib/onnx/wire.ts: the protobuf wire-format reader and writer, checked value by value against
// protobufjs (the independent yardstick) and on malformed input.

import * as protobuf from 'protobufjs';
import { DEFAULT_MAX_DEPTH, OnnxParseError, Reader, WireType, Writer, varintSize } from '../../lib/onnx/wire';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

/** Bytes as hex, so comparisons ignore Buffer vs Uint8Array and failures are readable. */
function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** protobufjs's encoding of a varint, given as a decimal string so any 64-bit value fits. */
function pbjsVarint(v: bigint, unsigned = false): Uint8Array {
  const w = protobuf.Writer.create();
  if (unsigned) w.uint64(v.toString());
  else w.int64(v.toString());
  return w.finish();
}

/** Catches what `fn` throws and checks that it is an OnnxParseError. */
function parseError(fn: () => unknown): OnnxParseError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxParseError);
    return e as OnnxParseError;
  }
  throw new Error('expected an OnnxParseError, but nothing was thrown');
}

describe('varints', () => {
  const signed = [
    0n,
    1n,
    127n,
    128n,
    300n,
    16383n,
    16384n,
    2n ** 31n - 1n,
    2n ** 31n,
    2n ** 32n - 1n,
    2n ** 32n,
    2n ** 53n - 1n,
    2n ** 53n,
    INT64_MAX,
    -1n,
    -2n,
    -300n,
    -(2n ** 31n),
    -(2n ** 53n) + 1n,
    INT64_MIN,
  ];

  test.each(signed.map(String))('int64 %s: writer matches protobufjs, reader reads it back', (s) => {
    const v = BigInt(s);
    const ours = new Writer().int64(v).finish();
    expect(hex(ours)).toBe(hex(pbjsVarint(v)));
    const r = new Reader(ours);
    expect(r.int64()).toBe(v);
    expect(r.pos).toBe(ours.byteLength);
  });

  test.each([0n, 1n, 2n ** 32n, 2n ** 63n, UINT64_MAX].map(String))('uint64 %s round trips', (s) => {
    const v = BigInt(s);
    const ours = new Writer().uint64(v).finish();
    expect(hex(ours)).toBe(hex(pbjsVarint(v, true)));
    expect(new Reader(ours).uint64()).toBe(v);
  });

  test('negative values take 10 bytes (sign-extended), as protobuf int32/int64 require', () => {
    expect(hex(new Writer().int64(-1).finish())).toBe(hex(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)));
    expect(new Reader(new Writer().int64(-7).finish()).int32()).toBe(-7);
    // protobufjs writes int32 negatives the same way.
    expect(hex(new Writer().int64(-7).finish())).toBe(hex(protobuf.Writer.create().int32(-7).finish()));
  });

  test('int64Number accepts safe integers and rejects the rest with the value in the message', () => {
    for (const v of [0, 5, -5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(new Reader(new Writer().int64(v).finish()).int64Number()).toBe(v);
    }
    for (const v of [2n ** 53n, -(2n ** 53n), INT64_MAX, INT64_MIN]) {
      const e = parseError(() => new Reader(new Writer().int64(v).finish()).int64Number());
      expect(e.message).toContain(`value ${v} is outside the safe integer range`);
    }
  });

  test('uint32 rejects values past 32 bits; int32 keeps the low 32 bits like protobuf', () => {
    expect(new Reader(new Writer().int64(2 ** 32 - 1).finish()).uint32()).toBe(2 ** 32 - 1);
    expect(parseError(() => new Reader(new Writer().int64(2 ** 32).finish()).uint32()).message).toContain(
      '4294967296 does not fit in 32 bits',
    );
    expect(new Reader(new Writer().int64(2 ** 32 + 5).finish()).int32()).toBe(5);
  });

  test('non-minimal encodings are valid protobuf and decode', () => {
    expect(new Reader(bytes(0x80, 0x00)).int64()).toBe(0n);
    expect(new Reader(bytes(0x81, 0x80, 0x80, 0x00)).int64()).toBe(1n);
  });

  test('an 11-byte varint is rejected', () => {
    const eleven = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    const e = parseError(() => new Reader(eleven).int64());
    expect(e.detail).toMatch(/longer than 10 bytes/);
    expect(e.offset).toBe(0);
  });

  test('a 10-byte varint wider than 64 bits is rejected', () => {
    const wide = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
    expect(parseError(() => new Reader(wide).uint64()).detail).toMatch(/wider than 64 bits/);
  });

  test('a truncated varint is an error at every cut, never a silent value', () => {
    const full = new Writer().int64(INT64_MIN).finish();
    for (let cut = 0; cut < full.byteLength; cut++) {
      const e = parseError(() => new Reader(full.subarray(0, cut)).int64());
      expect(e.detail).toMatch(/truncated varint/);
    }
  });

  test('varintSize agrees with the writer', () => {
    for (const v of [0, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 2 ** 35, Number.MAX_SAFE_INTEGER]) {
      expect(varintSize(v)).toBe(new Writer().uint32(v).finish().byteLength);
    }
  });
});

describe('fixed-width values', () => {
  test('float, double, fixed32, fixed64 match protobufjs and read back', () => {
    const ours = new Writer().float(1.5).double(-0.1).fixed32(0xdeadbeef).fixed64(UINT64_MAX).finish();
    const theirs = protobuf.Writer.create().float(1.5).double(-0.1).fixed32(0xdeadbeef).fixed64('18446744073709551615').finish();
    expect(hex(ours)).toBe(hex(theirs));
    const r = new Reader(ours);
    expect(r.float()).toBe(1.5);
    expect(r.double()).toBe(-0.1);
    expect(r.fixed32()).toBe(0xdeadbeef);
    expect(r.fixed64()).toBe(UINT64_MAX);
  });

  test('a truncated fixed-width value is an OnnxParseError, not a RangeError from DataView', () => {
    expect(parseError(() => new Reader(bytes(1, 2, 3)).float()).detail).toBe('truncated float: needs 4 bytes, 3 left');
    expect(parseError(() => new Reader(bytes(1, 2, 3, 4, 5, 6, 7)).double()).detail).toBe('truncated double: needs 8 bytes, 7 left');
  });

  test('reads through a Uint8Array that starts inside its buffer', () => {
    const backing = new Uint8Array(16);
    new DataView(backing.buffer).setFloat32(5, -2.25, true);
    expect(new Reader(backing.subarray(5, 9)).float()).toBe(-2.25);
  });
});

describe('length-delimited values', () => {
  test('bytes are a view into the input, not a copy', () => {
    const input = bytes(3, 10, 20, 30, 99);
    const b = new Reader(input).bytes();
    expect(Array.from(b)).toEqual([10, 20, 30]);
    expect(b.buffer).toBe(input.buffer);
    expect(b.byteOffset).toBe(1);
  });

  test('strings: UTF-8 both ways, matching Buffer; invalid UTF-8 becomes U+FFFD', () => {
    const samples = ['', 'X', 'initial_h', 'ü∑', '😀 emoji', 'x'.repeat(40) + 'é', 'a'.repeat(300)];
    for (const s of samples) {
      const ours = new Writer().string(s).finish();
      expect(hex(ours)).toBe(hex(protobuf.Writer.create().string(s).finish()));
      expect(new Reader(ours).string()).toBe(s);
    }
    expect(new Reader(bytes(2, 0xc3, 0x28)).string()).toBe('\ufffd(');
  });

  test.each([
    ['2^31', 2 ** 31],
    ['2^62', 2n ** 62n],
    ['2^64 - 1', UINT64_MAX],
  ])('a length prefix of %s is rejected before anything is allocated', (_label, n) => {
    const input = new Writer()
      .uint64(n)
      .raw(bytes(1, 2, 3))
      .finish();
    const e = parseError(() => new Reader(input).bytes());
    expect(e.detail).toBe(`length ${BigInt(n)} exceeds the 3 bytes left`);
  });

  test('a length is checked against the enclosing message, not just the buffer', () => {
    // An outer message of 3 bytes holding a field that claims 5 bytes; the buffer has more.
    const r = new Reader(bytes(5, 1, 2, 3, 4, 5, 6, 7, 8));
    r.messageType = 'GraphProto';
    const frame = r.enter('NodeProto', 3);
    r.field = 'name';
    r.fieldStart = 0;
    expect(parseError(() => r.bytes()).message).toBe('ONNX: NodeProto.name at byte 0: length 5 exceeds the 2 bytes left');
    r.leave(frame);
    expect(r.messageType).toBe('GraphProto');
  });
});

describe('tags and skipping unknown fields', () => {
  test('reads a tag as field number and wire type', () => {
    const tag = new Reader(new Writer().tag(21, WireType.LEN).finish()).tag();
    expect(tag >>> 3).toBe(21);
    expect(tag & 7).toBe(WireType.LEN);
    const big = new Reader(new Writer().tag(2 ** 29 - 1, WireType.I32).finish()).tag();
    expect(big >>> 3).toBe(2 ** 29 - 1);
  });

  test('skips every wire type, leaving the reader at the next field', () => {
    const w = new Writer();
    w.tag(1, WireType.VARINT).int64(-1);
    w.tag(2, WireType.I64).fixed64(123n);
    w.tag(3, WireType.LEN).bytes(bytes(1, 2, 3));
    w.tag(4, WireType.I32).fixed32(7);
    w.tag(5, WireType.LEN).string('after');
    const r = new Reader(w.finish());
    for (let k = 0; k < 4; k++) r.skip(r.tag() & 7);
    expect(r.tag() >>> 3).toBe(5);
    expect(r.string()).toBe('after');
  });

  test('rejects field number 0, wire types 6 and 7, and groups', () => {
    expect(parseError(() => new Reader(bytes(0x02, 0)).tag()).detail).toBe('field number 0 is invalid');
    expect(parseError(() => new Reader(bytes(0x0e)).tag()).detail).toMatch(/invalid wire type 6/);
    expect(parseError(() => new Reader(bytes(0x0f)).tag()).detail).toMatch(/invalid wire type 7/);
    for (const group of [WireType.SGROUP, WireType.EGROUP]) {
      const r = new Reader(new Writer().tag(9, group).finish());
      expect(parseError(() => r.skip(r.tag() & 7)).detail).toBe(`groups (wire type ${group}) are not supported`);
    }
  });

  test('rejects a tag wider than 32 bits', () => {
    expect(parseError(() => new Reader(new Writer().int64(2 ** 35).finish()).tag()).detail).toBe('tag exceeds 32 bits');
  });

  test('skipping truncated values fails cleanly', () => {
    for (const [wire, body] of [
      [WireType.I64, bytes(1, 2)],
      [WireType.I32, bytes(1)],
      [WireType.LEN, bytes(9, 1)],
      [WireType.VARINT, bytes(0x80)],
    ] as const) {
      const r = new Reader(new Writer().tag(3, wire).raw(body).finish());
      expect(() => r.skip(r.tag() & 7)).toThrow(OnnxParseError);
    }
  });
});

describe('nesting', () => {
  test(`enter() fails past the depth limit (${DEFAULT_MAX_DEPTH} by default) with a clear message`, () => {
    const r = new Reader(new Uint8Array(100));
    r.messageType = 'GraphProto';
    for (let d = 0; d < DEFAULT_MAX_DEPTH; d++) r.enter('NodeProto', 0);
    r.field = 'attribute';
    expect(parseError(() => r.enter('AttributeProto', 0)).detail).toBe(
      `messages nest more than ${DEFAULT_MAX_DEPTH} deep (a malformed or hostile file)`,
    );
    // The limit is an option: a reader built with maxDepth 0 refuses any nested message.
    expect(parseError(() => new Reader(new Uint8Array(4), 0).enter('A', 0)).detail).toMatch(/nest more than 0 deep/);
  });
});

describe('Writer', () => {
  test('grows from a tiny buffer across many writes', () => {
    const w = new Writer(16);
    const theirs = protobuf.Writer.create();
    for (let k = 0; k < 50000; k++) {
      w.uint32(k * 977);
      theirs.uint32(k * 977);
    }
    expect(hex(w.finish())).toBe(hex(theirs.finish()));
  });

  test.each([0, 1, 127, 128, 16383, 16384, 70000])('fork/ldelim prefixes a %i-byte body with its length', (n) => {
    const w = new Writer(16);
    w.tag(7, WireType.LEN);
    const start = w.fork();
    for (let k = 0; k < n; k++) w.raw(bytes(k & 0xff));
    w.ldelim(start);
    w.tag(8, WireType.VARINT).uint32(1);
    const body = Uint8Array.from({ length: n }, (_, k) => k & 0xff);
    const expected = protobuf.Writer.create()
      .uint32((7 << 3) | 2)
      .bytes(body)
      .uint32((8 << 3) | 0)
      .uint32(1)
      .finish();
    expect(hex(w.finish())).toBe(hex(expected));
  });

  test('rejects values it cannot encode', () => {
    expect(() => new Writer().int64(1.5)).toThrow(RangeError);
    expect(() => new Writer().int64(2 ** 60)).toThrow(/safe integer or a bigint/);
    expect(() => new Writer().uint64(-1)).toThrow(/\[0, 2\^64\)/);
    expect(() => new Writer().uint64(1n << 64n)).toThrow(RangeError);
    expect(() => new Writer().tag(0, WireType.VARINT)).toThrow(/field to be an integer/);
  });
});

describe('OnnxParseError', () => {
  test('names the message, the field and the byte offset', () => {
    const e = new OnnxParseError('TensorProto', 'raw_data', 1234, 'length 4096 exceeds the 100 bytes left');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('OnnxParseError');
    expect(e.message).toBe('ONNX: TensorProto.raw_data at byte 1234: length 4096 exceeds the 100 bytes left');
    expect([e.messageType, e.field, e.offset]).toEqual(['TensorProto', 'raw_data', 1234]);
    expect(new OnnxParseError('GraphProto', undefined, 3, 'x').message).toBe('ONNX: GraphProto at byte 3: x');
  });
});
