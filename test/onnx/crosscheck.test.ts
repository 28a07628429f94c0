/** @jest-environment ./test/helpers/node-realm-environment.ts */

// gatedrnn against onnxruntime-node on seeded random single-node models: GRU (both formulas),
// LSTM (peepholes, input_forget), RNN; every direction; optional inputs present and absent; clip;
// non-default activations. layout = 0 only, since onnxruntime rejects layout = 1.

import {
  type InputSlot,
  type OpType,
  type RnnAttrs,
  type Tensor,
  buildRnnModel,
  expectClose,
  mulberry32,
  outputSlots,
  randomTensor,
  rnnModelFeeds,
  runOrt,
} from '../helpers/onnx';
import { runGatedrnn } from '../helpers/ops';

type Optional = Exclude<InputSlot, 'X' | 'W' | 'R'>;
type Direction = NonNullable<RnnAttrs['direction']>;

interface CrossCase {
  name: string;
  opType: OpType;
  attrs: RnnAttrs;
  /** Optional inputs the model gets; the rest are '' in the node. */
  given: Optional[];
  T: number;
  B: number;
  I: number;
  /** Half-width of the uniform weight distribution; larger values make clip bite. */
  weightScale: number;
  seed: number;
}

const GATES: Record<OpType, number> = { GRU: 3, LSTM: 4, RNN: 1 };
const SIZES: [T: number, B: number, I: number, H: number][] = [
  [1, 1, 3, 1],
  [5, 3, 10, 7],
  [20, 3, 3, 17],
  [5, 1, 10, 33],
  [20, 1, 10, 7],
  [1, 3, 3, 33],
  [5, 3, 3, 1],
  [20, 3, 10, 33],
];

// ---------------------------------------------------------------------------------------------
// The cases

interface Variant {
  label: string;
  opType: OpType;
  attrs?: Partial<RnnAttrs>;
  peepholes?: boolean;
}
const VARIANTS: Variant[] = [
  { label: 'GRU linear_before_reset=0', opType: 'GRU', attrs: { linear_before_reset: 0 } },
  { label: 'GRU linear_before_reset=1', opType: 'GRU', attrs: { linear_before_reset: 1 } },
  { label: 'LSTM', opType: 'LSTM' },
  { label: 'LSTM peepholes', opType: 'LSTM', peepholes: true },
  { label: 'LSTM input_forget=1', opType: 'LSTM', attrs: { input_forget: 1 } },
  { label: 'RNN', opType: 'RNN' },
];
const DIRECTIONS: Direction[] = ['forward', 'reverse', 'bidirectional'];
// No optional input at all, and all of them (initial_c is dropped for GRU and RNN).
const INPUT_SETS: Optional[][] = [[], ['B', 'sequence_lens', 'initial_h', 'initial_c']];

let nextSeed = 1;
function crossCase(
  label: string,
  opType: OpType,
  attrs: Partial<RnnAttrs>,
  given: Optional[],
  size: (typeof SIZES)[number],
  weightScale = 0.5,
): CrossCase {
  const [T, B, I, H] = size;
  // Only LSTM has initial_c and P; dropping them here lets the input sets stay op-agnostic.
  const inputs = opType === 'LSTM' ? given : given.filter((s) => s !== 'initial_c' && s !== 'P');
  const name = `${label} ${attrs.direction ?? 'forward'}, ${inputs.length ? inputs.join('+') : 'W R only'}, T=${T} B=${B} I=${I} H=${H}`;
  return { name, opType, attrs: { hidden_size: H, ...attrs }, given: inputs, T, B, I, weightScale, seed: nextSeed++ };
}

/** Every variant x direction x input set, cycling through the sizes. */
function gridCases(): CrossCase[] {
  const cases: CrossCase[] = [];
  for (const v of VARIANTS) {
    for (const direction of DIRECTIONS) {
      for (const set of INPUT_SETS) {
        const given: Optional[] = v.peepholes ? [...set, 'P'] : set;
        cases.push(crossCase(v.label, v.opType, { ...v.attrs, direction }, given, SIZES[cases.length % SIZES.length]));
      }
    }
  }
  return cases;
}

