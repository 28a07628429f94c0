/**
 * Every operator attribute and optional input, alone and combined, against the reference; plus
 * properties that hold whatever the arithmetic (layout transposes, sequence ends, directions), so
 * the reference is not only checked against itself.
 */
import { GruOp, LstmOp, RnnOp, type Tensor } from '../../lib';
import { ACTIVATION_NAMES } from '../../lib/ops/activations';
import { type Cell, expectMatchesReference, makeCase, makeOp, runBoth } from '../helpers/cases';
import { expectClose } from '../helpers/onnx';
import { describeEachIsa } from '../helpers/isas';

const CELLS: Cell[] = ['GRU', 'LSTM', 'RNN'];
const base = { T: 9, B: 5, I: 6, H: 19 };

// Activations, clip and the state updates are compiled per ISA: every case runs on each.
describeEachIsa(() => {
  describe.each(CELLS)('%s', (cell) => {
    const variants: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['defaults, no bias', { bias: false }, {}],
      ['direction reverse', {}, { direction: 'reverse' }],
      ['direction bidirectional', { direction: 'bidirectional' }, { direction: 'bidirectional' }],
      ['sequenceLens', { sequenceLens: [9, 1, 0, 4, 8] }, {}],
      ['sequenceLens reverse', { sequenceLens: [3, 9, 1, 0, 5] }, { direction: 'reverse' }],
      ['initial state', { initialState: true }, {}],
      ['layout 1', { layout: 1 }, { layout: 1 }],
      ['clip', {}, { clip: 0.3 }],
      ['hiddenSize given', {}, { hiddenSize: 19 }],
      [
        'everything at once',
        { direction: 'bidirectional', layout: 1, sequenceLens: 'random', initialState: true, peepholes: cell === 'LSTM' },
        { direction: 'bidirectional', layout: 1, clip: 0.8, ...(cell === 'GRU' ? { linearBeforeReset: 1 } : {}) },
      ],
    ];
    if (cell === 'GRU') {
      variants.push(['linearBeforeReset 1', {}, { linearBeforeReset: 1 }]);
      variants.push([
        'linearBeforeReset true, bidirectional, lens',
        { direction: 'bidirectional', sequenceLens: 'random' },
        { linearBeforeReset: true, direction: 'bidirectional' },
      ]);
    }
    if (cell === 'LSTM') {
      variants.push(['peepholes', { peepholes: true, initialState: true }, {}]);
      variants.push(['inputForget', { initialState: true }, { inputForget: 1 }]);
      variants.push(['peepholes + inputForget + clip', { peepholes: true, initialState: true }, { inputForget: true, clip: 0.5 }]);
    }
    test.each(variants)('%s', (name, shape, attrs) => {
      const c = makeCase({ ...base, cell, seed: name.length, ...shape } as never);
      expectMatchesReference(cell, c, attrs, `${cell} ${name}`);
    });

    test('layout 1 is layout 0 with batch and time swapped', () => {
      const c0 = makeCase({ ...base, cell, direction: 'bidirectional', initialState: true, sequenceLens: 'random', seed: 3 });
      const { T, B, H } = base;
      const swapTB = (t: Tensor<'float32'> | { data: Float32Array; dims: readonly number[] }, inner: number) => {
        const [a, b] = t.dims;
        const out = new Float32Array(t.data.length);
        for (let i = 0; i < a; i++)
          for (let j = 0; j < b; j++) out.set(t.data.subarray((i * b + j) * inner, (i * b + j + 1) * inner), (j * a + i) * inner);
        return { type: 'float32' as const, data: out, dims: [b, a, ...t.dims.slice(2)] };
      };
      const inputs1 = {
        X: swapTB(c0.inputs.X as never, base.I),
        sequenceLens: c0.inputs.sequenceLens,
        initialH: swapTB(c0.inputs.initialH as never, H),
        initialC: c0.inputs.initialC ? swapTB(c0.inputs.initialC as never, H) : undefined,
      };
      const op0 = makeOp(cell, c0.weights, { direction: 'bidirectional' });
      const op1 = makeOp(cell, c0.weights, { direction: 'bidirectional', layout: 1 });
      const r0 = op0.run(c0.inputs) as Record<string, Tensor<'float32'>>;
      const r1 = op1.run(inputs1) as Record<string, Tensor<'float32'>>;
      // Y: [T, D, B, H] vs [B, T, D, H].
      const y0 = r0.Y.data;
      const y1 = r1.Y.data;
      expect(r1.Y.dims).toEqual([B, T, 2, H]);
      for (let t = 0; t < T; t++)
        for (let d = 0; d < 2; d++)
          for (let b = 0; b < B; b++)
            for (let u = 0; u < H; u++) expect(y1[((b * T + t) * 2 + d) * H + u]).toBe(y0[((t * 2 + d) * B + b) * H + u]);
      expectClose(r1.Y_h, swapTB(r0.Y_h, H), { atol: 0, rtol: 0 });
      op0.dispose();
      op1.dispose();
    });

    test('sequence ends: Y is zero past the end and Y_h is the last valid step', () => {
      const lens = [9, 1, 0, 4, 8];
      for (const direction of ['forward', 'reverse'] as const) {
        const c = makeCase({ ...base, cell, sequenceLens: lens, initialState: true, seed: 11 });
        const op = makeOp(cell, c.weights, { direction });
        const { Y, Y_h } = op.run(c.inputs) as Record<string, Tensor<'float32'>>;
        const { T, B, H } = base;
        for (let b = 0; b < B; b++) {
          for (let t = lens[b]; t < T; t++)
            expect(Array.from(Y.data.subarray((t * B + b) * H, (t * B + b + 1) * H)).every((v) => v === 0)).toBe(true);
          // Forward ends at step len-1; reverse ends at step 0; an empty sequence keeps initial_h.
          const last = lens[b] === 0 ? null : direction === 'forward' ? lens[b] - 1 : 0;
          const expected =
            last === null
              ? c.inputs.initialH!.data.subarray(b * H, (b + 1) * H)
              : Y.data.subarray((last * B + b) * H, (last * B + b + 1) * H);
          expect(Array.from(Y_h.data.subarray(b * H, (b + 1) * H))).toEqual(Array.from(expected as Float32Array));
        }
        op.dispose();
      }
    });

    test('bidirectional = forward and reverse ops side by side', () => {
      const c = makeCase({
        ...base,
        cell,
        direction: 'bidirectional',
        sequenceLens: 'random',
        initialState: true,
        peepholes: cell === 'LSTM',
        seed: 5,
      });
      const bi = makeOp(cell, c.weights, { direction: 'bidirectional' }).run(c.inputs) as Record<string, Tensor<'float32'>>;
      const half = (t: { data: Float32Array; dims: readonly number[] }, d: number) => {
        const [D, ...rest] = t.dims;
        const n = t.data.length / D;
        return { type: 'float32' as const, data: t.data.slice(d * n, (d + 1) * n), dims: [1, ...rest] };
      };
      const { T, B, H } = base;
      for (const [d, direction] of [
        [0, 'forward'],
        [1, 'reverse'],
      ] as const) {
        const w = Object.fromEntries(Object.entries(c.weights).map(([k, v]) => [k, half(v as never, d)]));
        const s = {
          ...c.inputs,
          initialH: half(c.inputs.initialH as never, d),
          initialC: c.inputs.initialC ? half(c.inputs.initialC as never, d) : undefined,
        };
        const one = makeOp(cell, w as never, { direction }).run(s) as Record<string, Tensor<'float32'>>;
        for (let t = 0; t < T; t++) {
          const got = bi.Y.data.subarray((t * 2 + d) * B * H, ((t * 2 + d) * B + B) * H);
          expect(Array.from(got)).toEqual(Array.from(one.Y.data.subarray(t * B * H, (t + 1) * B * H)));
        }
        expect(Array.from(bi.Y_h.data.subarray(d * B * H, (d + 1) * B * H))).toEqual(Array.from(one.Y_h.data));
      }
    });

    test('outputs option computes only what is asked', () => {
      const c = makeCase({ ...base, cell, seed: 2 });
      const op = makeOp(cell, c.weights, {});
      const all = op.run(c.inputs) as Record<string, Tensor<'float32'>>;
      const onlyH = op.run(c.inputs, { outputs: ['Y_h'] }) as Record<string, Tensor<'float32'>>;
      expect(Object.keys(onlyH)).toEqual(['Y_h']);
      expect(Array.from(onlyH.Y_h.data)).toEqual(Array.from(all.Y_h.data));
      expect(Object.keys(all).sort()).toEqual(cell === 'LSTM' ? ['Y', 'Y_c', 'Y_h'] : ['Y', 'Y_h']);
      op.dispose();
    });
  });

  describe('activation functions', () => {
    // Each function the spec names, in every slot, with explicit alpha/beta where it takes them.
    test.each(ACTIVATION_NAMES)('%s', (name) => {
      const alpha = [0.7, 0.3, 0.9];
      const beta = [0.4, 0.6, 0.2];
      for (const cell of CELLS) {
        const count = cell === 'LSTM' ? 3 : cell === 'GRU' ? 2 : 1;
        for (let slot = 0; slot < count; slot++) {
          const activations = cell === 'LSTM' ? ['Sigmoid', 'Tanh', 'Tanh'] : cell === 'GRU' ? ['Sigmoid', 'Tanh'] : ['Tanh'];
          activations[slot] = name;
          const c = makeCase({ ...base, T: 5, cell, initialState: true, seed: slot + 7 });
          expectMatchesReference(cell, c, { activations, activationAlpha: alpha, activationBeta: beta }, `${cell} ${activations}`);
          // Defaults for alpha/beta (no lists).
          expectMatchesReference(cell, c, { activations }, `${cell} ${activations} default alpha/beta`);
        }
      }
    });

    // Defaults checked against values worked out by hand from the ONNX spec's definitions, not
    // through the library's activation table: a one-unit RNN with W = 1, R = 0 and no bias gives
    // Y = f(x). alpha/beta defaults are those of the standalone ONNX operators (LeakyRelu 0.01,
    // HardSigmoid 0.2 and 0.5, Elu 1, ThresholdedRelu 1, Affine 1 and 0); ScaledTanh, which ONNX
    // no longer defines, takes 1 and 1.
    const xs = [-2, -0.5, 0.5, 1.5, 3];
    const byHand: [string, number[]][] = [
      ['LeakyRelu', [-0.02, -0.005, 0.5, 1.5, 3]], // x < 0 ? 0.01 x : x
      ['HardSigmoid', [0.1, 0.4, 0.6, 0.8, 1]], // min(max(0.2 x + 0.5, 0), 1)
      ['Elu', [-0.8646647167633873, -0.3934693402873666, 0.5, 1.5, 3]], // x < 0 ? e^x - 1 : x
      ['ThresholdedRelu', [0, 0, 0, 1.5, 3]], // x > 1 ? x : 0
      ['Affine', [-2, -0.5, 0.5, 1.5, 3]], // 1 x + 0
      ['ScaledTanh', [-0.9640275800758169, -0.46211715726000974, 0.46211715726000974, 0.9051482536448664, 0.9950547536867305]], // tanh(x)
    ];
    test.each(byHand)('%s without alpha/beta takes the ONNX default', (name, expected) => {
      const one = (v: number) => ({ type: 'float32' as const, data: Float32Array.of(v), dims: [1, 1, 1] });
      const op = new RnnOp({ W: one(1), R: one(0) }, { activations: [name] });
      const X = { type: 'float32' as const, data: Float32Array.from(xs), dims: [1, xs.length, 1] };
      const { Y } = op.run({ X });
      op.dispose();
      Array.from(Y!.data).forEach((y, k) => expect(y).toBeCloseTo(expected[k], 6));
    });

    // The default activation lists (GRU: Sigmoid, Tanh; LSTM: Sigmoid, Tanh, Tanh; RNN: Tanh) on
    // one unit, one step, W = R = 0: only the biases and the initial state act, and the ONNX
    // equations give these by hand (s = the logistic sigmoid).
    test('the default activations of each cell, by hand', () => {
      const t = (dims: number[], ...v: number[]) => ({ type: 'float32' as const, data: Float32Array.from(v), dims });
      const X = t([1, 1, 1], 0.9);
      // GRU, Wb = [z 0.5, r 0, h 0.8]: z = s(0.5), h~ = tanh(0.8), H = (1 - z) h~ + z 0.3.
      const gru = new GruOp({ W: t([1, 3, 1], 0, 0, 0), R: t([1, 3, 1], 0, 0, 0), B: t([1, 6], 0.5, 0, 0.8, 0, 0, 0) });
      expect(gru.run({ X, initialH: t([1, 1, 1], 0.3) }).Y_h!.data[0]).toBeCloseTo(0.43743868571404054, 6);
      gru.dispose();
      // LSTM, Wb = [i 0.5, o -0.3, f 1, c 0.8], C0 = -0.4: C = s(1) (-0.4) + s(0.5) tanh(0.8),
      // H = s(-0.3) tanh(C).
      const lstm = new LstmOp({ W: t([1, 4, 1], 0, 0, 0, 0), R: t([1, 4, 1], 0, 0, 0, 0), B: t([1, 8], 0.5, -0.3, 1, 0.8, 0, 0, 0, 0) });
      const out = lstm.run({ X, initialH: t([1, 1, 1], 0.3), initialC: t([1, 1, 1], -0.4) });
      lstm.dispose();
      expect(out.Y_c!.data[0]).toBeCloseTo(0.12091245246236298, 6);
      expect(out.Y_h!.data[0]).toBeCloseTo(0.05120590145967172, 6);
      // RNN, Wb = 0.8: H = tanh(0.8).
      const rnn = new RnnOp({ W: t([1, 1, 1], 0), R: t([1, 1, 1], 0), B: t([1, 2], 0.8, 0) });
      expect(rnn.run({ X }).Y_h!.data[0]).toBeCloseTo(0.6640367702678491, 6);
      rnn.dispose();
    });

    test('bidirectional ops take one list per direction', () => {
      const c = makeCase({ ...base, cell: 'GRU', direction: 'bidirectional', seed: 9 });
      const attrs = {
        direction: 'bidirectional',
        activations: ['Sigmoid', 'Tanh', 'HardSigmoid', 'Softsign'],
        activationAlpha: [0.3],
        activationBeta: [0.45],
      };
      expectMatchesReference('GRU', c, attrs, 'GRU per-direction activations');
      const { fast } = runBoth('GRU', c, attrs);
      const { fast: same } = runBoth('GRU', c, { direction: 'bidirectional' });
      // The reverse direction differs from the default; the forward one does not.
      const H = base.H;
      const B = base.B;
      expect(Array.from(fast.Y_h.data.subarray(0, B * H))).toEqual(Array.from(same.Y_h.data.subarray(0, B * H)));
      expect(Array.from(fast.Y_h.data.subarray(B * H))).not.toEqual(Array.from(same.Y_h.data.subarray(B * H)));
    });

    test('names are matched case-insensitively, as onnxruntime does', () => {
      const c = makeCase({ ...base, cell: 'LSTM', seed: 4 });
      const a = runBoth('LSTM', c, { activations: ['sigmoid', 'TANH', 'Tanh'] }).fast;
      const b = runBoth('LSTM', c, {}).fast;
      expect(Array.from(a.Y.data)).toEqual(Array.from(b.Y.data));
    });
  });
});

