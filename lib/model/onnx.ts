// Sequential.toOnnx(): the Keras-like model as an ONNX graph that onnxruntime runs. Recurrent
// layers are native GRU/LSTM/RNN nodes (a Bidirectional one node with direction bidirectional),
// embeddings Gather, dense layers Gemm (2-D) or MatMul + Add (3-D) and an activation node;
// dropout is the identity at inference and is left out.
//
// Between recurrent layers the values stay time-major ([seq, batch, features], what ONNX
// recurrent nodes take): the token ids are transposed before the Gather (ints, cheaper than the
// embedded floats), features once before the first recurrent node, and the result once at the end.
import { rangeError, typeError } from '../errors';
import { integer } from '../validate';
import { addDenseNode, addEmbeddingNode, addRecurrentNode, OnnxGraphBuilder } from '../onnx/export';
import { MAX_OPSET } from '../onnx/graph';
import { Bidirectional, Dense, Dropout, Embedding, Gru, type Layer, Recurrent } from '../layers';

export interface ToOnnxOptions {
  /** Default 14; 9 to 22 (Where, used by maskZero, needs 9). */
  opset?: number;
  /** Symbolic names of the batch and time dims. Default 'batch' and 'seq'. */
  batchDim?: string;
  seqDim?: string;
  /** Default 'tokens' after an embedding, else 'features'. */
  inputName?: string;
  /** Default 'probabilities' after a softmax or sigmoid, else 'outputs'. */
  outputName?: string;
  docString?: string;
}

export const TO_ONNX_MIN_OPSET = 9;

/** A value in the graph: its name, whether its first two axes are [seq, batch], and its rank. */
interface Flow {
  name: string;
  timeMajor: boolean;
  rank: number;
}

interface ModelLike {
  name: string;
  layers: Layer[];
  built: boolean;
}

function checkDim(where: string, key: string, v: unknown, fallback: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || v === '') throw typeError(where, key, 'a non-empty string', v);
  return v;
}

function recurrentOf(l: Layer): Recurrent | null {
  if (l instanceof Bidirectional) return l.layer;
  return l instanceof Recurrent ? l : null;
}

