// The session's fast paths keep their results: Transpose over merged axes against an
// element-by-element reference (every rank to 5, size-1 axes, int64 and bool), and recurrent
// nodes too small for a worker thread run inline in session.run while large ones leave the
// event loop free.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor, loadOnnx } from '../../lib';
import { transposeInto } from '../../lib/onnx/ops/transpose';
import { type Value, allocate, stridesOf } from '../../lib/onnx/values';
import { mulberry32 } from '../helpers/onnx';

function referenceTranspose(x: Value, perm: number[]): number[] {
  const outDims = perm.map((a) => x.dims[a]);
  const inStrides = stridesOf(x.dims);
  const outStrides = stridesOf(outDims);
  const n = outDims.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let k = 0; k < perm.length; k++) off += (Math.floor(i / outStrides[k]) % outDims[k]) * inStrides[perm[k]];
    out[i] = Number(x.data[off]);
  }
  return out;
}

function shuffled(r: number, rng: () => number): number[] {
  const p = Array.from({ length: r }, (_, k) => k);
  for (let k = r - 1; k > 0; k--) {
    const j = Math.floor(rng() * (k + 1));
    [p[k], p[j]] = [p[j], p[k]];
  }
  return p;
}

describe('Transpose over merged axes', () => {
  test.each(['float32', 'int32', 'int64', 'bool'] as const)('%s: random dims and perms of rank 0 to 5 match the reference', (type) => {
    const rng = mulberry32(type.length);
    for (let trial = 0; trial < 300; trial++) {
      const r = trial % 6;
      const dims = Array.from({ length: r }, () => 1 + Math.floor(rng() * (rng() < 0.3 ? 1 : 40 / (r + 1))));
      const perm = shuffled(r, rng);
      const x = allocate('test', type, dims);
      for (let k = 0; k < x.data.length; k++) {
        if (type === 'int64') (x.data as BigInt64Array)[k] = BigInt(k) * 3000000000n - 7n;
        else if (type === 'bool') (x.data as Uint8Array)[k] = k % 3 === 0 ? 1 : 0;
        else (x.data as Float32Array)[k] = type === 'float32' ? k + 0.25 : k - 100;
      }
      const out = allocate(
        'test',
        type,
        perm.map((a) => dims[a]),
      );
      transposeInto(x, out, perm);
      expect({ dims, perm, values: Array.from(out.data as ArrayLike<number | bigint>, Number) }).toEqual({
        dims,
        perm,
        values: referenceTranspose(x, perm),
      });
    }
  });
});

describe('session.run and the worker thread', () => {
  const bytes = fs.readFileSync(path.join(__dirname, '../fixtures/onnx/torch_gru_state.onnx'));
  const rng = mulberry32(3);
  const feeds = (T: number, B: number) => ({
    x: new Tensor(
      'float32',
      Float32Array.from({ length: T * B * 6 }, () => rng() - 0.5),
      [T, B, 6],
    ),
    h0: new Tensor(
      'float32',
      Float32Array.from({ length: B * 10 }, () => rng() - 0.5),
      [1, B, 10],
    ),
  });

  async function turnedDuring(run: () => Promise<unknown>): Promise<boolean> {
    let turned = false;
    const immediate = setImmediate(() => (turned = true));
    await run();
    clearImmediate(immediate);
    return turned;
  }

  test('a node smaller than the thread hop runs inline, with the results of runSync', async () => {
    const session = await loadOnnx(bytes, { threads: 1 });
    const f = feeds(4, 2);
    expect(await turnedDuring(() => session.run(f))).toBe(false);
    const a = await session.run(f);
    const b = session.runSync(f);
    for (const name of session.outputNames) expect(a[name].data).toEqual(b[name].data);
    session.dispose();
  });

  test('a large one leaves the event loop free', async () => {
    const session = await loadOnnx(bytes, { threads: 1 });
    // About 60 ms of work. A runner that is polling starts a call at once, so a run of a
    // millisecond or two can come back before the loop's next turn when this thread is held up
    // meanwhile (a collection, a busy machine): the check would then say nothing about the loop.
    const T = 10_000,
      B = 64;
    const big = {
      x: new Tensor('float32', new Float32Array(T * B * 6).fill(0.05), [T, B, 6]),
      h0: new Tensor('float32', new Float32Array(B * 10).fill(0.1), [1, B, 10]),
    };
    expect(await turnedDuring(() => session.run(big))).toBe(true);
    session.dispose();
  });
});
