// The .gatedrnn file: a preamble, a JSON header, then raw little-endian float32 arrays.
//   bytes 0-7    magic "GATEDRNN"
//   bytes 8-11   format version (uint32 LE)
//   bytes 12-15  header length in bytes (a multiple of 4)
//   bytes 16-19  payload length in bytes
//   bytes 20-23  CRC-32 of header and payload
// The header lists every array by name, offset and length (in floats) within the payload.
// Files are written through util/atomic-write, so a failed save leaves any earlier file whole.
import { rangeError, typeError } from '../errors';
import { LOSS_NAMES, type Loss } from '../train/losses';
import { METRIC_ALIASES, METRIC_NAMES, type MetricSpec } from '../train/metrics';
import { OPTIMIZER_NAMES, type OptimizerConfig } from '../train/optimizers';

export { writeAtomic } from '../util/atomic-write';

const MAGIC = 'GATEDRNN';
export const FORMAT_VERSION = 1;
const PREAMBLE = 24;

export interface ArrayEntry {
  name: string;
  offset: number;
  length: number;
}

export interface FileContents {
  header: Record<string, unknown> & { arrays: ArrayEntry[] };
  arrays: Map<string, Float32Array>;
}

let crcTable: Int32Array | null = null;
function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Serializes a header and named arrays into the file's bytes. */
export function encode(header: Record<string, unknown>, arrays: [string, Float32Array][]): Buffer {
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, a] of arrays) {
    entries.push({ name, offset, length: a.length });
    offset += a.length;
  }
  let json = Buffer.from(JSON.stringify({ ...header, arrays: entries }), 'utf8');
  if (json.length % 4) json = Buffer.concat([json, Buffer.alloc(4 - (json.length % 4), 0x20)]);
  const payload = Buffer.alloc(offset * 4);
  for (const [i, [, a]] of arrays.entries()) {
    const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    if (isLittleEndian) b.copy(payload, entries[i].offset * 4);
    else for (let j = 0; j < a.length; j++) payload.writeFloatLE(a[j], (entries[i].offset + j) * 4);
  }
  const pre = Buffer.alloc(PREAMBLE);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(FORMAT_VERSION, 8);
  pre.writeUInt32LE(json.length, 12);
  pre.writeUInt32LE(payload.length, 16);
  pre.writeUInt32LE(crc32(payload, crc32(json)), 20);
  return Buffer.concat([pre, json, payload]);
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses a file's bytes; every inconsistency is an Error that says what is wrong. */
export function decode(bytes: Uint8Array, source: string): FileContents {
  const where = `loadModel(${source})`;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < PREAMBLE)
    throw new Error(`${where}: the file is truncated: ${buf.length} bytes, shorter than the ${PREAMBLE}-byte preamble`);
  if (buf.toString('latin1', 0, 8) !== MAGIC)
    throw new Error(`${where}: not a gatedrnn model file (expected the magic "${MAGIC}" at its start)`);
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION)
    throw new Error(`${where}: unsupported format version ${version}; this gatedrnn reads version ${FORMAT_VERSION}`);
  const headerLen = buf.readUInt32LE(12);
  const payloadLen = buf.readUInt32LE(16);
  const expected = PREAMBLE + headerLen + payloadLen;
  if (buf.length < expected)
    throw new Error(`${where}: the file is truncated: ${buf.length} bytes, but its preamble announces ${expected}`);
  if (buf.length > expected)
    throw new Error(`${where}: the file has ${buf.length - expected} bytes after its end (${expected} bytes announced)`);
  if (payloadLen % 4) throw new Error(`${where}: corrupt preamble: payload length ${payloadLen} is not a multiple of 4`);
  const json = buf.subarray(PREAMBLE, PREAMBLE + headerLen);
  const payload = buf.subarray(PREAMBLE + headerLen);
  const crc = crc32(payload, crc32(json));
  if (crc !== buf.readUInt32LE(20))
    throw new Error(
      `${where}: the file is corrupt (CRC-32 mismatch: stored ${buf.readUInt32LE(20).toString(16)}, computed ${crc.toString(16)})`,
    );
  let header: FileContents['header'];
  try {
    header = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new Error(`${where}: the header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || !Array.isArray(header.arrays))
    throw new Error(`${where}: the header lacks its list of arrays`);
  const floats = payloadLen / 4;
  // Entries are checked together before any is copied: inside the payload, uniquely named, and
  // not overlapping, so that the copies add up to at most the payload (a file cannot make the
  // decoder copy its bytes many times over).
  const entries = header.arrays as unknown[];
  const names = new Set<string>();
  for (const e of entries as ArrayEntry[]) {
    if (
      !e ||
      typeof e !== 'object' ||
      typeof e.name !== 'string' ||
      !Number.isSafeInteger(e.offset) ||
      !Number.isSafeInteger(e.length) ||
      e.offset < 0 ||
      e.length < 0 ||
      e.offset + e.length > floats
    ) {
      throw new Error(`${where}: array entry ${JSON.stringify(e)} lies outside the ${floats}-float payload`);
    }
    if (names.has(e.name)) throw new Error(`${where}: the header lists the array '${e.name}' twice`);
    names.add(e.name);
  }
  const byOffset = [...(entries as ArrayEntry[])].sort((a, b) => a.offset - b.offset);
  for (let k = 1; k < byOffset.length; k++) {
    const [a, b] = [byOffset[k - 1], byOffset[k]];
    if (a.offset + a.length > b.offset) {
      throw new Error(
        `${where}: array entries '${a.name}' (floats ${a.offset} to ${a.offset + a.length}) and '${b.name}' (from ${b.offset}) overlap`,
      );
    }
  }
  const arrays = new Map<string, Float32Array>();
  for (const e of entries as ArrayEntry[]) {
    const a = new Float32Array(e.length);
    if (isLittleEndian) new Uint8Array(a.buffer).set(payload.subarray(e.offset * 4, (e.offset + e.length) * 4));
    else for (let j = 0; j < e.length; j++) a[j] = payload.readFloatLE((e.offset + j) * 4);
    arrays.set(e.name, a);
  }
  return { header, arrays };
}

/** The floats a decoded file's arrays hold: what the model its header describes may allocate. */
export function floatsIn(contents: FileContents): number {
  let n = 0;
  for (const a of contents.arrays.values()) n += a.length;
  return n;
}

type CompileHeader = { optimizer: OptimizerConfig; loss?: ReturnType<Loss['getConfig']>; metrics: (string | MetricSpec)[] };

/**
 * The compile settings a header holds, with the names checked: an unknown optimizer, loss or
 * metric is an error that names the field, not a model that trains with something else.
 */
export function compileSettings(where: string, value: unknown, withLoss: boolean): CompileHeader | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') throw typeError(where, 'header.compile', 'an object { optimizer, loss, metrics } or null', value);
  const c = value as Partial<CompileHeader>;
  const known = (names: readonly string[], v: unknown): boolean => typeof v === 'string' && names.includes(v);
  if (c.optimizer === null || typeof c.optimizer !== 'object' || !known(OPTIMIZER_NAMES, c.optimizer.name)) {
    throw rangeError(
      where,
      'header.compile.optimizer.name',
      `one of ${OPTIMIZER_NAMES.join(', ')}`,
      JSON.stringify((c.optimizer as { name?: unknown } | null)?.name),
    );
  }
  if (withLoss && (c.loss === null || typeof c.loss !== 'object' || !known(LOSS_NAMES, c.loss.name))) {
    throw rangeError(
      where,
      'header.compile.loss.name',
      `one of ${LOSS_NAMES.join(', ')}`,
      JSON.stringify((c.loss as { name?: unknown } | null)?.name),
    );
  }
  if (c.metrics !== undefined && !Array.isArray(c.metrics)) throw typeError(where, 'header.compile.metrics', 'an array', c.metrics);
  (c.metrics ?? []).forEach((m, k) => {
    const name = typeof m === 'string' ? m : (m as MetricSpec | null)?.name;
    if (!known(METRIC_NAMES, name) && !(typeof name === 'string' && Object.hasOwn(METRIC_ALIASES, name))) {
      throw rangeError(where, `header.compile.metrics[${k}]`, `one of ${METRIC_NAMES.join(', ')}`, JSON.stringify(m));
    }
  });
  return { optimizer: c.optimizer, loss: c.loss, metrics: c.metrics ?? [] };
}
