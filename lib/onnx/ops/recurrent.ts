// GRU, LSTM and RNN nodes (opsets 7 to 22) as GruOp / LstmOp / RnnOp. Weights that are known at
// load (initializers, or folded from constants) are checked when the session is made and packed
// once: on the GPU at load, on the CPU when the node first runs here (a session's native plan
// packs its own, and runs the node itself wherever it can); weights fed as graph inputs are packed
// per run. In session.run the sequence is processed on
// one of the addon's runner threads, so the event loop keeps turning, unless the work is smaller
// than the hop.
import { GRU_INFO, GruOp } from '../../ops/gru';
import { LSTM_INFO, LstmOp } from '../../ops/lstm';
import { type CellInfo, type OutputName, type PreparedOp, type RecurrentAttributes, prepareOp } from '../../ops/recurrent';
import { RNN_INFO, RnnOp } from '../../ops/rnn';
import { NodeError, type Value } from '../values';
import { transposeInto } from './transpose';
import { INTS, type Kernel, type OpContext, type OpDef, input, optionalInput } from './types';

/**
 * Floating-point operations (two per multiply-add) below which a node runs on the calling thread
 * in session.run: handing it to a runner thread and back costs a few microseconds when calls come
 * back to back, tens of microseconds once the runner has gone to sleep and milliseconds on a busy
 * machine, more than work this small takes (about 0.1 ms on one core).
 */
const INLINE_FLOPS = 2e6;

function inlineWork(op: AnyOp, X: Value): boolean {
  const { info, spec } = op.definition;
  if (X.dims.length !== 3) return false;
  const steps = X.dims[0] * X.dims[1];
  return 2 * steps * spec.numDirections * info.gates * spec.hiddenSize * (spec.inputSize + spec.hiddenSize) < INLINE_FLOPS;
}

/** [P, Q, H] -> [Q, P, H]: a view when P or Q is 1 (the same order in memory), else a copy. */
function swapFirstAxes(v: Value): Value {
  const dims = [v.dims[1], v.dims[0], v.dims[2]];
  if (v.dims[0] === 1 || v.dims[1] === 1) return { type: v.type, data: v.data, dims };
  const out: Value = { type: v.type, data: new Float32Array(v.data.length), dims };
  transposeInto(v, out, [1, 0, 2]);
  return out;
}

type Cell = 'GRU' | 'LSTM' | 'RNN';
type AnyOp = GruOp | LstmOp | RnnOp;

const COMMON = ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size'];
const EXTRA: Record<Cell, string[]> = { GRU: ['linear_before_reset'], LSTM: ['input_forget'], RNN: [] };
const OP_NAMES: Record<Cell, string> = { GRU: 'GruOp', LSTM: 'LstmOp', RNN: 'RnnOp' };
const OUTPUTS: Record<Cell, OutputName[]> = { GRU: ['Y', 'Y_h'], LSTM: ['Y', 'Y_h', 'Y_c'], RNN: ['Y', 'Y_h'] };

function attributesOf(cell: Cell, ctx: OpContext): RecurrentAttributes & { linearBeforeReset?: 0 | 1; inputForget?: 0 | 1 } {
  const a = ctx.attrs;
  const direction = a.string('direction') ?? 'forward';
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw new NodeError(
      `${ctx.where}: expected attribute 'direction' to be 'forward', 'reverse' or 'bidirectional', but received '${direction}'`,
    );
  }
  const layout = a.int('layout', 0);
  if (layout !== 0 && layout !== 1) throw new NodeError(`${ctx.where}: expected attribute 'layout' to be 0 or 1, but received ${layout}`);
  const flag = (name: string): 0 | 1 | undefined => {
    const v = a.int(name);
    if (v === undefined) return undefined;
    if (v !== 0 && v !== 1) throw new NodeError(`${ctx.where}: expected attribute '${name}' to be 0 or 1, but received ${v}`);
    return v;
  };
  return {
    hiddenSize: a.int('hidden_size'),
    direction,
    layout,
    clip: a.float('clip'),
    activations: a.strings('activations'),
    activationAlpha: a.floats('activation_alpha'),
    activationBeta: a.floats('activation_beta'),
    threads: ctx.threads || undefined,
    device: ctx.device,
    ...(cell === 'GRU' ? { linearBeforeReset: flag('linear_before_reset') } : {}),
    ...(cell === 'LSTM' ? { inputForget: flag('input_forget') } : {}),
  };
}

function build(cell: Cell, where: string, weights: (Value | undefined)[], attrs: ReturnType<typeof attributesOf>): AnyOp {
  const [W, R, B, P] = weights;
  try {
    if (cell === 'GRU') return new GruOp({ W: W!, R: R!, B }, attrs);
    if (cell === 'LSTM') return new LstmOp({ W: W!, R: R!, B, P }, attrs);
    return new RnnOp({ W: W!, R: R!, B }, attrs);
  } catch (e) {
    throw new NodeError(`${where}: ${(e as Error).message}`);
  }
}

const INFOS: Record<Cell, CellInfo> = { GRU: GRU_INFO, LSTM: LSTM_INFO, RNN: RNN_INFO };

/** The checked attributes and weights, unpacked: what `build` packs. */
function define(cell: Cell, where: string, weights: (Value | undefined)[], attrs: ReturnType<typeof attributesOf>): PreparedOp {
  const [W, R, B, P] = weights;
  try {
    return prepareOp(INFOS[cell], { W: W!, R: R!, B, ...(cell === 'LSTM' ? { P } : {}) }, attrs);
  } catch (e) {
    throw new NodeError(`${where}: ${(e as Error).message}`);
  }
}

