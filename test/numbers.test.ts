/**
 * Special values and extreme sizes, as the README documents them: a NaN in X or the initial
 * state makes that batch entry's outputs NaN from that step on and leaves the other entries
 * untouched (every cell, both directions, both layouts); an infinity stays within its entry too;
 * declared dims far beyond the data fail with a clear error before anything is allocated.
 */
import { GruOp, LstmOp, RnnOp, type Tensor } from '../lib';
import { type Cell, type OpCase, makeCase, makeOp } from './helpers/cases';

const T = 12;
const B = 4;
const H = 6;
const STEP = 5; // the step that holds the special value
const ENTRY = 2; // the batch entry that holds it

function withValue(c: OpCase, layout: 0 | 1, value: number): OpCase['inputs'] {
  const X = c.inputs.X;
  const data = (X.data as Float32Array).slice();
  const I = X.dims[2];
  const row = layout === 0 ? STEP * B + ENTRY : ENTRY * T + STEP;
  data[row * I + 1] = value;
  return { ...c.inputs, X: { ...X, data } };
}

/** Y's H values at step t, direction d, entry b. */
function yAt(Y: Tensor<'float32'>, layout: 0 | 1, D: number, t: number, d: number, b: number): Float32Array {
  const off = layout === 0 ? ((t * D + d) * B + b) * H : ((b * T + t) * D + d) * H;
  return Y.data.subarray(off, off + H);
}

describe.each(['GRU', 'LSTM', 'RNN'] as Cell[])('%s', (cell) => {
  test.each([
    ['forward', 0],
    ['bidirectional', 1],
  ] as const)('a NaN in X (%s, layout %d) stays in its batch entry, from its step on', (direction, layout) => {
    const c = makeCase({ cell, T, B, I: 5, H, direction, layout, seed: 31 });
    const op = makeOp(cell, c.weights, { direction, layout });
    const clean = op.run(c.inputs);
    const dirty = op.run(withValue(c, layout, NaN));
    op.dispose();
    const D = direction === 'bidirectional' ? 2 : 1;
    for (let d = 0; d < D; d++) {
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          const got = Array.from(yAt(dirty.Y!, layout, D, t, d, b));
          // Forward: NaN from STEP on; reverse: from STEP back to 0.
          const reached = d === 0 ? t >= STEP : t <= STEP;
          if (b === ENTRY && reached) expect(got.every(Number.isNaN)).toBe(true);
          else expect(got).toEqual(Array.from(yAt(clean.Y!, layout, D, t, d, b)));
        }
      }
    }
    // The final states: NaN for that entry, the clean values for the others.
    for (const name of cell === 'LSTM' ? (['Y_h', 'Y_c'] as const) : (['Y_h'] as const)) {
      const out = (dirty as Record<string, Tensor<'float32'>>)[name].data;
      const ref = (clean as Record<string, Tensor<'float32'>>)[name].data;
      for (let k = 0; k < out.length; k++) {
        const b = layout === 0 ? Math.floor(k / H) % B : Math.floor(k / (D * H));
        if (b === ENTRY) expect(out[k]).toBeNaN();
        else expect(out[k]).toBe(ref[k]);
      }
    }
  });

  test('a NaN in the initial state makes that entry NaN from step 0 and leaves the others alone', () => {
    const c = makeCase({ cell, T, B, I: 5, H, initialState: true, seed: 32 });
    const op = makeOp(cell, c.weights, {});
    const clean = op.run(c.inputs);
    const h0 = (c.inputs.initialH!.data as Float32Array).slice();
    h0[ENTRY * H + 3] = NaN;
    const dirty = op.run({ ...c.inputs, initialH: { ...c.inputs.initialH!, data: h0 } });
    op.dispose();
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const got = Array.from(yAt(dirty.Y!, 0, 1, t, 0, b));
        if (b === ENTRY) expect(got.every(Number.isNaN)).toBe(true);
        else expect(got).toEqual(Array.from(yAt(clean.Y!, 0, 1, t, 0, b)));
      }
    }
  });

  test('an infinity in X leaves the other entries and the earlier steps untouched', () => {
    const c = makeCase({ cell, T, B, I: 5, H, seed: 33 });
    const op = makeOp(cell, c.weights, {});
    const clean = op.run(c.inputs);
    for (const value of [Infinity, -Infinity]) {
      const dirty = op.run(withValue(c, 0, value));
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          if (b !== ENTRY) expect(Array.from(yAt(dirty.Y!, 0, 1, t, 0, b))).toEqual(Array.from(yAt(clean.Y!, 0, 1, t, 0, b)));
        }
      }
      // Before the step, the entry is as it was.
      for (let t = 0; t < STEP; t++)
        expect(Array.from(yAt(dirty.Y!, 0, 1, t, 0, ENTRY))).toEqual(Array.from(yAt(clean.Y!, 0, 1, t, 0, ENTRY)));
    }
    op.dispose();
  });
});

describe('huge declared dims', () => {
  const f32 = (dims: number[]) => ({ type: 'float32' as const, data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims });
  const op = new GruOp({ W: f32([1, 3 * 4, 2]), R: f32([1, 3 * 4, 4]) });
  afterAll(() => op.dispose());

  test('X whose dims promise far more than its data holds: a RangeError, nothing allocated', () => {
    const before = process.memoryUsage().rss;
    const X = { type: 'float32', data: new Float32Array(8), dims: [2 ** 30, 2 ** 20, 2] };
    expect(() => op.run({ X })).toThrow(
      'GruOp.run: expected X.data.length to be 2251799813685248 (the product of dims [1073741824, 1048576, 2]), but received 8',
    );
    // Product beyond 2^53: still a clear RangeError, not a wrapped size.
    const Y = { type: 'float32', data: new Float32Array(8), dims: [2 ** 40, 2 ** 40, 2] };
    expect(() => op.run({ X: Y })).toThrow(RangeError);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });

  test('dims that are not safe integers are a TypeError', () => {
    const X = { type: 'float32', data: new Float32Array(8), dims: [2 ** 53, 1, 2] };
    expect(() => op.run({ X })).toThrow(
      'GruOp.run: expected X.dims to be an array of non-negative integers, but received an array of length 3',
    );
  });

  test('weights whose dims promise a huge hidden size fail on the data length before packing', () => {
    const H = 2 ** 20;
    expect(
      () =>
        new LstmOp({
          W: { type: 'float32', data: new Float32Array(4), dims: [1, 4 * H, 1] },
          R: { type: 'float32', data: new Float32Array(4), dims: [1, 4 * H, H] },
        }),
    ).toThrow(`new LstmOp: expected R.data.length to be ${4 * H * H} (the product of dims [1, ${4 * H}, ${H}]), but received 4`);
    expect(() => new RnnOp({ W: f32([1, 1, 1]), R: { type: 'float32', data: new Float32Array(1), dims: [1, 2 ** 31, 2 ** 31] } })).toThrow(
      RangeError,
    );
  });

  test('a sequence length that does not fit is refused, as int32 or int64', () => {
    const X = f32([3, 1, 2]);
    expect(() => op.run({ X, sequenceLens: { type: 'int64', data: BigInt64Array.of(2n ** 62n), dims: [1] } })).toThrow(
      'GruOp.run: expected sequenceLens[0] to be in [0, 3] (seq_length), but received 4611686018427387904',
    );
    expect(() => op.run({ X, sequenceLens: { type: 'int32', data: Int32Array.of(2 ** 31 - 1), dims: [1] } })).toThrow(RangeError);
  });
});