export function modelToOnnx(model: ModelLike, options: ToOnnxOptions = {}): Uint8Array {
  const where = 'Sequential.toOnnx';
  if (!model.built) throw new Error(`${where}: the model has no weights yet; call model.build(inputShape) or fit first`);
  if (options === null || typeof options !== 'object') throw typeError(where, 'options', 'an object', options);
  const opset = options.opset ?? 14;
  integer(where, 'options.opset', opset, TO_ONNX_MIN_OPSET, MAX_OPSET, `an integer from ${TO_ONNX_MIN_OPSET} to ${MAX_OPSET}`);
  const batch = checkDim(where, 'options.batchDim', options.batchDim, 'batch');
  const seq = checkDim(where, 'options.seqDim', options.seqDim, 'seq');
  if (batch === seq) throw rangeError(where, 'options.seqDim', `a name other than batchDim ('${batch}')`, `'${seq}'`);

  const layers = model.layers.filter((l) => !(l instanceof Dropout));
  const first = model.layers[0];
  const embedding = first instanceof Embedding ? first : null;
  const anyRecurrent = layers.some((l) => recurrentOf(l) !== null);
  const last = layers[layers.length - 1];
  const probabilities = last instanceof Dense && (last.activation === 'softmax' || last.activation === 'sigmoid');
  const inputName = checkDim(where, 'options.inputName', options.inputName, embedding ? 'tokens' : 'features');
  const outputName = checkDim(where, 'options.outputName', options.outputName, probabilities ? 'probabilities' : 'outputs');
  if (inputName === outputName)
    throw rangeError(where, 'options.outputName', `a name other than the input's ('${inputName}')`, `'${outputName}'`);

  const b = new OnnxGraphBuilder(model.name);
  const inShape = first.inputShape!;
  const inputDims = [batch, ...inShape.map((d, k) => (k === 0 && inShape.length > 1 ? seq : d))];
  if (embedding) inputDims[1] = seq;
  const inputDoc = embedding
    ? `token ids [${batch}, ${seq}] (int32)${embedding.maskZero ? ", 0 is padding after each row's tokens" : ''}`
    : inShape.length === 2
      ? `input sequences [${batch}, ${seq}, features]`
      : `input features [${batch}, features]`;
  const input = b.input(inputName, embedding ? 'int32' : 'float32', inputDims, inputDoc);

  const axesInt64 = (name: string, axes: number[]) =>
    b.initializer(b.unique(name), { type: 'int64', data: BigInt64Array.from(axes.map(BigInt)), dims: [axes.length] });
  // Squeeze and ReduceSum take their axes as an input from opset 13 on, as an attribute before.
  const squeeze = (x: string, axis: number, out: string, nodeName: string, doc: string): string =>
    opset >= 13
      ? b.node('Squeeze', [x, axesInt64(`${nodeName}/axes`, [axis])], [out], {}, { name: nodeName, doc })[0]
      : b.node('Squeeze', [x], [out], { axes: [axis] }, { name: nodeName, doc })[0];
  const reshape = (x: string, shape: number[], out: string, nodeName: string, doc: string): string =>
    b.node('Reshape', [x, axesInt64(`${nodeName}/shape`, shape)], [out], {}, { name: nodeName, doc })[0];

  // With maskZero the recurrent layers see each row's length: its count of non-zero ids
  // (the embedding refuses a 0 before a token, so the ids are tokens then padding).
  let sequenceLens: string | undefined;
  if (embedding?.maskZero && anyRecurrent) {
    const zero = b.initializer('mask/zero', { type: 'int32', data: Int32Array.of(0), dims: [] }, 'the padding id');
    const one = b.initializer('mask/one', { type: 'int32', data: Int32Array.of(1), dims: [] });
    const [isPad] = b.node('Equal', [input, zero], [b.unique('mask/is_padding')], {}, { name: 'mask/equal' });
    const [isToken] = b.node(
      'Where',
      [isPad, zero, one],
      [b.unique('mask/is_token')],
      {},
      { name: 'mask/is_token', doc: '1 for a token, 0 for padding (int32)' },
    );
    const doc = "each row's length: its count of non-zero token ids (int32 [batch])";
    sequenceLens =
      opset >= 13
        ? b.node(
            'ReduceSum',
            [isToken, axesInt64('mask/time_axis', [1])],
            ['sequence_lens'],
            { keepdims: 0 },
            { name: 'mask/lengths', doc },
          )[0]
        : b.node('ReduceSum', [isToken], ['sequence_lens'], { axes: [1], keepdims: 0 }, { name: 'mask/lengths', doc })[0];
  }

  // The output's layout is known before its layer is written, so the layer's last node takes
  // the output's name unless a final Transpose back to batch-major will.
  let flow: Flow = { name: input, timeMajor: false, rank: inputDims.length };
  const toTimeMajor = (f: Flow): Flow => {
    if (f.timeMajor) return f;
    const name = b.node(
      'Transpose',
      [f.name],
      [b.unique('to_time_major/output')],
      { perm: [1, 0, 2] },
      { name: b.unique('to_time_major'), doc: '[batch, seq, features] -> [seq, batch, features], as recurrent nodes take it' },
    )[0];
    return { name, timeMajor: true, rank: 3 };
  };
  const outputTimeMajor = (l: Layer, f: Flow): boolean => {
    const r = recurrentOf(l);
    if (r) return r.returnSequences;
    if (l instanceof Embedding) return anyRecurrent;
    return f.timeMajor;
  };

  layers.forEach((l, k) => {
    const isLast = k === layers.length - 1;
    const named = isLast && !outputTimeMajor(l, flow) ? outputName : undefined;
    const rnn = recurrentOf(l);
    if (l instanceof Embedding) {
      const table = l.params[0];
      let ids = flow.name;
      if (anyRecurrent) {
        ids = b.node(
          'Transpose',
          [ids],
          [b.unique(`${l.name}/ids_time_major`)],
          { perm: [1, 0] },
          { name: `${l.name}/ids_to_time_major`, doc: 'token ids [batch, seq] -> [seq, batch]: the Gather then gives time-major rows' },
        )[0];
      }
      const out = addEmbeddingNode(b, {
        name: l.name!,
        ids,
        table: { type: 'float32', data: table.value, dims: table.shape },
        output: named,
      });
      flow = { name: out, timeMajor: anyRecurrent, rank: 3 };
    } else if (l instanceof Dense) {
      const [kernel, bias] = l.params;
      const out = addDenseNode(b, {
        name: l.name!,
        X: flow.name,
        rank: flow.rank,
        kernel: { type: 'float32', data: kernel.value, dims: kernel.shape },
        bias: bias ? { type: 'float32', data: bias.value, dims: bias.shape } : null,
        activation: l.activation,
        output: named,
      });
      flow = { ...flow, name: out };
    } else if (rnn) {
      flow = toTimeMajor(flow);
      const name = l.name!;
      const D = rnn.directions;
      const [W, R, B] = rnn.params;
      const outs = addRecurrentNode(
        b,
        {
          cell: rnn.cell,
          weights: {
            W: { type: 'float32', data: W.value, dims: W.shape },
            R: { type: 'float32', data: R.value, dims: R.shape },
            B: B ? { type: 'float32', data: B.value, dims: B.shape } : null,
          },
          attributes: {
            direction: D === 2 ? 'bidirectional' : rnn.goBackwards ? 'reverse' : 'forward',
            linearBeforeReset: rnn instanceof Gru && rnn.resetAfter,
          },
        },
        { name, X: flow.name, sequenceLens, opset, outputs: [rnn.returnSequences ? 'Y' : 'Y_h'] },
      );
      const width = `${D === 2 ? 'forward and backward outputs side by side, ' : ''}${D * rnn.units} features`;
      if (rnn.returnSequences) {
        // Y [seq, D, batch, H] -> [seq, batch, D*H].
        const out = b.unique(`${name}/output_sequence`);
        if (D === 1) squeeze(outs.Y, 1, out, `${name}/drop_direction_axis`, `every step's hidden state [seq, batch, ${rnn.units}]`);
        else {
          const [t] = b.node(
            'Transpose',
            [outs.Y],
            [b.unique(`${name}/Y_seq_batch`)],
            { perm: [0, 2, 1, 3] },
            { name: `${name}/directions_last` },
          );
          reshape(t, [0, 0, -1], out, `${name}/merge_directions`, `every step's hidden state [seq, batch, ${width}]`);
        }
        flow = { name: out, timeMajor: true, rank: 3 };
      } else {
        // Y_h [D, batch, H] -> [batch, D*H]: the last step (of each row's length), as Keras returns it.
        const out = named ?? b.unique(`${name}/last_state`);
        if (D === 1) squeeze(outs.Y_h, 0, out, `${name}/drop_direction_axis`, `the last step's hidden state [batch, ${rnn.units}]`);
        else {
          const [t] = b.node(
            'Transpose',
            [outs.Y_h],
            [b.unique(`${name}/Y_h_batch_major`)],
            { perm: [1, 0, 2] },
            { name: `${name}/batch_first` },
          );
          reshape(t, [0, -1], out, `${name}/merge_directions`, `the final hidden states [batch, ${width}]`);
        }
        flow = { name: out, timeMajor: false, rank: 2 };
      }
    } else {
      throw rangeError(
        where,
        `layer '${l.name}'`,
        'an Embedding, GRU, LSTM, SimpleRNN, Bidirectional, Dense or Dropout layer',
        l.className,
      );
    }
  });

  if (flow.timeMajor) {
    b.node(
      'Transpose',
      [flow.name],
      [outputName],
      { perm: [1, 0, 2] },
      { name: 'to_batch_major', doc: '[seq, batch, features] -> [batch, seq, features], as the model returns it' },
    );
  }
  const outShape = last.outputShape!;
  const outputDims = [batch, ...outShape.map((d, k) => (k === 0 && outShape.length > 1 ? seq : d))];
  const outputDoc = probabilities
    ? `${(last as Dense).activation} probabilities [${outputDims.join(', ')}]`
    : `the output of layer '${last.name}' [${outputDims.join(', ')}]`;
  b.output(outputName, 'float32', outputDims, outputDoc);
  const docString =
    options.docString ??
    `${model.name}: ${model.layers.map((l) => `${l.name} (${l.className})`).join(' -> ')}; exported by gatedrnn (dropout omitted: inference); dims '${batch}' and '${seq}' dynamic`;
  return b.build({ opset, docString });
}
