// Luong attention after the decoder's recurrent stack: each decoder output scores every valid
// encoder output ('general': hᵀ·Wa·s, 'dot': hᵀ·s), the softmax of the scores weights the encoder
// outputs into a context, and a tanh Dense layer maps [context; h] back to the hidden width.
// Teacher forcing attends for a whole target at once; decoding attends one step per hypothesis.
import { Dense } from '../../layers';
import { makeParam } from '../../layers/layer';
import type { Activation, Param, RunContext } from '../../layers/layer';
import { gemm } from '../../train/gemm';
import { initMatrix } from '../../train/initializers';
import type { Rng } from '../../train/rng';

/** Softmax over the first `len` of each `ts`-wide row in place; the rest become 0 (all 0 when len is 0). */
function maskedSoftmax(a: Float32Array, rows: number, ts: number, len: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * ts;
    let m = -Infinity;
    for (let s = 0; s < len; s++) if (a[o + s] > m) m = a[o + s];
    let sum = 0;
    for (let s = 0; s < len; s++) sum += Math.exp(a[o + s] - m);
    for (let s = 0; s < ts; s++) a[o + s] = s < len ? Math.exp(a[o + s] - m) / sum : 0;
  }
}

/** Rows of [a; b] from rows of a [rows, w] and b [rows, w]. */
function concatRows(a: Float32Array, b: Float32Array, rows: number, w: number): Float32Array {
  const out = new Float32Array(rows * 2 * w);
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * w, r * w + w), r * 2 * w);
    out.set(b.subarray(r * w, r * w + w), r * 2 * w + w);
  }
  return out;
}

/** The encoder's outputs as decoding attends over them: outputs, keys and valid lengths. */
export interface Memory {
  /** Encoder outputs [n, ts, H] and their keys for the score ([n, ts, H]). */
  he: Float32Array;
  ke: Float32Array;
  lens: Int32Array;
  ts: number;
}

export class LuongAttention {
  /** 'general' only: the score's matrix [H, H]. */
  readonly Wa: Param | null = null;
  readonly dense: Dense;
  /** The last training forward's inputs and weights, for backward. */
  private cache: { hd: Float32Array; he: Float32Array; ke: Float32Array; a: Float32Array; n: number; tt: number; ts: number } | null = null;

  constructor(
    private readonly H: number,
    score: 'general' | 'dot',
    rng: Rng,
    private readonly threadsOf: () => number | undefined,
  ) {
    if (score === 'general') {
      const Wa = (this.Wa = makeParam('attention/Wa', [H, H]));
      initMatrix('glorotUniform', H, H, rng, (r, col, v) => (Wa.value[r * H + col] = v));
    }
    this.dense = new Dense({ name: 'attention_dense', units: H, activation: 'tanh' });
    this.dense.build([-1, 2 * H], rng);
  }

  private get threads(): number | undefined {
    return this.threadsOf();
  }

  /** Attention keys: Wa·s for each encoder output s ('general'), or s itself ('dot'). */
  keys(he: Float32Array, rows: number): Float32Array {
    if (!this.Wa) return he;
    const H = this.H;
    return gemm({ transB: true, M: rows, N: H, K: H, A: he, B: this.Wa.value, C: new Float32Array(rows * H), threads: this.threads });
  }

  /** The attentional outputs [n, tt, H] for decoder outputs hd [n, tt, H] over encoder outputs he [n, ts, H]. */
  async forward(
    hd: Float32Array,
    he: Float32Array,
    lens: Int32Array,
    n: number,
    tt: number,
    ts: number,
    ctx: RunContext,
  ): Promise<Activation> {
    const H = this.H;
    const threads = this.threads;
    const ke = this.keys(he, n * ts);
    const a = new Float32Array(n * tt * ts);
    const context = new Float32Array(n * tt * H);
    for (let b = 0; b < n; b++) {
      const heB = he.subarray(b * ts * H, (b + 1) * ts * H);
      const aB = a.subarray(b * tt * ts, (b + 1) * tt * ts);
      gemm({
        transB: true,
        M: tt,
        N: ts,
        K: H,
        A: hd.subarray(b * tt * H, (b + 1) * tt * H),
        B: ke.subarray(b * ts * H, (b + 1) * ts * H),
        C: aB,
        threads,
      });
      maskedSoftmax(aB, tt, ts, lens[b]);
      gemm({ M: tt, N: H, K: ts, A: aB, B: heB, C: context.subarray(b * tt * H, (b + 1) * tt * H), threads });
    }
    if (ctx.training) this.cache = { hd, he, ke, a, n, tt, ts };
    return this.dense.forward({ data: concatRows(context, hd, n * tt, H), dims: [n, tt, 2 * H] }, ctx);
  }

