// Random operator cases for fuzzing GruOp / LstmOp / RnnOp: each seed gives one case (weights,
// attributes, inputs and options, valid or broken in one or more ways) and `runCase` checks the
// contract: the case either works (outputs of the right shapes, finite where the inputs and the
// activations allow) or throws an Error, never anything else and never a crash. Shared by the
// jest suite (test/ops/fuzz.test.ts, over lib/) and `npm run fuzz` (scripts/fuzz-ops.js, over
// dist/), so it is plain CommonJS that takes the library as an argument.

const { prng: mulberry32 } = require('../../bench/tensors');

const GATES = { GRU: 3, LSTM: 4, RNN: 1 };
const DEFAULT_ACTS = { GRU: ['Sigmoid', 'Tanh'], LSTM: ['Sigmoid', 'Tanh', 'Tanh'], RNN: ['Tanh'] };
const NAMES = [
  'Relu',
  'Tanh',
  'Sigmoid',
  'Affine',
  'LeakyRelu',
  'ThresholdedRelu',
  'ScaledTanh',
  'HardSigmoid',
  'Elu',
  'Softsign',
  'Softplus',
];
// Activations whose outputs stay within [-1, 1] for any finite input: with them and finite
// inputs, every output must be finite.
const BOUNDED = new Set(['tanh', 'sigmoid', 'hardsigmoid', 'softsign']);

function tools(rng) {
  const int = (lo, hi) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = (list) => list[Math.floor(rng() * list.length)];
  const chance = (p) => rng() < p;
  const floats = (n, scale) => {
    const a = new Float32Array(n);
    for (let k = 0; k < n; k++) a[k] = (rng() * 2 - 1) * scale;
    return a;
  };
  return { int, pick, chance, floats };
}

// Values that are wrong for almost any argument: a hostile caller's repertoire.
const JUNK = [
  undefined,
  null,
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 53,
  '1',
  '',
  'forward',
  true,
  false,
  [],
  [1],
  {},
  () => 1,
  Symbol('x'),
  10n,
];

/** A float32 tensor of `dims` with random data in [-scale, scale]. */
function tensor(t, dims, scale) {
  return {
    type: 'float32',
    data: t.floats(
      dims.reduce((a, b) => a * b, 1),
      scale,
    ),
    dims,
  };
}

/**
 * Breaks a tensor in one of many ways: wrong dtype tag or array kind, dims that do not match the
 * data (zero, negative, fractional, huge), a non-tensor, or a shape-shifting object whose getters
 * answer differently on every read (so checks in TypeScript and native code see different values).
 */
function breakTensor(t, value) {
  const dims = value.dims;
  const n = value.data.length;
  switch (t.int(0, 13)) {
    case 0:
      return { ...value, type: t.pick(['float64', 'int32', 'int64', 'float16', 'FLOAT32', undefined]) };
    case 1:
      return {
        ...value,
        data: t.pick([
          new Float64Array(n),
          new Int32Array(n),
          new Uint8Array(n * 4),
          Array.from(value.data),
          new BigInt64Array(n),
          new DataView(value.data.buffer),
        ]),
      };
    case 2:
      return { ...value, dims: dims.map((d, k) => (k === t.int(0, dims.length - 1) ? d + t.pick([-1, 1, 7]) : d)) };
    case 3:
      return { ...value, dims: dims.map((d) => (t.chance(0.5) ? t.pick([0, -d, d + 0.5, NaN, Infinity, 2 ** 31, 2 ** 53, 2 ** 60]) : d)) };
    case 4:
      return { ...value, dims: t.chance(0.5) ? dims.slice(1) : [...dims, 1] };
    case 5:
      return { ...value, dims: t.pick([undefined, null, 'abc', { length: dims.length }, dims.map(String)]) };
    case 6:
      return t.pick(JUNK);
    case 7:
      return { type: 'float32', data: value.data }; // no dims
    case 8:
      return { ...value, data: value.data.subarray(0, Math.max(0, n - t.int(1, 3))) };
    case 9: {
      // Declared dims far beyond the data: must fail on the length check, never allocate.
      const huge = dims.map(() => t.pick([2 ** 16, 2 ** 20, 2 ** 24]));
      return { ...value, dims: huge };
    }
    case 10: {
      let reads = 0;
      return {
        type: 'float32',
        data: value.data,
        get dims() {
          return ++reads === 1 ? dims : dims.map((d) => d * 2 + 1);
        },
      };
    }
    case 11: {
      let reads = 0;
      const small = new Float32Array(1);
      return {
        type: 'float32',
        get data() {
          return ++reads === 1 ? value.data : small;
        },
        dims,
      };
    }
    case 12:
      return {
        type: 'float32',
        get data() {
          throw new Error('a getter that throws');
        },
        dims,
      };
    default:
      return new Proxy(value, { get: (target, key) => (key === 'dims' ? [...target.dims].reverse() : target[key]) });
  }
}

