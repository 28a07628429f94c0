/**
 * precision: 'bf16' stores W and R as bfloat16 with fp32 sums. The emulated kernels multiply the
 * widened weights exactly, so they match the reference run on bf16-rounded weights to fp32
 * tolerance; vdpbf16ps (AVX512_BF16) also rounds the activations, so it is held to a documented
 * bound against full fp32 instead.
 */
import { backendInfo } from '../../lib';
import { setBf16Native, setIsa } from '../../lib/ops/reference';
import { type Cell, makeCase, makeOp, type OpCase } from '../helpers/cases';
import { expectClose, maxAbsDiff } from '../helpers/onnx';
import { referenceForward } from '../../lib/ops/reference';

/** Round-to-nearest-even to bfloat16, kept in float32. */
function toBf16(data: Float32Array): Float32Array {
  const out = new Float32Array(data);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) bits[i] = ((bits[i] + 0x7fff + ((bits[i] >>> 16) & 1)) & 0xffff0000) >>> 0;
  return out;
}

function roundWeights(c: OpCase): OpCase['weights'] {
  const r = (t: { type: string; data: unknown; dims: readonly number[] }) => ({
    type: 'float32' as const,
    data: toBf16(t.data as Float32Array),
    dims: t.dims,
  });
  return { W: r(c.weights.W), R: r(c.weights.R), B: c.weights.B, P: c.weights.P };
}

const CASES: [Cell, Record<string, unknown>, Record<string, unknown>][] = [
  ['GRU', { T: 20, B: 1, I: 33, H: 65 }, { linearBeforeReset: 1 }],
  [
    'GRU',
    { T: 9, B: 5, I: 8, H: 17, direction: 'bidirectional', sequenceLens: 'random' },
    { linearBeforeReset: 0, direction: 'bidirectional' },
  ],
  ['LSTM', { T: 20, B: 3, I: 40, H: 64, peepholes: true, initialState: true }, {}],
  ['RNN', { T: 12, B: 2, I: 7, H: 31 }, {}],
];
const info = backendInfo();

afterAll(() => {
  setIsa(info.supportedIsas[0]);
  setBf16Native(info.bf16 === 'avx512bf16');
});

describe.each(info.supportedIsas)('emulated bf16 kernels, isa %s', (isa) => {
  beforeAll(() => {
    setIsa(isa);
    setBf16Native(false);
  });
  test.each(CASES)('%s %j', (cell, shape, attrs) => {
    const c = makeCase({ cell, seed: 3, ...shape } as never);
    const op = makeOp(cell, c.weights, { ...attrs, precision: 'bf16' });
    const fast = op.run(c.inputs) as Record<string, { type: 'float32'; data: Float32Array; dims: readonly number[] }>;
    op.dispose();
    const ref = referenceForward(cell, roundWeights(c), attrs, c.inputs) as typeof fast;
    for (const name of Object.keys(ref)) expectClose(fast[name], ref[name], { label: `${isa} ${cell} ${name}` });
  });
});

const nativeBf16 = info.bf16 === 'avx512bf16';
// Skipped only on CPUs without AVX512_BF16, where the emulated kernels above are the bf16 path.
(nativeBf16 ? describe : describe.skip)('vdpbf16ps kernel (this CPU has AVX512_BF16)', () => {
  beforeAll(() => {
    setIsa('avx512');
    expect(setBf16Native(true)).toBe(true);
  });
  // Each case's bound is about twice the largest |difference| from fp32 measured over its outputs
  // (AMD EPYC, Zen 4, with AVX512_BF16; these seeds): GRU 1.23e-3, GRU bidirectional 1.10e-3,
  // LSTM 1.38e-3 (Y; Y_h 6.5e-4, Y_c 1.17e-3), RNN 2.55e-3. A regression of 2x or more fails.
  const BOUNDS = [2.5e-3, 2.2e-3, 2.8e-3, 5e-3];
  test.each(CASES.map((c, k) => [...c, BOUNDS[k]] as const))('%s %j %j stays within %p of fp32', (cell, shape, attrs, bound) => {
    const c = makeCase({ cell, seed: 3, ...shape } as never);
    const op = makeOp(cell, c.weights, { ...attrs, precision: 'bf16' });
    const fast = op.run(c.inputs) as Record<string, { data: Float32Array }>;
    op.dispose();
    const ref = referenceForward(cell, c.weights, attrs, c.inputs) as typeof fast;
    const worst = Math.max(...Object.keys(ref).map((name) => maxAbsDiff(fast[name], ref[name])));
    expect(worst).toBeLessThan(bound);
  });
});

test('precision is checked', () => {
  const c = makeCase({ cell: 'GRU', T: 2, B: 1, I: 3, H: 4 });
  expect(() => makeOp('GRU', c.weights, { precision: 'fp16' })).toThrow(
    "new GruOp: expected precision to be 'fp32' or 'bf16', but received \"fp16\" of type string",
  );
});
