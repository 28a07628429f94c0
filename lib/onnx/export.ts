// Writing ONNX: the layers' nodes over the graph builder (graph-builder.ts) and exportOnnx for
// GruOp / LstmOp / RnnOp. The Keras-like models use them for toOnnx(): Embedding as Gather,
// Dense as Gemm or MatMul + Add and an activation node, recurrent layers as native ONNX nodes.
import { typeError, rangeError } from '../errors';
import { integer, oneOf } from '../validate';
import { activationAttributes } from '../ops/activations';
import { GRU_INFO, type GruAttributes } from '../ops/gru';
import { LSTM_INFO, type LstmAttributes, type LstmWeights } from '../ops/lstm';
import { type OutputName, type RecurrentOp, prepareOp } from '../ops/recurrent';
import { RNN_INFO } from '../ops/rnn';
import type { TensorLike } from '../tensor';
import { MAX_OPSET, MIN_OPSET } from './graph';
import { type AttrValue, OnnxGraphBuilder } from './graph-builder';

export { type AttrValue, type NodeOptions, OnnxGraphBuilder } from './graph-builder';

// ---------------------------------------------------------------------------------------------
// Recurrent operators

type AnyRecurrent = RecurrentOp<never, OutputName>;

/**
 * What addRecurrentNode writes: an operator, or weights in ONNX layout with the operator's
 * attributes (e.g. a trained layer's parameters), checked as the operators check them.
 */
export type RecurrentSource =
  | AnyRecurrent
  | { cell: 'GRU' | 'LSTM' | 'RNN'; weights: LstmWeights; attributes?: GruAttributes & LstmAttributes };

const CELL_INFO = { GRU: GRU_INFO, LSTM: LSTM_INFO, RNN: RNN_INFO };

function definitionOf(source: RecurrentSource): AnyRecurrent['definition'] {
  if ('definition' in source) return source.definition;
  const info = CELL_INFO[oneOf('addRecurrentNode', 'source.cell', source.cell, ['GRU', 'LSTM', 'RNN'] as const, "'GRU', 'LSTM' or 'RNN'")];
  return prepareOp(info, source.weights, source.attributes ?? {});
}

const OP_TYPES = ['RNN', 'GRU', 'LSTM'] as const;
const GATE_DOC = { RNN: 'one gate', GRU: 'gates z, r, h (ONNX order)', LSTM: 'gates i, o, f, c (ONNX order)' };

export interface RecurrentNodeOptions {
  /** Names the node and prefixes its weights, e.g. 'gru1' gives gru1/W. */
  name: string;
  X: string;
  sequenceLens?: string;
  initialH?: string;
  initialC?: string;
  /** Which outputs to produce; default all. */
  outputs?: readonly ('Y' | 'Y_h' | 'Y_c')[];
  /** Names for the outputs; default '<name>/Y' and so on. */
  outputNames?: Partial<Record<'Y' | 'Y_h' | 'Y_c', string>>;
  /** The opset the model will declare. */
  opset: number;
  /**
   * For a batch-major (layout 1) operator: write the node with layout = 1 (opset 14 or more)
   * instead of a time-major node between Transposes. onnxruntime cannot run layout = 1.
   */
  layoutAttribute?: boolean;
}

/**
 * Adds one GruOp / LstmOp / RnnOp as its native ONNX node with its weights as initializers.
 * Returns the names of its outputs (Y, Y_h and, for LSTM, Y_c; '' for those not asked for).
 */
