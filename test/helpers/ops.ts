// Runs one ONNX GRU/LSTM/RNN node through gatedrnn's ops, so the conformance and cross-check
// suites can feed the same ONNX-named inputs and attributes to gatedrnn and to onnxruntime.

import { GruOp, LstmOp, RnnOp } from '../../lib';
import type { AttrValue, InputSlot, OpType, OutputSlot, Tensor } from './onnx';

// ONNX attribute name -> gatedrnn option name (DESIGN.md, "Public API").
const OPTION_NAMES: Record<string, string> = {
  hidden_size: 'hiddenSize',
  direction: 'direction',
  linear_before_reset: 'linearBeforeReset',
  input_forget: 'inputForget',
  layout: 'layout',
  clip: 'clip',
  activations: 'activations',
  activation_alpha: 'activationAlpha',
  activation_beta: 'activationBeta',
};

/** The options of GruOp/LstmOp/RnnOp that an ONNX node can set. */
export interface OnnxOpOptions {
  hiddenSize: number;
  direction?: 'forward' | 'reverse' | 'bidirectional';
  linearBeforeReset?: number;
  inputForget?: number;
  layout?: number;
  clip?: number;
  activations?: string[];
  activationAlpha?: number[];
  activationBeta?: number[];
}

/** Renames the attributes the node sets; unknown ones throw so no case is silently weakened. */
export function toOpOptions(attrs: object): OnnxOpOptions {
  const options: Record<string, AttrValue> = {};
  for (const [name, value] of Object.entries(attrs) as [string, AttrValue | undefined][]) {
    if (value === undefined) continue;
    const option = OPTION_NAMES[name];
    if (!option) throw new Error(`no gatedrnn option for ONNX attribute '${name}'`);
    options[option] = value;
  }
  if (typeof options.hiddenSize !== 'number') throw new Error('the node sets no hidden_size');
  return options as unknown as OnnxOpOptions;
}

/** gatedrnn takes sequenceLens as int32; ONNX files may hold int64. */
export function toInt32(t: Tensor): Tensor {
  if (t.type === 'int32') return t;
  const data = Int32Array.from(t.data as ArrayLike<number | bigint>, (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < -2147483648 || n > 2147483647) throw new RangeError(`sequence length ${v} does not fit int32`);
    return n;
  });
  return { type: 'int32', data, dims: t.dims };
}

type Present<T> = { [K in keyof T]: Exclude<T[K], undefined> };
/** Keeps only the keys whose value is given, so optional arguments stay absent, not undefined. */
function given<T extends object>(o: T): Partial<Present<T>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Present<T>>;
}

function runAndDispose<O extends { dispose(): void }, R>(op: O, run: (op: O) => R): R {
  try {
    return run(op);
  } finally {
    op.dispose();
  }
}

type GruArgs = ConstructorParameters<typeof GruOp>;
type LstmArgs = ConstructorParameters<typeof LstmOp>;
type RnnArgs = ConstructorParameters<typeof RnnOp>;

/** Constructs the op for an ONNX node, runs it once on the node's inputs and disposes of it. */
export function runGatedrnn(
  opType: OpType,
  attrs: object,
  inputs: Partial<Record<InputSlot, Tensor>>,
): Partial<Record<OutputSlot, Tensor>> {
  const { X, W, R, B, P, sequence_lens, initial_h, initial_c } = inputs;
  if (!X || !W || !R) throw new Error('runGatedrnn: X, W and R are required');
  const options = toOpOptions(attrs);
  const state = given({ sequenceLens: sequence_lens && toInt32(sequence_lens), initialH: initial_h });
  switch (opType) {
    case 'GRU':
      return runAndDispose(new GruOp(given({ W, R, B }) as GruArgs[0], options as GruArgs[1]), (op) =>
        op.run({ X, ...state } as Parameters<GruOp['run']>[0]),
      );
    case 'RNN':
      return runAndDispose(new RnnOp(given({ W, R, B }) as RnnArgs[0], options as RnnArgs[1]), (op) =>
        op.run({ X, ...state } as Parameters<RnnOp['run']>[0]),
      );
    case 'LSTM':
      return runAndDispose(new LstmOp(given({ W, R, B, P }) as LstmArgs[0], options as LstmArgs[1]), (op) =>
        op.run({ X, ...state, ...given({ initialC: initial_c }) } as Parameters<LstmOp['run']>[0]),
      );
  }
}