describe('NaN and Inf', () => {
  // Documented behaviour: a NaN in X or the state makes that batch entry's outputs NaN from that
  // step on (it flows through the recurrence like any value); it never crashes and never leaks
  // into other batch entries.
  test.each(CELLS)('%s: NaN propagates within its batch entry only', (cell) => {
    const c = makeCase({ ...base, cell, seed: 8 });
    const X = c.inputs.X.data as Float32Array;
    const { B, I, H, T } = base;
    X[(3 * B + 2) * I + 1] = NaN; // t = 3, b = 2
    const op = makeOp(cell, c.weights, {});
    const { Y, Y_h } = op.run(c.inputs) as Record<string, Tensor<'float32'>>;
    op.dispose();
    for (let t = 0; t < T; t++)
      for (let b = 0; b < B; b++) {
        const row = Array.from(Y.data.subarray((t * B + b) * H, (t * B + b + 1) * H));
        if (b === 2 && t >= 3) expect(row.some(Number.isNaN)).toBe(true);
        else expect(row.some(Number.isNaN)).toBe(false);
      }
    expect(Array.from(Y_h.data.subarray(2 * H, 3 * H)).some(Number.isNaN)).toBe(true);
  });

  test('an infinity in X stays in its batch entry (and usually becomes NaN there)', () => {
    const c = makeCase({ ...base, cell: 'LSTM', seed: 12 });
    (c.inputs.X.data as Float32Array).fill(Infinity, 0, base.I); // t = 0, b = 0
    const op = new LstmOp(c.weights, {});
    const { Y_h } = op.run(c.inputs);
    op.dispose();
    // Products with weights of both signs add +Inf and -Inf: NaN, as in any GEMM-based engine.
    expect(Array.from(Y_h!.data.subarray(0, base.H)).every((v) => !Number.isFinite(v))).toBe(true);
    expect(Array.from(Y_h!.data.subarray(base.H)).every(Number.isFinite)).toBe(true);
  });
});

test('GruOp accepts onnxruntime-common Tensor objects as they are', async () => {
  const ort = await import('onnxruntime-common');
  const c = makeCase({ ...base, cell: 'GRU', seed: 21 });
  const wrap = (t: { type: string; data: Float32Array; dims: readonly number[] }) => new ort.Tensor('float32', t.data, t.dims);
  const op = new GruOp({ W: wrap(c.weights.W as never), R: wrap(c.weights.R as never), B: wrap(c.weights.B as never) });
  const a = op.run({ X: wrap(c.inputs.X as never) });
  const b = op.run({ X: c.inputs.X });
  expect(Array.from(a.Y!.data)).toEqual(Array.from(b.Y!.data));
  op.dispose();
});