export function addRecurrentNode(
  b: OnnxGraphBuilder,
  source: RecurrentSource,
  o: RecurrentNodeOptions,
): Record<'Y' | 'Y_h' | 'Y_c', string> {
  const { info, spec, weights } = definitionOf(source);
  const opType = OP_TYPES[info.cell];
  const D = spec.numDirections;
  const G = info.gates;
  const H = spec.hiddenSize;
  const I = spec.inputSize;
  // onnxruntime refuses layout = 1 on its recurrent kernels, so by default a batch-major operator
  // is written as a time-major node between Transposes, which every runtime runs.
  const batchMajor = spec.layout === 1;
  const layoutAttribute = batchMajor && o.layoutAttribute === true;
  if (layoutAttribute && o.opset < 14) {
    throw rangeError('exportOnnx', 'opset', '14 or more for the layout attribute (batch-major nodes)', String(o.opset));
  }
  if (spec.bf16Weights) {
    // ONNX weights are fp32; the bf16 option is a storage choice of this library, not of the model.
    throw typeError(
      'exportOnnx',
      `${o.name} precision`,
      "'fp32' (exporting writes fp32 weights; make an fp32 operator from the same weights)",
      'bf16',
    );
  }
  const transposeIn = batchMajor && !layoutAttribute;
  const timeMajor = (value: string | undefined, what: string): string => {
    if (value === undefined || !transposeIn) return value ?? '';
    return b.node(
      'Transpose',
      [value],
      [b.unique(`${o.name}/${what}_time_major`)],
      { perm: [1, 0, 2] },
      { name: `${o.name}/${what}_to_time_major` },
    )[0];
  };
  const w = (slot: string, data: Float32Array, dims: number[], doc: string) =>
    b.initializer(`${o.name}/${slot}`, { type: 'float32', data, dims }, doc);
  const inputs = [
    timeMajor(o.X, 'X'),
    w('W', weights.W, [D, G * H, I], `input weights [num_directions, ${G}*hidden_size, input_size], ${GATE_DOC[opType]}`),
    w('R', weights.R, [D, G * H, H], `recurrent weights [num_directions, ${G}*hidden_size, hidden_size], ${GATE_DOC[opType]}`),
    weights.B ? w('B', weights.B, [D, 2 * G * H], 'biases [num_directions, Wb then Rb]') : '',
    o.sequenceLens ?? '',
    timeMajor(o.initialH, 'initial_h'),
  ];
  if (opType === 'LSTM')
    inputs.push(timeMajor(o.initialC, 'initial_c'), weights.P ? w('P', weights.P, [D, 3 * H], 'peepholes [num_directions, i, o, f]') : '');
  while (inputs[inputs.length - 1] === '') inputs.pop();

  const defaults = info.defaultActivations;
  const acts = activationAttributes(spec.acts);
  const isDefault = acts.activations.every((name, k) => name === defaults[k % defaults.length]);
  const all = opType === 'LSTM' ? (['Y', 'Y_h', 'Y_c'] as const) : (['Y', 'Y_h'] as const);
  const wanted = o.outputs ?? all;
  const finalNames = all.map((slot) => (wanted.includes(slot) ? (o.outputNames?.[slot] ?? b.unique(`${o.name}/${slot}`)) : ''));
  const nodeOutputs = transposeIn ? finalNames.map((n, k) => (n === '' ? '' : b.unique(`${o.name}/${all[k]}_time_major`))) : finalNames;
  while (nodeOutputs[nodeOutputs.length - 1] === '') nodeOutputs.pop();
  const attributes: Record<string, AttrValue | undefined> = {
    hidden_size: H,
    direction: D === 2 ? 'bidirectional' : spec.reverse ? 'reverse' : 'forward',
    layout: layoutAttribute ? 1 : undefined,
    clip: spec.clip === undefined ? undefined : { float: spec.clip },
    activations: isDefault ? undefined : acts.activations,
    activation_alpha: isDefault || acts.activationAlpha.length === 0 ? undefined : { floats: acts.activationAlpha },
    activation_beta: isDefault || acts.activationBeta.length === 0 ? undefined : { floats: acts.activationBeta },
    linear_before_reset: opType === 'GRU' ? Number(spec.linearBeforeReset) : undefined,
    input_forget: opType === 'LSTM' && spec.inputForget ? 1 : undefined,
  };
  const layoutDoc = layoutAttribute ? 'batch-major (layout 1): X [batch, seq, input]' : 'time-major: X [seq, batch, input]';
  b.node(opType, inputs, nodeOutputs, attributes, {
    name: o.name,
    doc: `${opType}, hidden_size ${H}, ${attributes.direction}, ${layoutDoc}; written by gatedrnn`,
  });
  if (transposeIn) {
    // Back to batch-major: Y [seq, D, batch, H] -> [batch, seq, D, H]; states [D, batch, H] -> [batch, D, H].
    nodeOutputs.forEach((n, k) => {
      if (n === '') return;
      b.node(
        'Transpose',
        [n],
        [finalNames[k]],
        { perm: k === 0 ? [2, 0, 1, 3] : [1, 0, 2] },
        { name: `${o.name}/${all[k]}_to_batch_major` },
      );
    });
  }
  return { Y: finalNames[0] ?? '', Y_h: finalNames[1] ?? '', Y_c: finalNames[2] ?? '' };
}

export interface DenseNodeOptions {
  /** Names the nodes and prefixes the weights, e.g. 'dense' gives dense/kernel. */
  name: string;
  X: string;
  /** Rank of X: 2 gives one Gemm; more gives MatMul + Add over the last axis. */
  rank: number;
  /** [inputs, units], as Keras stores it. */
  kernel: TensorLike;
  bias?: TensorLike | null;
  activation?: 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';
  /** Name of the final output; default '<name>/output'. */
  output?: string;
}

const ACTIVATION_OPS = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh', softmax: 'Softmax' } as const;

