// The native Adam update (ops/optimizer) on every ISA this CPU runs against its reference twin,
// the JavaScript lines it replaced: bit-identical on odd sizes and vector tails, sparse rows, AdamW
// decay and clipping scales.
import { adamUpdate, type AdamStep } from '../../lib/ops/optimizer';
import { setIsa } from '../../lib/ops/reference';
import { backendInfo, optimizers } from '../../lib';
import type { Param } from '../../lib/layers';

function referenceAdam(
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  rows: Int32Array | null,
  rowSize: number,
  s: AdamStep,
): void {
  const ranges: [number, number][] = rows ? Array.from(rows, (r) => [r * rowSize, (r + 1) * rowSize]) : [[0, w.length]];
  for (const [a, b] of ranges)
    for (let i = a; i < b; i++) {
      const gi = g[i] * s.scale;
      if (s.decay !== 0) w[i] -= w[i] * s.decay;
      m[i] += (gi - m[i]) * (1 - s.beta1);
      v[i] += (gi * gi - v[i]) * (1 - s.beta2);
      w[i] -= (s.alpha * m[i]) / (Math.sqrt(v[i]) + s.epsilon);
    }
}

function random(n: number, seed: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = (x / 2147483648 - 0.5) * 2 * scale;
  }
  return a;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

const ISAS = backendInfo().supportedIsas;
afterAll(() => setIsa(ISAS[0]));

describe.each(ISAS)('native Adam update on %s', (isa) => {
  beforeAll(() => expect(setIsa(isa)).toBe(true));

  const steps: AdamStep[] = [
    { scale: 1, decay: 0, beta1: 0.9, beta2: 0.999, alpha: (0.001 * Math.sqrt(1 - 0.999)) / (1 - 0.9), epsilon: 1e-7 },
    { scale: 0.37, decay: 0.001 * 0.004, beta1: 0.8, beta2: 0.99, alpha: 0.0123, epsilon: 1e-3 },
  ];
  test.each([1, 7, 8, 9, 16, 33, 1001])('dense, %i elements: bit-identical to the JavaScript update over several steps', (n) => {
    for (const s of steps) {
      const w = random(n, 1, 1),
        m = new Float32Array(n),
        v = new Float32Array(n);
      const [w2, m2, v2] = [w.slice(), m.slice(), v.slice()];
      for (let t = 0; t < 4; t++) {
        const g = random(n, 10 + t, 3);
        adamUpdate(w, g, m, v, null, 0, s);
        referenceAdam(w2, g, m2, v2, null, 0, s);
      }
      expect(bits(w)).toEqual(bits(w2));
      expect(bits(m)).toEqual(bits(m2));
      expect(bits(v)).toEqual(bits(v2));
    }
  });

  test('sparse rows: only those rows change, bit-identical to the reference', () => {
    const rowSize = 5,
      nrows = 9,
      n = rowSize * nrows;
    const rows = Int32Array.from([0, 3, 8, 4]);
    const w = random(n, 2, 1),
      m = random(n, 3, 0.1),
      v = random(n, 4, 0.1).map(Math.abs);
    const g = random(n, 5, 2);
    const [w2, m2, v2] = [w.slice(), m.slice(), v.slice()];
    adamUpdate(w, g, m, v, rows, rowSize, steps[1]);
    referenceAdam(w2, g, m2, v2, rows, rowSize, steps[1]);
    expect(bits(w)).toEqual(bits(w2));
    expect(bits(m)).toEqual(bits(m2));
    expect(bits(v)).toEqual(bits(v2));
    const w0 = random(n, 2, 1);
    for (const r of [1, 2, 5, 6, 7])
      expect(Array.from(w.subarray(r * rowSize, (r + 1) * rowSize))).toEqual(Array.from(w0.subarray(r * rowSize, (r + 1) * rowSize)));
  });

  test('a row out of range or mismatched lengths are errors, not memory faults', () => {
    const a = new Float32Array(6);
    expect(() => adamUpdate(a, a, a, a, Int32Array.from([3]), 2, steps[0])).toThrow('a row is out of range');
    expect(() => adamUpdate(a, new Float32Array(5), a, a, null, 0, steps[0])).toThrow('g, m and v must hold 6 floats, got 5');
  });

  test('Optimizer.apply with clipping: the same values as the JavaScript formula', () => {
    const n = 37;
    const p: Param = { name: 'w', shape: [n], value: random(n, 6, 1), grad: random(n, 7, 4), rows: null, rowSize: 0 };
    const w = p.value.slice(),
      m = new Float32Array(n),
      v = new Float32Array(n);
    const opt = optimizers.adamw({ learningRate: 0.01, clipNorm: 1 });
    opt.apply([p]);
    let sq = 0;
    for (let i = 0; i < n; i++) sq += p.grad[i] * p.grad[i];
    const scale = 1 / Math.sqrt(sq);
    referenceAdam(w, p.grad, m, v, null, 0, {
      scale,
      decay: 0.01 * 0.004,
      beta1: 0.9,
      beta2: 0.999,
      alpha: (0.01 * Math.sqrt(1 - 0.999)) / (1 - 0.9),
      epsilon: 1e-7,
    });
    expect(bits(p.value)).toEqual(bits(w));
  });
});
