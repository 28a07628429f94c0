/**
 * The training kernels (forward and backward epilogues of GRU, LSTM and the plain RNN) on every
 * ISA this CPU runs, on odd sizes: hidden sizes around the 16-wide panel, batch tails, sequence
 * lengths, both layouts. The forward against the float64 forward (test/helpers/rnn64.ts); every
 * gradient against a central difference of that float64 forward along a random direction, and
 * element by element against the portable (scalar) table.
 */
import { backendInfo } from '../../lib';
import { setIsa } from '../../lib/ops/reference';
import { RnnTrainer, type TrainCell, type TrainGradients } from '../../lib/train/native-rnn';
import { type Rnn64Data, rng32, rnnForward64 } from '../helpers/rnn64';

const ISAS = backendInfo().supportedIsas;
afterAll(() => setIsa(ISAS[0]));

type Variant = { cell: TrainCell; lbr: boolean };
const VARIANTS: Variant[] = [
  { cell: 'GRU', lbr: false },
  { cell: 'GRU', lbr: true },
  { cell: 'LSTM', lbr: false },
  { cell: 'RNN', lbr: false },
];

interface Shape {
  T: number;
  N: number;
  I: number;
  H: number;
  direction: 'forward' | 'reverse' | 'bidirectional';
  layout: 0 | 1;
  lens: boolean;
}

const SHAPES: Shape[] = [
  { T: 1, N: 1, I: 5, H: 1, direction: 'forward', layout: 0, lens: false },
  { T: 6, N: 5, I: 2, H: 17, direction: 'reverse', layout: 1, lens: true },
  { T: 7, N: 3, I: 16, H: 33, direction: 'bidirectional', layout: 0, lens: true },
  { T: 3, N: 9, I: 7, H: 15, direction: 'forward', layout: 1, lens: false },
];

function random(n: number, rand: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

function makeCase(v: Variant, s: Shape, seed: number) {
  const rand = rng32(seed);
  const D = s.direction === 'bidirectional' ? 2 : 1;
  const G = v.cell === 'GRU' ? 3 : v.cell === 'LSTM' ? 4 : 1;
  const ns = D * s.N * s.H;
  const lens = Int32Array.from({ length: s.N }, (_, b) => (b === 0 ? s.T : Math.floor(rand() * (s.T + 1))));
  const data: Rnn64Data = {
    W: random(D * G * s.H * s.I, rand, 0.6),
    R: random(D * G * s.H * s.H, rand, 0.6),
    B: random(D * 2 * G * s.H, rand, 0.5),
    X: random(s.T * s.N * s.I, rand),
    seqLength: s.T,
    batchSize: s.N,
    sequenceLens: s.lens ? lens : null,
    initialH: random(ns, rand),
    initialC: v.cell === 'LSTM' ? random(ns, rand) : null,
  };
  const attrs = {
    cell: v.cell,
    hiddenSize: s.H,
    inputSize: s.I,
    direction: s.direction,
    linearBeforeReset: v.lbr,
    layout: s.layout,
    threads: 2,
  };
  const cY = random(s.T * ns, rand),
    cH = random(ns, rand),
    cC = v.cell === 'LSTM' ? random(ns, rand) : null;
  return { attrs, data, cY, cH, cC };
}

type Case = ReturnType<typeof makeCase>;
const KEYS = ['W', 'R', 'B', 'X', 'initialH', 'initialC'] as const;
const GRAD: Record<(typeof KEYS)[number], keyof TrainGradients> = {
  W: 'dW',
  R: 'dR',
  B: 'dB',
  X: 'dX',
  initialH: 'dInitialH',
  initialC: 'dInitialC',
};

function run(c: Case): { Y: Float32Array; Y_h: Float32Array; Y_c?: Float32Array; g: TrainGradients } {
  const t = new RnnTrainer(c.attrs);
  const d = c.data;
  const weights = { W: d.W as Float32Array, R: d.R as Float32Array, B: d.B as Float32Array };
  const inputs = {
    X: d.X as Float32Array,
    seqLength: d.seqLength,
    batchSize: d.batchSize,
    sequenceLens: d.sequenceLens as Int32Array | null,
    initialH: d.initialH as Float32Array,
    initialC: d.initialC as Float32Array | null,
  };
  const fwd = t.forward(weights, inputs);
  const g = t.backward(weights, inputs, fwd.saved, { dY: c.cY, dY_h: c.cH, dY_c: c.cC });
  t.dispose();
  return { Y: fwd.Y!, Y_h: fwd.Y_h!, Y_c: fwd.Y_c, g };
}

function loss64(c: Case, d: Rnn64Data): number {
  const o = rnnForward64(c.attrs, d);
  let l = 0;
  for (const [w, y] of [
    [c.cY, o.Y],
    [c.cH, o.Y_h],
    [c.cC, o.Y_c],
  ] as const)
    if (w && y) for (let i = 0; i < w.length; i++) l += w[i] * y[i];
  return l;
}

function worst(got: Float32Array, want: ArrayLike<number>, atol: number, rtol: number): string | null {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) return `[${i}] = ${got[i]}, expected ${want[i]}`;
  }
  return null;
}