  /** From the gradient of the attentional outputs: Wa's and the Dense layer's gradients, and those of hd and he. */
  async backward(dOut: Float32Array): Promise<{ dHd: Float32Array; dHe: Float32Array }> {
    const dConcat = await this.dense.backward(dOut);
    const { hd, he, ke, a, n, tt, ts } = this.cache!;
    const H = this.H;
    const threads = this.threads;
    const rows = n * tt;
    const dCtx = new Float32Array(rows * H);
    const dHd = new Float32Array(rows * H);
    for (let r = 0; r < rows; r++) {
      dCtx.set(dConcat.subarray(r * 2 * H, r * 2 * H + H), r * H);
      dHd.set(dConcat.subarray(r * 2 * H + H, (r + 1) * 2 * H), r * H);
    }
    const dHe = new Float32Array(n * ts * H);
    // 'dot': the keys are the encoder outputs, so their gradient adds into dHe directly.
    const dKe = this.Wa ? new Float32Array(n * ts * H) : dHe;
    const dA = new Float32Array(tt * ts);
    for (let b = 0; b < n; b++) {
      const t0 = b * tt * H,
        t1 = (b + 1) * tt * H;
      const s0 = b * ts * H,
        s1 = (b + 1) * ts * H;
      const aB = a.subarray(b * tt * ts, (b + 1) * tt * ts);
      const dC = dCtx.subarray(t0, t1);
      gemm({ transB: true, M: tt, N: ts, K: H, A: dC, B: he.subarray(s0, s1), C: dA, threads });
      gemm({ transA: true, M: ts, N: H, K: tt, A: aB, B: dC, C: dHe.subarray(s0, s1), threads });
      // Softmax backward: dScore = a ⊙ (dA − Σ a·dA) per row (masked steps have a = 0).
      for (let t = 0; t < tt; t++) {
        let dot = 0;
        for (let s = 0; s < ts; s++) dot += aB[t * ts + s] * dA[t * ts + s];
        for (let s = 0; s < ts; s++) dA[t * ts + s] = aB[t * ts + s] * (dA[t * ts + s] - dot);
      }
      gemm({ M: tt, N: H, K: ts, A: dA, B: ke.subarray(s0, s1), C: dHd.subarray(t0, t1), beta: 1, threads });
      gemm({ transA: true, M: ts, N: H, K: tt, A: dA, B: hd.subarray(t0, t1), C: dKe.subarray(s0, s1), beta: this.Wa ? 0 : 1, threads });
    }
    if (this.Wa) {
      gemm({ transA: true, M: H, N: H, K: n * ts, A: dKe, B: he, C: this.Wa.grad, threads });
      gemm({ M: n * ts, N: H, K: H, A: dKe, B: this.Wa.value, C: dHe, beta: 1, threads });
    }
    this.cache = null;
    return { dHd, dHe };
  }

  /** One decoding step: each run of rows of one source (`srcOf`) against that source's outputs; [rows, 1, H]. */
  step(mem: Memory, hd: Float32Array, srcOf: Int32Array, ctx: RunContext): Promise<Activation> {
    const H = this.H;
    const { ts } = mem;
    const threads = this.threads;
    const rows = srcOf.length;
    const context = new Float32Array(rows * H);
    for (let r0 = 0; r0 < rows; ) {
      const b = srcOf[r0];
      let r1 = r0 + 1;
      while (r1 < rows && srcOf[r1] === b) r1++;
      const m = r1 - r0;
      const a = new Float32Array(m * ts);
      gemm({
        transB: true,
        M: m,
        N: ts,
        K: H,
        A: hd.subarray(r0 * H, r1 * H),
        B: mem.ke.subarray(b * ts * H, (b + 1) * ts * H),
        C: a,
        threads,
      });
      maskedSoftmax(a, m, ts, mem.lens[b]);
      gemm({ M: m, N: H, K: ts, A: a, B: mem.he.subarray(b * ts * H, (b + 1) * ts * H), C: context.subarray(r0 * H, r1 * H), threads });
      r0 = r1;
    }
    return this.dense.forward({ data: concatRows(context, hd, rows, H), dims: [rows, 1, 2 * H] }, ctx);
  }
}