/** One fuzz case for `seed`. `kind` is 'valid' when nothing was broken on purpose. */
function makeCase(seed) {
  const rng = mulberry32(seed);
  const t = tools(rng);
  const cell = t.pick(['GRU', 'LSTM', 'RNN']);
  const G = GATES[cell];
  const direction = t.pick(['forward', 'reverse', 'bidirectional']);
  const D = direction === 'bidirectional' ? 2 : 1;
  // Mostly small; sometimes a long sequence of a small op, or a wide batch, input or hidden
  // size (past the kernels' register blocks and panels) over a few steps.
  const long = t.chance(0.05);
  const T = long ? t.int(200, 2000) : t.int(1, 12);
  const B = !long && t.chance(0.1) ? t.int(17, 70) : t.int(1, 6);
  const I = !long && t.chance(0.1) ? t.int(33, 80) : t.int(1, 9);
  const H = !long && t.chance(0.1) ? t.int(33, 70) : t.int(1, 20);
  const layout = t.pick([0, 1]);
  const broken = [];
  const ws = 1 / Math.sqrt(H);

  const weights = { W: tensor(t, [D, G * H, I], ws), R: tensor(t, [D, G * H, H], ws) };
  if (t.chance(0.7)) weights.B = tensor(t, [D, 2 * G * H], 0.5);
  if (cell === 'LSTM' && t.chance(0.4)) weights.P = tensor(t, [D, 3 * H], 0.5);

  const attrs = { direction };
  if (layout === 1 || t.chance(0.3)) attrs.layout = layout;
  if (t.chance(0.3)) attrs.hiddenSize = H;
  if (t.chance(0.3)) attrs.clip = t.pick([0.5, 1, 3, 50, 1e-3, Infinity]);
  if (t.chance(0.3)) attrs.threads = t.int(1, 4);
  if (t.chance(0.15)) attrs.precision = t.pick(['fp32', 'bf16']);
  if (cell === 'GRU' && t.chance(0.5)) attrs.linearBeforeReset = t.pick([0, 1, true, false]);
  if (cell === 'LSTM' && t.chance(0.3)) attrs.inputForget = t.pick([0, 1, true, false]);
  if (t.chance(0.35)) {
    const per = DEFAULT_ACTS[cell].length;
    attrs.activations = Array.from({ length: per * (D === 2 && t.chance(0.5) ? 2 : 1) }, () => {
      const name = t.pick(NAMES);
      return t.chance(0.2) ? name.toLowerCase() : name;
    });
    if (t.chance(0.5)) attrs.activationAlpha = Array.from({ length: t.int(0, 4) }, () => t.pick([0.01, 0.2, 1, 1.5, -0.5, 0]));
    if (t.chance(0.5)) attrs.activationBeta = Array.from({ length: t.int(0, 4) }, () => t.pick([0, 0.5, 1, -1]));
  }

  const inputs = { X: tensor(t, layout === 0 ? [T, B, I] : [B, T, I], 1) };
  if (t.chance(0.4)) {
    const lens = Int32Array.from({ length: B }, () => t.int(0, T));
    inputs.sequenceLens = t.chance(0.8)
      ? { type: 'int32', data: lens, dims: [B] }
      : { type: 'int64', data: BigInt64Array.from(lens, (v) => BigInt(v)), dims: [B] };
  }
  const stateDims = layout === 0 ? [D, B, H] : [B, D, H];
  if (t.chance(0.3)) inputs.initialH = tensor(t, stateDims, 1);
  if (cell === 'LSTM' && t.chance(0.3)) inputs.initialC = tensor(t, stateDims, 1);
  // Special values: NaN or an infinity in X (outputs then need not be finite).
  let specials = false;
  if (t.chance(0.05)) {
    inputs.X.data[t.int(0, inputs.X.data.length - 1)] = t.pick([NaN, Infinity, -Infinity]);
    specials = true;
  }
  let options;
  if (t.chance(0.25)) {
    const all = cell === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
    options = { outputs: all.filter(() => t.chance(0.6)) };
  }

  // Break it: on average a third of the cases are valid, the rest wrong in one to three ways.
  const faults = t.chance(0.35) ? 0 : t.int(1, 3);
  // A tensor broken once may be a hostile object whose getters count reads: never read it
  // again here, replace it with junk instead.
  const spoiled = new Set();
  const spoil = (holder, key, fresh) => {
    holder[key] = spoiled.has(key) ? t.pick(JUNK) : breakTensor(t, holder[key] ?? fresh());
    spoiled.add(key);
  };
  for (let f = 0; f < faults; f++) {
    switch (t.int(0, 19)) {
      case 0:
        spoil(weights, 'W');
        broken.push('W');
        break;
      case 1:
        spoil(weights, 'R');
        broken.push('R');
        break;
      case 2:
        spoil(weights, 'B', () => tensor(t, [D, 2 * G * H], 1));
        broken.push('B');
        break;
      case 3:
        spoil(weights, 'P', () => tensor(t, [D, 3 * H], 1));
        broken.push('P');
        break;
      case 4:
      case 5:
        spoil(inputs, 'X');
        broken.push('X');
        break;
      case 6: {
        const lens = Int32Array.from({ length: B }, () => t.int(0, T));
        lens[t.int(0, B - 1)] = t.pick([-1, T + 1, 2 ** 31 - 1, -(2 ** 31)]);
        inputs.sequenceLens = t.chance(0.5)
          ? { type: 'int32', data: lens, dims: [B] }
          : breakTensor(t, { type: 'int32', data: lens, dims: [B] });
        broken.push('sequenceLens');
        break;
      }
      case 7: {
        const big = t.pick([BigInt(T) + 1n, -1n, 2n ** 40n, -(2n ** 63n), 2n ** 63n - 1n]);
        inputs.sequenceLens = { type: 'int64', data: BigInt64Array.from({ length: B }, (_, k) => (k === 0 ? big : 0n)), dims: [B] };
        broken.push('sequenceLens (int64)');
        break;
      }
      case 8:
        spoil(inputs, 'initialH', () => tensor(t, stateDims, 1));
        broken.push('initialH');
        break;
      case 9:
        spoil(inputs, 'initialC', () => tensor(t, stateDims, 1));
        broken.push('initialC');
        break;
      case 10:
        attrs.direction = t.pick(['Forward', 'both', '', 0, null, 2]);
        broken.push('direction');
        break;
      case 11:
        attrs.layout = t.pick([2, -1, '0', 0.5, null, true]);
        broken.push('layout');
        break;
      case 12:
        attrs.hiddenSize = t.pick([H + 1, H - 1, 0, -H, H + 0.5, NaN, 2 ** 31, 2 ** 53, `${H}`]);
        broken.push('hiddenSize');
        break;
      case 13:
        attrs.clip = t.pick([0, -1, NaN, -Infinity, '1', null, 1e-300, Number.MIN_VALUE]);
        broken.push('clip');
        break;
      case 14:
        attrs.threads = t.pick([0, -1, 1.5, NaN, 2 ** 31, 2 ** 40, 1e9, 64, '2', null]);
        broken.push('threads');
        break;
      case 15: {
        const per = DEFAULT_ACTS[cell].length;
        attrs.activations = t.pick([
          Array.from({ length: per + t.pick([-1, 1, 3]) }, () => t.pick(NAMES)),
          Array.from({ length: per }, () => t.pick(['Gelu', 'tanh ', '', 'Sigmoid\u0000', 'constructor', '__proto__'])),
          'Tanh',
          [1, 2],
          null,
        ]);
        broken.push('activations');
        break;
      }
      case 16: {
        const key = t.pick(['activationAlpha', 'activationBeta']);
        attrs[key] = t.pick([[NaN], [Infinity], ['1'], 1, null, [1e30, -1e30], [3.4e38, 3.4e38, 3.4e38]]);
        broken.push(key);
        break;
      }
      case 17: {
        const key = t.pick(['precision', cell === 'LSTM' ? 'inputForget' : 'linearBeforeReset', 'device']);
        attrs[key] = t.pick(['fp16', 2, 'true', -1, 'gpu', null, 'cuda']);
        broken.push(key);
        break;
      }
      case 18:
        options = t.pick([{ outputs: ['Y', 'Z'] }, { outputs: 'Y' }, { outputs: [] }, { outputs: ['Y_c'] }, null, 5]);
        broken.push('options');
        break;
      default: {
        const which = t.pick(['weights', 'attrs', 'inputs']);
        const junk = t.pick([null, 1, 'x', [], Symbol('s')]);
        if (which === 'weights') return { seed, cell, kind: 'broken: weights object', weights: junk, attrs, inputs, options, specials };
        if (which === 'attrs')
          return { seed, cell, kind: 'broken: attributes object', weights, attrs: junk === null ? null : junk, inputs, options, specials };
        return { seed, cell, kind: 'broken: inputs object', weights, attrs, inputs: junk, options, specials };
      }
    }
  }
  return { seed, cell, kind: broken.length ? `broken: ${broken.join(', ')}` : 'valid', weights, attrs, inputs, options, specials };
}

