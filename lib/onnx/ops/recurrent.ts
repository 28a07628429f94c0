// GRU, LSTM and RNN nodes (opsets 7 to 22) as GruOp / LstmOp / RnnOp. Weights that are known at
// load (initializers, or folded from constants) are packed once, when the session is made;
// weights fed as graph inputs are packed per run. The run itself goes through runAsync in
// session.run, so the event loop keeps turning while the sequence is processed.
import { GruOp } from '../../ops/gru';
import { LstmOp } from '../../ops/lstm';
import type { OutputName, RecurrentAttributes } from '../../ops/recurrent';
import { RnnOp } from '../../ops/rnn';
import { NodeError, Value } from '../values';
import { INTS, Kernel, OpContext, OpDef, input, optionalInput } from './types';

type Cell = 'GRU' | 'LSTM' | 'RNN';
type AnyOp = GruOp | LstmOp | RnnOp;

const COMMON = ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size'];
const EXTRA: Record<Cell, string[]> = { GRU: ['linear_before_reset'], LSTM: ['input_forget'], RNN: [] };
const OUTPUTS: Record<Cell, OutputName[]> = { GRU: ['Y', 'Y_h'], LSTM: ['Y', 'Y_h', 'Y_c'], RNN: ['Y', 'Y_h'] };

function attributesOf(cell: Cell, ctx: OpContext): RecurrentAttributes & { linearBeforeReset?: 0 | 1; inputForget?: 0 | 1 } {
  const a = ctx.attrs;
  const direction = a.string('direction') ?? 'forward';
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw new NodeError(`${ctx.where}: expected attribute 'direction' to be 'forward', 'reverse' or 'bidirectional', but received '${direction}'`);
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

function recurrent(cell: Cell): OpDef {
  return {
    attributes: (opset) => [...COMMON, ...EXTRA[cell], ...(opset >= 14 ? ['layout'] : [])],
    inputs: () => (cell === 'LSTM' ? [3, 8] : [3, 6]),
    create: (ctx): Kernel => {
      const attrs = attributesOf(cell, ctx);
      // Input positions of the weights: W, R, B and (LSTM) P.
      const slots = cell === 'LSTM' ? [1, 2, 3, 7] : [1, 2, 3];
      const present = (k: number) => (ctx.node.inputs[k] ?? '') !== '';
      for (const [k, name] of [[0, 'X'], [1, 'W'], [2, 'R']] as const) {
        if (!present(k)) throw new NodeError(`${ctx.where}: input ${k} (${name}) is required but absent`);
      }
      const constWeights = slots.every((k) => !present(k) || ctx.constant(k) !== undefined);
      const packed = constWeights ? build(cell, ctx.where, slots.map((k) => ctx.constant(k)), attrs) : undefined;
      const wanted = OUTPUTS[cell].filter((_, k) => (ctx.node.outputs[k] ?? '') !== '');

      const prepare = (inputs: (Value | undefined)[], where: string) => {
        const X = input(where, inputs, 0, ['float32']);
        const weights = slots.map((k) => optionalInput(where, inputs, k, ['float32']));
        const args = {
          X,
          sequenceLens: optionalInput(where, inputs, 4, INTS),
          initialH: optionalInput(where, inputs, 5, ['float32']),
          ...(cell === 'LSTM' ? { initialC: optionalInput(where, inputs, 6, ['float32']) } : {}),
        };
        return { op: packed ?? build(cell, where, weights, attrs), owned: packed === undefined, args };
      };
      const collect = (out: Partial<Record<OutputName, Value>>): Value[] => OUTPUTS[cell].map((name) => out[name]!).slice(0, ctx.node.outputs.length);
      const fail = (where: string, e: unknown): never => {
        throw e instanceof NodeError ? e : new NodeError(`${where}: ${(e as Error).message}`);
      };

      return {
        foldable: false,
        run(inputs, where) {
          const { op, owned, args } = prepare(inputs, where);
          try {
            return collect(op.run(args, { outputs: wanted }));
          } catch (e) {
            return fail(where, e);
          } finally {
            if (owned) op.dispose();
          }
        },
        async runAsync(inputs, where) {
          const { op, owned, args } = prepare(inputs, where);
          try {
            return collect(await op.runAsync(args, { outputs: wanted }));
          } catch (e) {
            return fail(where, e);
          } finally {
            if (owned) op.dispose();
          }
        },
        dispose() {
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
