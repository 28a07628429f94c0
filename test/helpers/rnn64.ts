// A float64 forward pass of the ONNX GRU (both linear_before_reset forms), LSTM (no peepholes) and
// plain RNN with the default activations: the exact function whose central finite differences the native
// gradients are checked against. Plain loops, written from the ONNX equations; never fast.
import { Rng } from '../../lib/train/rng';

/** A small deterministic PRNG in [0, 1): mulberry32, the library's Rng. */
export function rng32(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export interface Rnn64Spec {
  cell: 'GRU' | 'LSTM' | 'RNN';
  hiddenSize: number;
  inputSize: number;
  direction: 'forward' | 'reverse' | 'bidirectional';
  linearBeforeReset: boolean;
  layout: 0 | 1;
}

export interface Rnn64Data {
  W: ArrayLike<number>;
  R: ArrayLike<number>;
  B?: ArrayLike<number> | null;
  X: ArrayLike<number>;
  seqLength: number;
  batchSize: number;
  sequenceLens?: ArrayLike<number> | null;
  initialH?: ArrayLike<number> | null;
  initialC?: ArrayLike<number> | null;
}

export interface Rnn64Outputs {
  Y: Float64Array;
  Y_h: Float64Array;
  Y_c: Float64Array | null;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Y (zeros past each sequence's end), Y_h and Y_c (LSTM) in the spec's layout, in float64. */
export function rnnForward64(s: Rnn64Spec, d: Rnn64Data): Rnn64Outputs {
  const H = s.hiddenSize,
    I = s.inputSize,
    T = d.seqLength,
    N = d.batchSize;
  const D = s.direction === 'bidirectional' ? 2 : 1;
  const G = s.cell === 'GRU' ? 3 : s.cell === 'LSTM' ? 4 : 1;
  const xAt = (t: number, b: number, k: number): number => d.X[(s.layout === 0 ? t * N + b : b * T + t) * I + k];
  const yOff = (t: number, dir: number, b: number): number => (s.layout === 0 ? (t * D + dir) * N + b : (b * T + t) * D + dir) * H;
  const stOff = (dir: number, b: number): number => (s.layout === 0 ? dir * N + b : b * D + dir) * H;
  const Y = new Float64Array(T * D * N * H),
    Y_h = new Float64Array(D * N * H);
  const Y_c = s.cell === 'LSTM' ? new Float64Array(D * N * H) : null;
  for (let dir = 0; dir < D; dir++) {
    const rev = D === 2 ? dir === 1 : s.direction === 'reverse';
    const w = (row: number, k: number): number => d.W[(dir * G * H + row) * I + k];
    const r = (row: number, k: number): number => d.R[(dir * G * H + row) * H + k];
    const wb = (row: number): number => (d.B ? d.B[dir * 2 * G * H + row] : 0);
    const rb = (row: number): number => (d.B ? d.B[dir * 2 * G * H + G * H + row] : 0);
    for (let b = 0; b < N; b++) {
      const len = d.sequenceLens ? d.sequenceLens[b] : T;
      let h = new Float64Array(H),
        c = new Float64Array(H);
      for (let u = 0; u < H; u++) {
        if (d.initialH) h[u] = d.initialH[stOff(dir, b) + u];
        if (d.initialC && s.cell === 'LSTM') c[u] = d.initialC[stOff(dir, b) + u];
      }
      for (let step = 0; step < len; step++) {
        const t = rev ? len - 1 - step : step;
        // a[row] = W x + Wb (+ R h + Rb where the gate's recurrent term is plain).
        const wx = new Float64Array(G * H),
          rh = new Float64Array(G * H);
        for (let row = 0; row < G * H; row++) {
          let sx = wb(row),
            sh = rb(row);
          for (let k = 0; k < I; k++) sx += w(row, k) * xAt(t, b, k);
          for (let k = 0; k < H; k++) sh += r(row, k) * h[k];
          wx[row] = sx;
          rh[row] = sh;
        }
        const hn = new Float64Array(H);
        if (s.cell === 'GRU') {
          const z = new Float64Array(H),
            rr = new Float64Array(H);
          for (let u = 0; u < H; u++) {
            z[u] = sigmoid(wx[u] + rh[u]);
            rr[u] = sigmoid(wx[H + u] + rh[H + u]);
          }
          for (let u = 0; u < H; u++) {
            let a: number;
            if (s.linearBeforeReset) {
              a = wx[2 * H + u] + rr[u] * rh[2 * H + u];
            } else {
              a = wx[2 * H + u] + rb(2 * H + u);
              for (let k = 0; k < H; k++) a += r(2 * H + u, k) * rr[k] * h[k];
            }
            const ht = Math.tanh(a);
            hn[u] = (1 - z[u]) * ht + z[u] * h[u];
          }
        } else if (s.cell === 'RNN') {
          for (let u = 0; u < H; u++) hn[u] = Math.tanh(wx[u] + rh[u]);
        } else {
          const cn = new Float64Array(H);
          for (let u = 0; u < H; u++) {
            const i = sigmoid(wx[u] + rh[u]),
              o = sigmoid(wx[H + u] + rh[H + u]);
            const f = sigmoid(wx[2 * H + u] + rh[2 * H + u]),
              g = Math.tanh(wx[3 * H + u] + rh[3 * H + u]);
            cn[u] = f * c[u] + i * g;
            hn[u] = o * Math.tanh(cn[u]);
          }
          c = cn;
        }
        h = hn;
        Y.set(h, yOff(t, dir, b));
      }
      Y_h.set(h, stOff(dir, b));
      if (Y_c) Y_c.set(c, stOff(dir, b));
    }
  }
  return { Y, Y_h, Y_c };
}