/** The failure of a case, as an Error that says how to reproduce it. */
function fault(c, message) {
  return new Error(`op fuzz seed ${c.seed} (${c.cell}, ${c.kind}): ${message}`);
}

function isError(e) {
  return Object.prototype.toString.call(e) === '[object Error]' || e instanceof Error;
}

function expectedDims(c) {
  const { X } = c.inputs;
  const layout = c.attrs.layout ?? 0;
  const D = c.attrs.direction === 'bidirectional' ? 2 : 1;
  const H = c.weights.R.dims[2];
  const [T, B] = layout === 0 ? [X.dims[0], X.dims[1]] : [X.dims[1], X.dims[0]];
  const state = layout === 0 ? [D, B, H] : [B, D, H];
  return { Y: layout === 0 ? [T, D, B, H] : [B, T, D, H], Y_h: state, Y_c: state };
}

function allBounded(c) {
  const acts = (c.attrs.activations ?? DEFAULT_ACTS[c.cell]).map((a) => String(a).toLowerCase());
  // With coupled gates (inputForget) the forget gate is 1 - i: an activation that goes below 0
  // (tanh, softsign) lets it exceed 1, and the cell state may then grow without bound.
  if (c.cell === 'LSTM' && c.attrs.inputForget && !['sigmoid', 'hardsigmoid'].includes(acts[0])) return false;
  return acts.every((a) => BOUNDED.has(a));
}

