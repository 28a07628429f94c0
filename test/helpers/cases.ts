// Random operator cases for comparing the fast path with the reference: weights, attributes
// and inputs for one GRU / LSTM / RNN call, seeded so that every failure reproduces.
import { GruOp, LstmOp, RnnOp } from '../../lib';
import { referenceForward } from '../../lib/ops/reference';
import { expectClose, mulberry32, randomTensor, type Tensor } from './onnx';

export type Cell = 'GRU' | 'LSTM' | 'RNN';
const GATES: Record<Cell, number> = { GRU: 3, LSTM: 4, RNN: 1 };

export interface CaseShape {
  cell: Cell;
  T: number;
  B: number;
  I: number;
  H: number;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  layout?: 0 | 1;
  bias?: boolean;
  peepholes?: boolean;
  sequenceLens?: number[] | 'random';
  initialState?: boolean;
  seed?: number;
}

export interface OpCase {
  weights: { W: Tensor; R: Tensor; B?: Tensor; P?: Tensor };
  inputs: { X: Tensor; sequenceLens?: Tensor; initialH?: Tensor; initialC?: Tensor };
}

export function makeCase(s: CaseShape): OpCase {
  const rng = mulberry32(s.seed ?? 1);
  const D = s.direction === 'bidirectional' ? 2 : 1;
  const G = GATES[s.cell];
  const ws = 1 / Math.sqrt(s.H);
  const weights: OpCase['weights'] = {
    W: randomTensor([D, G * s.H, s.I], rng, ws),
    R: randomTensor([D, G * s.H, s.H], rng, ws),
  };
  if (s.bias ?? true) weights.B = randomTensor([D, 2 * G * s.H], rng, 0.5);
  if (s.peepholes) weights.P = randomTensor([D, 3 * s.H], rng, 0.5);
  const layout = s.layout ?? 0;
  const inputs: OpCase['inputs'] = { X: randomTensor(layout === 0 ? [s.T, s.B, s.I] : [s.B, s.T, s.I], rng, 1) };
  if (s.sequenceLens) {
    const lens = s.sequenceLens === 'random' ? Array.from({ length: s.B }, () => Math.floor(rng() * (s.T + 1))) : s.sequenceLens;
    inputs.sequenceLens = { type: 'int32', data: Int32Array.from(lens), dims: [s.B] };
  }
  if (s.initialState) {
    const dims = layout === 0 ? [D, s.B, s.H] : [s.B, D, s.H];
    inputs.initialH = randomTensor(dims, rng, 1);
    if (s.cell === 'LSTM') inputs.initialC = randomTensor(dims, rng, 1);
  }
  return { weights, inputs };
}

type Attrs = Record<string, unknown>;

export function makeOp(cell: Cell, weights: OpCase['weights'], attrs: Attrs): GruOp | LstmOp | RnnOp {
  if (cell === 'GRU') return new GruOp(weights, attrs);
  if (cell === 'LSTM') return new LstmOp(weights, attrs);
  return new RnnOp(weights, attrs);
}

export type Outputs = Record<string, { type: 'float32'; data: Float32Array; dims: readonly number[] }>;

/** Runs the fast path and the reference on one case; both sets of outputs, by name. */
export function runBoth(cell: Cell, c: OpCase, attrs: Attrs): { fast: Outputs; ref: Outputs } {
  const op = makeOp(cell, c.weights, attrs);
  try {
    const fast = op.run(c.inputs) as Outputs;
    const ref = referenceForward(cell, c.weights, attrs, c.inputs) as Outputs;
    return { fast, ref };
  } finally {
    op.dispose();
  }
}

/** The fast path matches the reference within atol 1e-5 or rtol 1e-4 on every output. */
export function expectMatchesReference(cell: Cell, c: OpCase, attrs: Attrs, label: string): void {
  const { fast, ref } = runBoth(cell, c, attrs);
  const names = cell === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  for (const name of names) {
    expect(fast[name]).toBeDefined();
    expectClose(fast[name], ref[name], { atol: 1e-5, rtol: 1e-4, label: `${label} ${name}` });
  }
}
