// Central finite differences in float64, and float64 reference forwards of the training layers
// (ONNX semantics, batch-major), to check the analytic gradients the library computes in float32.

/** d f / d xs by central differences; f is evaluated in float64 throughout. */
export function numericGradient(f: (xs: Float64Array[]) => number, xs: Float64Array[], eps = 1e-5): Float64Array[] {
  return xs.map((x) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      x[i] = v + eps;
      const up = f(xs);
      x[i] = v - eps;
      const down = f(xs);
      x[i] = v;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  });
}

/** max |actual - expected| relative to max |expected| (and an absolute floor). */
export function gradError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1e-2;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

export function expectGradClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 2e-3): void {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} values, expected ${expected.length}`);
  const e = gradError(actual, expected);
  if (!(e <= tol)) {
    const firstBad = Array.from(expected).findIndex((v, i) => Math.abs(actual[i] - v) > tol * Math.max(1e-2, Math.abs(v)));
    throw new Error(
      `${label}: relative gradient error ${e.toExponential(2)} > ${tol} (e.g. [${firstBad}] ${actual[firstBad]} vs ${expected[firstBad]})`,
    );
  }
}

export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);
export const f32 = (a: ArrayLike<number>): Float32Array => Float32Array.from(a);

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export function activateRef(name: string, z: Float64Array, width: number): Float64Array {
  const y = new Float64Array(z.length);
  for (let r = 0; r < z.length; r += width) {
    if (name === 'softmax') {
      let m = -Infinity;
      for (let j = r; j < r + width; j++) m = Math.max(m, z[j]);
      let s = 0;
      for (let j = r; j < r + width; j++) s += Math.exp(z[j] - m);
      for (let j = r; j < r + width; j++) y[j] = Math.exp(z[j] - m) / s;
      continue;
    }
    for (let j = r; j < r + width; j++) {
      const v = z[j];
      y[j] = name === 'relu' ? Math.max(v, 0) : name === 'tanh' ? Math.tanh(v) : name === 'sigmoid' ? sigmoid(v) : v;
    }
  }
  return y;
}

/** Dense: rows x [fin] · kernel [fin, units] + bias, then the activation. */
export function denseRef(
  x: Float64Array,
  kernel: Float64Array,
  bias: Float64Array | null,
  fin: number,
  units: number,
  act: string,
): Float64Array {
  const rows = x.length / fin;
  const z = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      let s = bias ? bias[u] : 0;
      for (let k = 0; k < fin; k++) s += x[r * fin + k] * kernel[k * units + u];
      z[r * units + u] = s;
    }
  }
  return activateRef(act, z, units);
}

export interface RnnRefSpec {
  cell: 'GRU' | 'LSTM' | 'RNN';
  hidden: number;
  input: number;
  directions: 1 | 2;
  linearBeforeReset: boolean;
  /** One direction read from each row's last step (ONNX 'reverse'). */
  reverse?: boolean;
}

/**
 * ONNX GRU (gates z r h) / LSTM (gates i o f c) / RNN (tanh) over X [N, T, I], with per-row lengths (steps past
 * a length give zeros in Y; Y_h holds the last valid step; the reverse direction starts at each
 * row's own last step), from initial states h0 and c0 [N, D, H] or zeros. Returns Y [N, T, D*H],
 * Y_h [N, D*H] and (the LSTM's) Y_c [N, D*H].
 */
export function rnnRef(
  s: RnnRefSpec,
  W: Float64Array,
  R: Float64Array,
  B: Float64Array,
  X: Float64Array,
  n: number,
  t: number,
  lengths: Int32Array | null,
  h0: Float64Array | null = null,
  c0: Float64Array | null = null,
): { Y: Float64Array; Yh: Float64Array; Yc: Float64Array } {
  const H = s.hidden;
  const I = s.input;
  const G = s.cell === 'GRU' ? 3 : s.cell === 'LSTM' ? 4 : 1;
  const D = s.directions;
  const Y = new Float64Array(n * t * D * H);
  const Yh = new Float64Array(n * D * H);
  const Yc = new Float64Array(n * D * H);
  const gate = (d: number, g: number, j: number, x: Float64Array, xo: number, h: Float64Array): [number, number] => {
    const row = d * G * H + g * H + j;
    let wx = B[d * 2 * G * H + g * H + j];
    for (let k = 0; k < I; k++) wx += W[row * I + k] * x[xo + k];
    let rh = B[d * 2 * G * H + G * H + g * H + j];
    for (let k = 0; k < H; k++) rh += R[row * H + k] * h[k];
    return [wx, rh];
  };
  for (let d = 0; d < D; d++) {
    for (let b = 0; b < n; b++) {
      const len = lengths ? lengths[b] : t;
      const so = (b * D + d) * H;
      let h = h0 ? h0.slice(so, so + H) : new Float64Array(H);
      let c = c0 ? c0.slice(so, so + H) : new Float64Array(H);
      for (let step = 0; step < len; step++) {
        const ts = d === 0 && !s.reverse ? step : len - 1 - step;
        const xo = (b * t + ts) * I;
        const hn = new Float64Array(H);
        const cn = new Float64Array(H);
        if (s.cell === 'GRU') {
          const r = new Float64Array(H);
          const z = new Float64Array(H);
          for (let j = 0; j < H; j++) {
            const [zx, zh] = gate(d, 0, j, X, xo, h);
            const [rx, rh] = gate(d, 1, j, X, xo, h);
            z[j] = sigmoid(zx + zh);
            r[j] = sigmoid(rx + rh);
          }
          const rhv = h.map((v, j) => r[j] * v);
          for (let j = 0; j < H; j++) {
            let cand: number;
            if (s.linearBeforeReset) {
              const [hx, hh] = gate(d, 2, j, X, xo, h);
              cand = Math.tanh(hx + r[j] * hh);
            } else {
              const [hx, hh] = gate(d, 2, j, X, xo, rhv);
              cand = Math.tanh(hx + hh);
            }
            hn[j] = (1 - z[j]) * cand + z[j] * h[j];
          }
        } else if (s.cell === 'RNN') {
          for (let j = 0; j < H; j++) {
            const [x1, h1] = gate(d, 0, j, X, xo, h);
            hn[j] = Math.tanh(x1 + h1);
          }
        } else {
          for (let j = 0; j < H; j++) {
            const a = [0, 1, 2, 3].map((g) => {
              const [x1, h1] = gate(d, g, j, X, xo, h);
              return x1 + h1;
            });
            const i = sigmoid(a[0]);
            const o = sigmoid(a[1]);
            const f = sigmoid(a[2]);
            const g = Math.tanh(a[3]);
            cn[j] = f * c[j] + i * g;
            hn[j] = o * Math.tanh(cn[j]);
          }
          c = cn;
        }
        h = hn;
        for (let j = 0; j < H; j++) Y[((b * t + ts) * D + d) * H + j] = h[j];
      }
      for (let j = 0; j < H; j++) Yh[so + j] = h[j];
      for (let j = 0; j < H; j++) Yc[so + j] = c[j];
    }
  }
  return { Y, Yh, Yc };
}
