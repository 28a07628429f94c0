// Reading the files a user names, in chunks and with a size cap: a path can name something that
// never ends (/dev/zero, a FIFO) or that is larger than memory, and a plain readFile would grow
// its buffer until the process dies. Past the cap the read stops with an error that names the
// file, the cap and how to raise it.
import * as fs from 'node:fs';
import { rangeError } from './errors';
import { MAX_ARRAY_BYTES, availableMemory, showBytes } from './memory';

/** The default cap on a data or input file (CSV, JSON feeds): GATEDRNN_MAX_INPUT_BYTES, else 256 MiB. */
export function inputCap(): number {
  const env = process.env.GATEDRNN_MAX_INPUT_BYTES;
  const n = env === undefined ? NaN : Number(env);
  return Number.isFinite(n) && n > 0 ? n : 256 * 2 ** 20;
}

/** The cap on a model file (.gatedrnn, .onnx): what one array can hold and half the memory the process may use. */
export function modelFileCap(): number {
  return Math.min(MAX_ARRAY_BYTES, availableMemory().bytes / 2);
}

const CHUNK = 1 << 20;

function tooLarge(where: string, file: string, maxBytes: number): RangeError {
  return rangeError(
    where,
    `the file ${file}`,
    `at most ${showBytes(maxBytes)}${maxBytes === inputCap() ? ' (set GATEDRNN_MAX_INPUT_BYTES to raise the cap)' : ''}`,
    'more (reading stopped there)',
  );
}

/** Reads a whole file, synchronously, in chunks; more than maxBytes is a RangeError. */
export function readFileCapped(where: string, file: string, maxBytes = inputCap()): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(where, file, maxBytes);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

/** readFileCapped off the event loop: the chunks are read through a stream. */
export async function readFileCappedAsync(where: string, file: string, maxBytes = inputCap()): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw tooLarge(where, file, maxBytes);
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, total);
}