/** A dense layer: y = activation(X · kernel + bias) over the last axis. Returns y's name. */
export function addDenseNode(b: OnnxGraphBuilder, o: DenseNodeOptions): string {
  const where = 'addDenseNode';
  if (o.kernel?.dims?.length !== 2) throw typeError(where, 'kernel', 'a rank-2 tensor [inputs, units]', o.kernel);
  const units = o.kernel.dims[1];
  if (o.bias && (o.bias.dims.length !== 1 || o.bias.dims[0] !== units)) {
    throw rangeError(where, 'bias.dims', `[${units}] (the kernel's units)`, `[${o.bias.dims.join(', ')}]`);
  }
  integer(where, 'rank', o.rank, 2, Number.MAX_SAFE_INTEGER, 'an integer of at least 2');
  const activation = oneOf(
    where,
    'activation',
    o.activation ?? 'linear',
    ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const,
    "'linear', 'relu', 'sigmoid', 'tanh' or 'softmax'",
  );
  const kernel = b.initializer(`${o.name}/kernel`, o.kernel, `kernel [inputs, units] of the dense layer '${o.name}'`);
  const bias = o.bias ? b.initializer(`${o.name}/bias`, o.bias, `bias [units] of the dense layer '${o.name}'`) : '';
  const final = o.output ?? b.unique(`${o.name}/output`);
  const linearOut = activation === 'linear' ? final : b.unique(`${o.name}/linear`);
  if (o.rank === 2) {
    b.node(
      'Gemm',
      bias ? [o.X, kernel, bias] : [o.X, kernel],
      [linearOut],
      {},
      { name: `${o.name}/gemm`, doc: `dense '${o.name}': X · kernel + bias` },
    );
  } else if (bias) {
    const [product] = b.node('MatMul', [o.X, kernel], [b.unique(`${o.name}/matmul`)], {}, { name: `${o.name}/matmul` });
    b.node('Add', [product, bias], [linearOut], {}, { name: `${o.name}/bias_add` });
  } else {
    b.node('MatMul', [o.X, kernel], [linearOut], {}, { name: `${o.name}/matmul` });
  }
  if (activation !== 'linear') {
    b.node(ACTIVATION_OPS[activation], [linearOut], [final], activation === 'softmax' ? { axis: -1 } : {}, {
      name: `${o.name}/${activation}`,
    });
  }
  return final;
}

/** An embedding: rows of `table` [vocabulary, dims] picked by the int ids in `ids`. Returns the output's name. */
export function addEmbeddingNode(b: OnnxGraphBuilder, o: { name: string; ids: string; table: TensorLike; output?: string }): string {
  if (o.table?.dims?.length !== 2) throw typeError('addEmbeddingNode', 'table', 'a rank-2 tensor [vocabulary, dims]', o.table);
  const table = b.initializer(`${o.name}/embeddings`, o.table, `embedding table [vocabulary, dims] of '${o.name}'`);
  const output = o.output ?? b.unique(`${o.name}/output`);
  b.node('Gather', [table, o.ids], [output], { axis: 0 }, { name: `${o.name}/gather`, doc: `embedding '${o.name}': one row per token id` });
  return output;
}

export interface ExportOnnxOptions {
  /** Default 14 (7 to 22). */
  opset?: number;
  /** Batch-major operators as layout = 1 nodes (opset 14 or more; onnxruntime cannot run them). Default false. */
  layoutAttribute?: boolean;
  /** Add initial_h (and initial_c) inputs and keep Y_h / Y_c as outputs: streaming with carried state. Default true. */
  stateInputs?: boolean;
  /** Add a sequence_lens input (int32 [batch]). Default false. */
  sequenceLens?: boolean;
  /** Symbolic names of the batch and time dims. Default 'batch' and 'seq'. */
  batchDim?: string;
  seqDim?: string;
  graphName?: string;
  docString?: string;
}

/**
 * Writes GruOp / LstmOp / RnnOp operators as an ONNX model (Uint8Array): one native ONNX node
 * per operator, weights as initializers, batch and time dims symbolic. Several operators are
 * stacked, each layer's Y (directions concatenated) feeding the next. Inputs: X (and, with
 * stateInputs, initial_h / initial_c per layer; with sequenceLens, sequence_lens); outputs: Y
 * of the last layer, Y_h (and Y_c) of each layer.
 */