/** Checks what a successful run returned: outputs asked for, with the right dims, finite when they must be. */
function checkOutputs(c, out) {
  if (out === null || typeof out !== 'object') throw fault(c, `returned ${String(out)}`);
  const names = c.cell === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  const wanted = c.options?.outputs ?? names;
  const dims = expectedDims(c);
  for (const name of names) {
    const o = out[name];
    if (!wanted.includes(name)) {
      if (o !== undefined) throw fault(c, `returned ${name}, which was not asked for`);
      continue;
    }
    if (!o || Object.prototype.toString.call(o.data) !== '[object Float32Array]') throw fault(c, `${name} missing or not float32`);
    if (o.dims.join() !== dims[name].join()) throw fault(c, `${name} dims [${o.dims}], expected [${dims[name]}]`);
    if (o.data.length !== dims[name].reduce((a, b) => a * b, 1))
      throw fault(c, `${name} holds ${o.data.length} values for dims [${o.dims}]`);
    if (!c.specials && allBounded(c)) {
      const bad = o.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw fault(c, `${name}[${bad}] = ${o.data[bad]} from finite inputs and bounded activations`);
    }
  }
}

/** The fast path against the scalar reference (fp64 inside) on a valid case. */
function compareWithReference(c, out, ref) {
  for (const name of Object.keys(ref)) {
    const a = out[name].data;
    const e = ref[name].data;
    for (let k = 0; k < e.length; k++) {
      if (!(Math.abs(a[k] - e[k]) <= 1e-4 + 1e-3 * Math.abs(e[k]))) throw fault(c, `${name}[${k}] = ${a[k]}, the reference gives ${e[k]}`);
    }
  }
}

/**
 * Runs one case through `lib` ({ GruOp, LstmOp, RnnOp }, and referenceForward to compare valid
 * cases with the scalar reference): construct, run (sync or async as the
 * seed says), dispose. Resolves to 'ok' or 'error' (the Error's constructor name is kept, e.g.
 * 'error:RangeError'); rejects with a descriptive Error when the contract is broken.
 */
async function runCase(lib, c) {
  const Op = { GRU: lib.GruOp, LSTM: lib.LstmOp, RNN: lib.RnnOp }[c.cell];
  let op;
  try {
    op = new Op(c.weights, c.attrs);
  } catch (e) {
    if (!isError(e)) throw fault(c, `the constructor threw a non-Error: ${String(e)}`);
    if (c.kind === 'valid') throw fault(c, `a valid case was refused at construction with ${e.name}: ${e.message}`);
    return `error:${e.name}`;
  }
  try {
    const useAsync = c.seed % 3 === 0;
    let out;
    try {
      out = useAsync ? await op.runAsync(c.inputs, c.options) : op.run(c.inputs, c.options);
    } catch (e) {
      if (!isError(e)) throw fault(c, `${useAsync ? 'runAsync' : 'run'} threw a non-Error: ${String(e)}`);
      if (c.kind === 'valid') throw fault(c, `a valid case threw ${e.name}: ${e.message}`);
      return `error:${e.name}`;
    }
    checkOutputs(c, out);
    if (lib.referenceForward && c.kind === 'valid' && !c.specials && c.attrs.precision !== 'bf16' && allBounded(c)) {
      compareWithReference(c, out, lib.referenceForward(c.cell, c.weights, c.attrs, c.inputs, c.options));
    }
    return 'ok';
  } finally {
    op.dispose();
  }
}

module.exports = { makeCase, runCase };
