// A minimal ONNX model writer for the benchmark: one GRU/LSTM node (or one MatMul) with its
// weights as initializers. The protobuf wire format is encoded by hand because the model shape
// is fixed and tiny; field numbers are those of onnx/onnx.proto. It is deliberately separate
// from lib/onnx (the library's own exporter) and test/helpers/onnx.ts (TypeScript, for jest):
// the yardstick must not share code with what it measures.

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT32 = 6;
const INT64 = 7;
const ATTR_INT = 2; // AttributeProto.AttributeType.INT
const ATTR_STRING = 3;

// --- wire format -------------------------------------------------------------------------------

/** Bytes of a base-128 varint; values here are non-negative and below 2^53. */
function varint(value) {
  const out = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

function key(field, wireType) {
  return varint(field * 8 + wireType);
}

/** A varint field (wire type 0). */
function fieldVarint(field, value) {
  return Buffer.concat([key(field, 0), varint(value)]);
}

/** A length-delimited field (wire type 2): bytes, a string or an embedded message. */
function fieldBytes(field, bytes) {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.concat([key(field, 2), varint(buf.length), buf]);
}

const message = (...fields) => Buffer.concat(fields);

// --- ONNX messages -----------------------------------------------------------------------------

/** TensorProto with its data as raw_data (little-endian, which typed arrays are on x86/arm). */
function tensorProto(name, dims, data) {
  const dataType = data instanceof BigInt64Array ? INT64 : data instanceof Int32Array ? INT32 : FLOAT;
  return message(
    ...dims.map((d) => fieldVarint(1, d)), // dims
    fieldVarint(2, dataType), // data_type
    fieldBytes(8, name), // name
    fieldBytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), // raw_data
  );
}

/** ValueInfoProto for a tensor (float unless told); a string dim is a named, free size. */
function valueInfo(name, dims, elemType = FLOAT) {
  // dim { dim_value } or dim { dim_param }
  const shape = message(...dims.map((d) => fieldBytes(1, typeof d === 'string' ? fieldBytes(2, d) : fieldVarint(1, d))));
  const tensorType = message(fieldVarint(1, elemType), fieldBytes(2, shape)); // elem_type, shape
  const typeProto = fieldBytes(1, tensorType); // TypeProto.tensor_type
  return message(fieldBytes(1, name), fieldBytes(2, typeProto));
}

function attribute(name, value) {
  if (typeof value === 'number') {
    return message(fieldBytes(1, name), fieldVarint(20, ATTR_INT), fieldVarint(3, value));
  }
  return message(fieldBytes(1, name), fieldVarint(20, ATTR_STRING), fieldBytes(4, value));
}

function nodeProto(opType, inputs, outputs, attrs) {
  return message(
    ...inputs.map((n) => fieldBytes(1, n)),
    ...outputs.map((n) => fieldBytes(2, n)),
    fieldBytes(3, `${opType.toLowerCase()}_0`),
    fieldBytes(4, opType),
    ...Object.entries(attrs).map(([k, v]) => fieldBytes(5, attribute(k, v))),
  );
}

/** ModelProto: ir_version 8, opset 14 of the default domain, one graph of `node` or `nodes`. */
function modelProto({ node, nodes = [node], initializers, inputs, outputs }) {
  const graph = message(
    ...nodes.map((n) => fieldBytes(1, n)),
    fieldBytes(2, 'bench'),
    ...initializers.map((t) => fieldBytes(5, t)),
    ...inputs.map((v) => fieldBytes(11, v)),
    ...outputs.map((v) => fieldBytes(12, v)),
  );
  const opset = message(fieldBytes(1, ''), fieldVarint(2, 14));
  const bytes = message(
    fieldVarint(1, 8), // ir_version
    fieldBytes(2, 'gatedrnn-bench'), // producer_name
    fieldBytes(7, graph),
    fieldBytes(8, opset),
  );
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// --- the two models the benchmark needs --------------------------------------------------------

/**
 * A single forward GRU or LSTM node. `weights` are ONNX-layout float32 tensors {data, dims};
 * X is a graph input of shape [T, B, I]; outputs are Y [T, 1, B, H] and Y_h [1, B, H].
 */
function buildRnnModel(cell, weights, { T, B, I, H, linearBeforeReset }) {
  const attrs = { hidden_size: H, direction: 'forward' };
  if (cell === 'GRU') attrs.linear_before_reset = linearBeforeReset ? 1 : 0;
  return modelProto({
    node: nodeProto(cell, ['X', 'W', 'R', 'B'], ['Y', 'Y_h'], attrs),
    initializers: ['W', 'R', 'B'].map((n) => tensorProto(n, weights[n].dims, weights[n].data)),
    inputs: [valueInfo('X', [T, B, I])],
    outputs: [valueInfo('Y', [T, 1, B, H]), valueInfo('Y_h', [1, B, H])],
  });
}

module.exports = { buildRnnModel };