/** Optional inputs alone, so the node's input list has '' gaps before a given one. */
const PARTIAL_CASES: CrossCase[] = [
  crossCase('GRU', 'GRU', { direction: 'reverse' }, ['initial_h'], [5, 3, 10, 7]),
  crossCase('RNN', 'RNN', { direction: 'bidirectional' }, ['sequence_lens'], [20, 3, 3, 17]),
  crossCase('LSTM', 'LSTM', { direction: 'forward' }, ['P'], [5, 3, 3, 7]),
  crossCase('LSTM', 'LSTM', { direction: 'bidirectional' }, ['initial_c'], [5, 3, 10, 17]),
  crossCase(
    'LSTM peepholes input_forget=1',
    'LSTM',
    { direction: 'bidirectional', input_forget: 1 },
    ['B', 'sequence_lens', 'P'],
    [20, 3, 10, 33],
  ),
];

/** Large weights so that clipping the gate pre-activations changes the result. */
const CLIP_CASES: CrossCase[] = [
  crossCase(
    'GRU linear_before_reset=1 clip=0.5',
    'GRU',
    { direction: 'bidirectional', linear_before_reset: 1, clip: 0.5 },
    ['B', 'sequence_lens', 'initial_h'],
    [5, 3, 10, 7],
    2,
  ),
  crossCase('GRU clip=1', 'GRU', { direction: 'forward', clip: 1 }, ['B'], [20, 1, 3, 17], 2),
  crossCase('LSTM peepholes clip=1', 'LSTM', { direction: 'forward', clip: 1 }, ['B', 'sequence_lens', 'P'], [20, 3, 10, 33], 2),
  crossCase('RNN clip=0.3', 'RNN', { direction: 'reverse', clip: 0.3 }, ['B', 'initial_h'], [5, 3, 3, 7], 2),
];

// activation_alpha/beta are consumed in the order of the activations, by the activations that
// take them (as onnxruntime reads them): ['Sigmoid', 'HardSigmoid'] with alpha [0.3] gives
// HardSigmoid alpha 0.3. Affine, ThresholdedRelu and ScaledTanh always get them explicitly,
// because onnxruntime's defaults differ from the spec's for those.
const ACTIVATION_CASES: CrossCase[] = [
  crossCase(
    'GRU [HardSigmoid, Softsign]',
    'GRU',
    { activations: ['HardSigmoid', 'Softsign'], activation_alpha: [0.3], activation_beta: [0.45] },
    ['B', 'sequence_lens'],
    [5, 3, 10, 7],
  ),
  crossCase(
    'GRU linear_before_reset=1 [HardSigmoid, Softsign, Sigmoid, Tanh]',
    'GRU',
    {
      direction: 'bidirectional',
      linear_before_reset: 1,
      activations: ['HardSigmoid', 'Softsign', 'Sigmoid', 'Tanh'],
      activation_alpha: [0.25],
      activation_beta: [0.55],
    },
    ['B', 'initial_h'],
    [20, 3, 3, 17],
  ),
  crossCase(
    'GRU [Sigmoid, LeakyRelu]',
    'GRU',
    { direction: 'reverse', activations: ['Sigmoid', 'LeakyRelu'], activation_alpha: [0.1] },
    ['B'],
    [5, 1, 10, 33],
  ),
  crossCase(
    'LSTM [Sigmoid, Tanh, Relu]',
    'LSTM',
    { activations: ['Sigmoid', 'Tanh', 'Relu'] },
    ['B', 'initial_h', 'initial_c'],
    [5, 3, 10, 17],
  ),
  crossCase(
    'LSTM peepholes [HardSigmoid, ScaledTanh, Affine]',
    'LSTM',
    {
      direction: 'reverse',
      activations: ['HardSigmoid', 'ScaledTanh', 'Affine'],
      activation_alpha: [0.2, 0.8, 0.6],
      activation_beta: [0.5, 1.2, 0.1],
    },
    ['B', 'sequence_lens', 'P'],
    [20, 3, 3, 7],
  ),
  // HardSigmoid is the 4th activation but the 1st that takes alpha/beta: pins the "consumed in
  // order" reading of activation_alpha/beta.
  crossCase(
    'LSTM [Sigmoid, Tanh, Tanh, HardSigmoid, Softsign, Softplus]',
    'LSTM',
    {
      direction: 'bidirectional',
      activations: ['Sigmoid', 'Tanh', 'Tanh', 'HardSigmoid', 'Softsign', 'Softplus'],
      activation_alpha: [0.25],
      activation_beta: [0.45],
    },
    ['B', 'initial_h', 'initial_c'],
    [5, 3, 10, 7],
  ),
  crossCase('RNN [LeakyRelu]', 'RNN', { activations: ['LeakyRelu'], activation_alpha: [0.1] }, ['B'], [20, 3, 10, 17]),
  crossCase(
    'RNN [ThresholdedRelu]',
    'RNN',
    { direction: 'reverse', activations: ['ThresholdedRelu'], activation_alpha: [0.2] },
    ['B', 'initial_h'],
    [5, 3, 3, 7],
  ),
  crossCase(
    'RNN [Elu, ScaledTanh]',
    'RNN',
    { direction: 'bidirectional', activations: ['Elu', 'ScaledTanh'], activation_alpha: [0.7, 1.1], activation_beta: [0.8] },
    ['B', 'sequence_lens'],
    [5, 3, 10, 33],
  ),
  crossCase(
    'RNN [Affine]',
    'RNN',
    { activations: ['Affine'], activation_alpha: [0.5], activation_beta: [0.1] },
    ['B', 'initial_h'],
    [5, 1, 3, 7],
  ),
  crossCase(
    'RNN [Softplus, Softsign]',
    'RNN',
    { direction: 'bidirectional', activations: ['Softplus', 'Softsign'] },
    ['initial_h'],
    [20, 1, 10, 7],
  ),
  crossCase('RNN [Relu, Sigmoid]', 'RNN', { direction: 'bidirectional', activations: ['Relu', 'Sigmoid'] }, ['B'], [5, 3, 10, 17]),
  // No activation_alpha/beta: both engines fall back on their defaults, which agree for these
  // three (LeakyRelu 0.01, HardSigmoid 0.2 and 0.5, Elu 1). Large weights put the pre-activations
  // where the defaults matter (below 0 for LeakyRelu and Elu, off HardSigmoid's flat ends).
  crossCase('RNN [LeakyRelu] default alpha', 'RNN', { activations: ['LeakyRelu'] }, ['B'], [5, 3, 10, 17], 2),
  crossCase(
    'GRU [HardSigmoid, Tanh] default alpha/beta',
    'GRU',
    { direction: 'reverse', activations: ['HardSigmoid', 'Tanh'] },
    ['B', 'initial_h'],
    [5, 3, 10, 7],
    2,
  ),
  crossCase('RNN [Elu] default alpha', 'RNN', { direction: 'reverse', activations: ['Elu'] }, ['B'], [5, 3, 10, 17], 2),
];