test('this CPU runs at least the scalar training kernels', () => {
  expect(ISAS).toContain('scalar');
});

const portable = new Map<string, ReturnType<typeof run>>();

describe.each(ISAS)('isa %s', (isa) => {
  beforeAll(() => {
    expect(setIsa(isa)).toBe(true);
    expect(backendInfo().isa).toBe(isa);
  });

  describe.each(VARIANTS.map((v) => [v.cell === 'GRU' ? `GRU linearBeforeReset=${Number(v.lbr)}` : v.cell, v] as const))(
    '%s',
    (name, v) => {
      test.each(
        SHAPES.map(
          (s, k) => [`T=${s.T} N=${s.N} I=${s.I} H=${s.H} ${s.direction} layout ${s.layout}${s.lens ? ' lengths' : ''}`, s, k] as const,
        ),
      )('%s', (_label, s, k) => {
        const c = makeCase(v, s, 1000 + k);
        const got = run(c);
        const want = rnnForward64(c.attrs, c.data);
        for (const [out, ref] of [
          ['Y', want.Y],
          ['Y_h', want.Y_h],
          ['Y_c', want.Y_c],
        ] as const) {
          if (!ref) continue;
          const bad = worst(got[out]!, ref, 1e-5, 1e-5);
          if (bad) throw new Error(`${isa} ${name} ${out}${bad}`);
        }
        // Each gradient along a random direction u: sum(g ⊙ u) = d/de loss(x + e u), in float64.
        const rand = rng32(77 + k);
        for (const key of KEYS) {
          const x = c.data[key];
          if (!x) continue;
          const g = got.g[GRAD[key]] as Float32Array;
          const u = random(x.length, rand);
          const eps = 1e-4;
          const moved = (sign: number): Rnn64Data => ({ ...c.data, [key]: Float64Array.from(x, (xi, i) => xi + sign * eps * u[i]) });
          const fd = (loss64(c, moved(1)) - loss64(c, moved(-1))) / (2 * eps);
          let dot = 0,
            scale = 0;
          for (let i = 0; i < g.length; i++) {
            dot += g[i] * u[i];
            scale += Math.abs(g[i] * u[i]);
          }
          if (!(Math.abs(dot - fd) <= 1e-6 + 2e-4 * scale))
            throw new Error(`${isa} ${name} d${key}: along a random direction ${dot}, finite difference ${fd}`);
        }
        const id = `${name} ${k}`;
        if (isa === 'scalar' || !ISAS.includes('scalar')) portable.set(id, got);
      });
    },
  );
});

test("every ISA gives the portable table's gradients element by element", () => {
  const others = ISAS.filter((i) => i !== 'scalar');
  for (const isa of others) {
    setIsa(isa);
    VARIANTS.forEach((v) => {
      const name = v.cell === 'GRU' ? `GRU linearBeforeReset=${Number(v.lbr)}` : v.cell;
      SHAPES.forEach((s, k) => {
        const ref = portable.get(`${name} ${k}`)!;
        const got = run(makeCase(v, s, 1000 + k));
        for (const key of KEYS) {
          const a = got.g[GRAD[key]] as Float32Array | undefined,
            b = ref.g[GRAD[key]] as Float32Array | undefined;
          if (!a || !b) continue;
          const scale = b.reduce((m, x) => Math.max(m, Math.abs(x)), 1e-3);
          const bad = worst(a, b, 1e-5 * scale, 1e-4);
          if (bad) throw new Error(`${isa} vs scalar ${name} shape ${k} d${key}${bad}`);
        }
      });
    });
  }
});