export function exportOnnx(ops: AnyRecurrent | readonly AnyRecurrent[], options: ExportOnnxOptions = {}): Uint8Array {
  const where = 'exportOnnx';
  const list = Array.isArray(ops) ? (ops as AnyRecurrent[]) : [ops as AnyRecurrent];
  if (list.length === 0 || !list.every((op) => op && typeof op === 'object' && 'definition' in op)) {
    throw typeError(where, 'ops', 'a GruOp, LstmOp or RnnOp, or a non-empty array of them', ops);
  }
  if (options === null || typeof options !== 'object') throw typeError(where, 'options', 'an object', options);
  const opset = options.opset ?? 14;
  integer(where, 'options.opset', opset, MIN_OPSET, MAX_OPSET, `an integer from ${MIN_OPSET} to ${MAX_OPSET}`);
  const stateInputs = options.stateInputs ?? true;
  const batch = options.batchDim ?? 'batch';
  const seq = options.seqDim ?? 'seq';
  const layout = list[0].definition.spec.layout;
  const b = new OnnxGraphBuilder(options.graphName ?? 'gatedrnn');
  const xDims = (size: number | string) => (layout === 0 ? [seq, batch, size] : [batch, seq, size]);
  const stateDims = (D: number, H: number) => (layout === 0 ? [D, batch, H] : [batch, D, H]);
  const layerDoc = layout === 0 ? '[num_directions, batch, hidden_size]' : '[batch, num_directions, hidden_size]';

  let x = b.input(
    'X',
    'float32',
    xDims(list[0].definition.spec.inputSize),
    `input sequence ${layout === 0 ? '[seq, batch, input_size]' : '[batch, seq, input_size]'}`,
  );
  const lens = options.sequenceLens ? b.input('sequence_lens', 'int32', [batch], 'valid steps of each sequence [batch]') : undefined;
  const single = list.length === 1;
  const declared: [string, (number | string)[], string][] = [];
  list.forEach((op, k) => {
    const { info, spec } = op.definition;
    if (spec.layout !== layout) throw rangeError(where, `ops[${k}] layout`, `${layout}, the layout of ops[0]`, String(spec.layout));
    const prefix = single ? '' : `layer${k}_`;
    const name = single ? OP_TYPES[info.cell].toLowerCase() : `layer${k}_${OP_TYPES[info.cell].toLowerCase()}`;
    const D = spec.numDirections;
    const H = spec.hiddenSize;
    const isLstm = info.cell === 2;
    const initialH = stateInputs
      ? b.input(`${prefix}initial_h`, 'float32', stateDims(D, H), `initial hidden state ${layerDoc}`)
      : undefined;
    const initialC =
      stateInputs && isLstm ? b.input(`${prefix}initial_c`, 'float32', stateDims(D, H), `initial cell state ${layerDoc}`) : undefined;
    const last = k === list.length - 1;
    const outs = addRecurrentNode(b, op, {
      name,
      X: x,
      sequenceLens: lens,
      initialH,
      initialC,
      opset,
      layoutAttribute: options.layoutAttribute,
      outputNames: { Y: last ? 'Y' : undefined, Y_h: `${prefix}Y_h`, Y_c: `${prefix}Y_c` },
      outputs: [
        ...(['Y'] as const),
        ...(stateInputs || last ? (['Y_h'] as const) : []),
        ...(isLstm && (stateInputs || last) ? (['Y_c'] as const) : []),
      ],
    });
    if (outs.Y_h) declared.push([outs.Y_h, stateDims(D, H), `final hidden state ${layerDoc}`]);
    if (outs.Y_c) declared.push([outs.Y_c, stateDims(D, H), `final cell state ${layerDoc}`]);
    if (last) {
      const yDims = layout === 0 ? [seq, D, batch, H] : [batch, seq, D, H];
      b.output(
        outs.Y,
        'float32',
        yDims,
        `every step's hidden state ${layout === 0 ? '[seq, num_directions, batch, hidden_size]' : '[batch, seq, num_directions, hidden_size]'}`,
      );
      for (const [n, dims, doc] of declared) b.output(n, 'float32', dims, doc);
      return;
    }
    if (list[k + 1].definition.spec.inputSize !== D * H) {
      throw rangeError(
        where,
        `ops[${k + 1}] input size`,
        `${D * H} (ops[${k}]'s num_directions * hidden_size)`,
        String(list[k + 1].definition.spec.inputSize),
      );
    }
    // Y [seq, D, batch, H] (layout 0) or [batch, seq, D, H] to the next layer's [.., .., D*H].
    let y = outs.Y;
    if (layout === 0)
      y = b.node('Transpose', [y], [b.unique(`${name}/Y_time_batch`)], { perm: [0, 2, 1, 3] }, { name: `${name}/transpose` })[0];
    const shape = b.initializer(b.unique(`${name}/merge_directions_shape`), {
      type: 'int64',
      data: BigInt64Array.from([0n, 0n, -1n]),
      dims: [3],
    });
    x = b.node(
      'Reshape',
      [y, shape],
      [b.unique(`${name}/output_sequence`)],
      {},
      { name: `${name}/merge_directions`, doc: "directions side by side: the next layer's input" },
    )[0];
  });
  const docString =
    options.docString ??
    `${list.map((op) => OP_TYPES[op.definition.info.cell]).join(' -> ')} exported by gatedrnn; ${layout === 0 ? 'time-major' : 'batch-major'} inputs, dims '${seq}' and '${batch}' dynamic`;
  return b.build({ opset, docString });
}