const CASES = [...gridCases(), ...PARTIAL_CASES, ...CLIP_CASES, ...ACTIVATION_CASES];

// ---------------------------------------------------------------------------------------------
// Inputs

/** Lengths in 1..T; the first is about T/2, so every multi-step case has a batch cut short. */
function sequenceLens(T: number, B: number, rng: () => number): Tensor {
  const data = Int32Array.from({ length: B }, (_, b) => (b === 0 ? Math.max(1, T >> 1) : 1 + Math.floor(rng() * T)));
  return { type: 'int32', data, dims: [B] };
}

function makeInputs(c: CrossCase): Partial<Record<InputSlot, Tensor>> {
  const rng = mulberry32(c.seed);
  const H = c.attrs.hidden_size;
  const D = c.attrs.direction === 'bidirectional' ? 2 : 1;
  const G = GATES[c.opType];
  const optional: Record<Optional, () => Tensor> = {
    B: () => randomTensor([D, 2 * G * H], rng, 0.5),
    sequence_lens: () => sequenceLens(c.T, c.B, rng),
    initial_h: () => randomTensor([D, c.B, H], rng),
    initial_c: () => randomTensor([D, c.B, H], rng),
    P: () => randomTensor([D, 3 * H], rng, 0.5),
  };
  const inputs: Partial<Record<InputSlot, Tensor>> = {
    X: randomTensor([c.T, c.B, c.I], rng),
    W: randomTensor([D, G * H, c.I], rng, c.weightScale),
    R: randomTensor([D, G * H, H], rng, c.weightScale),
  };
  for (const slot of c.given) inputs[slot] = optional[slot]();
  return inputs;
}

// ---------------------------------------------------------------------------------------------

test('the case names are unique', () => {
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

test.each(CASES)('$name', async (c) => {
  const inputs = makeInputs(c);
  const model = buildRnnModel({ opType: c.opType, attrs: c.attrs, inputs });
  const expected = await runOrt(model, rnnModelFeeds(inputs));
  const actual = runGatedrnn(c.opType, c.attrs, inputs);
  for (const slot of outputSlots(c.opType)) {
    const got = actual[slot];
    if (!got) throw new Error(`gatedrnn returned no ${slot}`);
    expectClose(got, expected[slot], { atol: 1e-5, rtol: 1e-4, label: `${c.name}: ${slot}` });
  }
});
