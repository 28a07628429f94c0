// Decoding a trained sequence-to-sequence model: the decoder's recurrent layers as inference
// operators stepped one token at a time, by greedy search or beam search over summed
// log-probabilities.
import { Tensor } from '../../tensor';
import { GruOp } from '../../ops/gru';
import { LstmOp } from '../../ops/lstm';
import { RnnOp } from '../../ops/rnn';
import type { Dense, Embedding, Recurrent } from '../../layers';
import type { Activation, RunContext } from '../../layers/layer';
import { range } from '../data';
import type { LuongAttention, Memory } from './attention';
import type { Seq2SeqConfig } from './config';

export type StepOp = GruOp | LstmOp | RnnOp;

/** The inference operator over a recurrent layer's current weights (batch-major). */
export function inferenceOp(layer: Recurrent, threads: number | undefined): StepOp {
  const [W, R, B] = layer.params;
  const weights = {
    W: new Tensor('float32', W.value, W.shape),
    R: new Tensor('float32', R.value, R.shape),
    B: new Tensor('float32', B.value, B.shape),
  };
  if (layer.cell === 'RNN') return new RnnOp(weights, { layout: 1, threads });
  return layer.cell === 'GRU'
    ? new GruOp(weights, { linearBeforeReset: 1, layout: 1, threads })
    : new LstmOp(weights, { layout: 1, threads });
}

/** What decoding reads: the model's parts after the encoder, and one batch of sources' encoder outputs. */
export interface Decoder {
  config: Seq2SeqConfig;
  tgtEmbed: Embedding;
  ops: StepOp[];
  attention: LuongAttention | null;
  output: Dense;
  ctx: RunContext;
  memory: Memory;
}

export interface States {
  h: Float32Array[];
  c: (Float32Array | null)[];
}

/**
 * One decoder step for `tokens` (one row per hypothesis; `srcOf` names each row's source, rows of
 * a source adjacent): log-probabilities [rows, V] and the new states.
 */
async function decodeStep(dec: Decoder, tokens: Int32Array, srcOf: Int32Array, { h, c }: States): Promise<States & { logp: Float64Array }> {
  const rows = tokens.length;
  const H = dec.config.units;
  let x = (await dec.tgtEmbed.forward({ data: tokens, dims: [rows, 1] }, dec.ctx)).data as Float32Array;
  const h2: Float32Array[] = [];
  const c2: (Float32Array | null)[] = [];
  for (let l = 0; l < dec.ops.length; l++) {
    const op = dec.ops[l];
    const X = new Tensor('float32', x, [rows, 1, l === 0 ? dec.config.embedDim : H]);
    const initialH = new Tensor('float32', h[l], [rows, 1, H]);
    if (op instanceof LstmOp) {
      const out = op.run({ X, initialH, initialC: new Tensor('float32', c[l]!, [rows, 1, H]) }, { outputs: ['Y_h', 'Y_c'] });
      h2.push(out.Y_h!.data);
      c2.push(out.Y_c!.data);
    } else {
      h2.push(op.run({ X, initialH }, { outputs: ['Y_h'] }).Y_h!.data);
      c2.push(null);
    }
    x = h2[l];
  }
  let top: Activation = { data: x, dims: [rows, 1, H] };
  if (dec.attention) top = await dec.attention.step(dec.memory, x, srcOf, dec.ctx);
  await dec.output.forward(top, dec.ctx);
  // Log-softmax of the logits in float64: the scores beam search adds up.
  const z = dec.output.preactivation!;
  const V = dec.config.tgtVocab;
  const logp = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const o = r * V;
    let m = -Infinity;
    for (let j = 0; j < V; j++) if (z[o + j] > m) m = z[o + j];
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(z[o + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < V; j++) logp[o + j] = z[o + j] - lse;
  }
  return { logp, h: h2, c: c2 };
}