function recurrent(cell: Cell): OpDef {
  return {
    attributes: (opset) => [...COMMON, ...EXTRA[cell], ...(opset >= 14 ? ['layout'] : [])],
    inputs: () => (cell === 'LSTM' ? [3, 8] : [3, 6]),
    create: (ctx): Kernel => {
      // Fused with the Transposes around it (fuse.ts): X and Y batch-major, states as the graph has them.
      const batchMajor = ctx.node.batchMajor !== undefined;
      const mergeDirections = ctx.node.batchMajor?.mergeDirections === true;
      const attrs = { ...attributesOf(cell, ctx), ...(batchMajor ? { layout: 1 as const } : {}) };
      const D = attrs.direction === 'bidirectional' ? 2 : 1;
      // Input positions of the weights: W, R, B and (LSTM) P.
      const slots = cell === 'LSTM' ? [1, 2, 3, 7] : [1, 2, 3];
      const present = (k: number) => (ctx.node.inputs[k] ?? '') !== '';
      for (const [k, name] of [
        [0, 'X'],
        [1, 'W'],
        [2, 'R'],
      ] as const) {
        if (!present(k)) throw new NodeError(`${ctx.where}: input ${k} (${name}) is required but absent`);
      }
      const constWeights = slots.every((k) => !present(k) || ctx.constant(k) !== undefined);
      const constants = slots.map((k) => ctx.constant(k));
      const definition = constWeights ? define(cell, ctx.where, constants, attrs) : undefined;
      let packed: AnyOp | undefined = constWeights && ctx.device !== 'cpu' ? build(cell, ctx.where, constants, attrs) : undefined;
      let disposed = false;
      const packedOp = (where: string): AnyOp | undefined => {
        if (!constWeights) return undefined;
        if (disposed) throw new NodeError(`${where}: this node's operator has been disposed`);
        return (packed ??= build(cell, where, constants, attrs));
      };
      const wanted = OUTPUTS[cell].filter((_, k) => (ctx.node.outputs[k] ?? '') !== '');

      const prepare = (inputs: (Value | undefined)[], where: string, method: 'run' | 'runAsync') => {
        const X = input(where, inputs, 0, ['float32']);
        const weights = slots.map((k) => optionalInput(where, inputs, k, ['float32']));
        const args = {
          X,
          sequenceLens: optionalInput(where, inputs, 4, INTS),
          initialH: stateIn(where, method, optionalInput(where, inputs, 5, ['float32']), 'initialH', X, weights[1]!),
          ...(cell === 'LSTM'
            ? { initialC: stateIn(where, method, optionalInput(where, inputs, 6, ['float32']), 'initialC', X, weights[1]!) }
            : {}),
        };
        const shared = packedOp(where);
        return { op: shared ?? build(cell, where, weights, attrs), owned: shared === undefined, args };
      };
      /** A time-major state [D, B, H] as the batch-major node takes it, [B, D, H]. */
      const stateIn = (where: string, method: string, v: Value | undefined, name: string, X: Value, R: Value): Value | undefined => {
        // Malformed X or R: left to the operator, which checks them first.
        if (v === undefined || !batchMajor || X.dims.length !== 3 || R.dims.length !== 3) return v;
        const want = [D, X.dims[0], R.dims[2]];
        if (v.dims.length !== 3 || v.dims.some((d, k) => d !== want[k])) {
          // The operator's own message for the dims the graph declares (time-major).
          throw new NodeError(
            `${where}: ${OP_NAMES[cell]}.${method}: expected ${name}.dims to be [${want.join(', ')}] (num_directions, batch_size, hidden_size), but received [${v.dims.join(', ')}]`,
          );
        }
        return swapFirstAxes(v);
      };
      const outputOf = (name: OutputName, v: Value): Value => {
        if (!batchMajor) return v;
        // Y [B, T, D, H] is the chain's result, as is or as [B, T, D*H]; the states go back to [D, B, H].
        if (name === 'Y') return mergeDirections ? { type: v.type, data: v.data, dims: [v.dims[0], v.dims[1], v.dims[2] * v.dims[3]] } : v;
        return swapFirstAxes(v);
      };
      const collect = (out: Partial<Record<OutputName, Value>>): Value[] =>
        OUTPUTS[cell].slice(0, ctx.node.outputs.length).map((name) => out[name] && outputOf(name, out[name]!)) as Value[];
      const fail = (where: string, e: unknown): never => {
        if (e instanceof NodeError) throw e;
        // A run over its memory budget stays a RangeError, as every other node's is.
        throw e instanceof RangeError ? new RangeError(`${where}: ${e.message}`) : new NodeError(`${where}: ${(e as Error).message}`);
      };

      return {
        foldable: false,
        definition,
        run(inputs, where) {
          const { op, owned, args } = prepare(inputs, where, 'run');
          try {
            return collect(op.run(args, { outputs: wanted }));
          } catch (e) {
            return fail(where, e);
          } finally {
            if (owned) op.dispose();
          }
        },
        async runAsync(inputs, where) {
          const { op, owned, args } = prepare(inputs, where, 'runAsync');
          try {
            if (ctx.device === 'cpu' && inlineWork(op, args.X)) return collect(op.run(args, { outputs: wanted }));
            return collect(await op.runAsync(args, { outputs: wanted }));
          } catch (e) {
            return fail(where, e);
          } finally {
            if (owned) op.dispose();
          }
        },
        dispose() {
          disposed = true;
          packed?.dispose();
        },
      };
    },
  };
}

export const RECURRENT_OPS: Record<string, OpDef> = {
  GRU: recurrent('GRU'),
  LSTM: recurrent('LSTM'),
  RNN: recurrent('RNN'),
};