/** Greedy search: each source's most likely token at every step, until its end token or maxLength. */
export async function greedy(dec: Decoder, states: States, n: number, maxLength: number): Promise<number[][]> {
  const { startToken, endToken, tgtVocab: V } = dec.config;
  const out: number[][] = Array.from({ length: n }, () => []);
  const done = new Uint8Array(n);
  const tokens = new Int32Array(n).fill(startToken);
  const srcOf = range(n);
  let { h, c } = states;
  let left = n;
  for (let step = 0; step < maxLength && left > 0; step++) {
    const r = await decodeStep(dec, tokens, srcOf, { h, c });
    ({ h, c } = r);
    for (let b = 0; b < n; b++) {
      if (done[b]) continue;
      const tok = argmax(r.logp, b * V, V);
      if (tok === endToken) {
        done[b] = 1;
        left--;
      } else {
        out[b].push(tok);
        tokens[b] = tok;
      }
    }
  }
  return out;
}

/**
 * Beam search: each step expands every live hypothesis by its `width` best tokens and keeps the
 * `width` best of all candidates by summed log-probability; a kept candidate that is the end
 * token is finished. A source is done when `width` hypotheses have finished or the best
 * finished one scores at least the best live one (a longer one only scores lower).
 */
export async function beam(dec: Decoder, states: States, n: number, width: number, maxLength: number): Promise<number[][]> {
  const { startToken, endToken, tgtVocab: V, units: H } = dec.config;
  interface Hyp {
    tokens: number[];
    score: number;
    row: number;
  }
  let live: Hyp[][] = Array.from({ length: n }, (_, b) => [{ tokens: [], score: 0, row: b }]);
  const finished: { tokens: number[]; score: number }[][] = Array.from({ length: n }, () => []);
  let { h, c } = states;
  for (let step = 0; step < maxLength; step++) {
    const flat = live.flatMap((hyps, b) => hyps.map((hyp) => ({ hyp, b })));
    if (flat.length === 0) break;
    const rows = flat.length;
    const tokens = new Int32Array(rows);
    const srcOf = new Int32Array(rows);
    const gather = (s: Float32Array): Float32Array => {
      const g = new Float32Array(rows * H);
      flat.forEach(({ hyp }, r) => g.set(s.subarray(hyp.row * H, hyp.row * H + H), r * H));
      return g;
    };
    flat.forEach(({ hyp, b }, r) => {
      tokens[r] = hyp.tokens.length ? hyp.tokens[hyp.tokens.length - 1] : startToken;
      srcOf[r] = b;
    });
    const res = await decodeStep(dec, tokens, srcOf, { h: h.map(gather), c: c.map((s) => (s ? gather(s) : null)) });
    ({ h, c } = res);
    const next: Hyp[][] = Array.from({ length: n }, () => []);
    let r = 0;
    for (let b = 0; b < n; b++) {
      const cands: { score: number; row: number; tok: number }[] = [];
      for (const hyp of live[b]) {
        for (const tok of topK(res.logp, r * V, V, width)) cands.push({ score: hyp.score + res.logp[r * V + tok], row: r, tok });
        r++;
      }
      cands.sort((x, y) => y.score - x.score); // stable: ties keep the earlier hypothesis and token
      for (const cand of cands.slice(0, width)) {
        const parent = flat[cand.row].hyp;
        if (cand.tok === endToken) finished[b].push({ tokens: parent.tokens, score: cand.score });
        else next[b].push({ tokens: [...parent.tokens, cand.tok], score: cand.score, row: cand.row });
      }
      const bestDone = finished[b].reduce((m, f) => Math.max(m, f.score), -Infinity);
      if (finished[b].length >= width || (next[b].length > 0 && bestDone >= next[b][0].score)) next[b] = [];
    }
    live = next;
  }
  // Hypotheses still live at maxLength compete as they are.
  return finished.map((fs, b) => [...fs, ...live[b]].reduce((best, f) => (f.score > best.score ? f : best)).tokens);
}

/** Index of the largest of a[o .. o+k) (the first on ties). */
function argmax(a: Float64Array, o: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (a[o + j] > a[o + best]) best = j;
  return best;
}

/** The `k` largest of a[o .. o+v), best first (the lower index on ties). */
function topK(a: Float64Array, o: number, v: number, k: number): number[] {
  const idx: number[] = [];
  for (let j = 0; j < v; j++) {
    const x = a[o + j];
    if (idx.length === k) {
      if (x <= a[o + idx[k - 1]]) continue;
      idx.pop();
    }
    let p = idx.length;
    idx.push(j);
    while (p > 0 && x > a[o + idx[p - 1]]) {
      idx[p] = idx[p - 1];
      p--;
    }
    idx[p] = j;
  }
  return idx;
}
