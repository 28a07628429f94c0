/** @jest-environment ./test/helpers/node-realm-environment.ts */

// loadOnnx's outputTypes: what a program states about the outputs' element types is checked
// against the model when it loads, and types run()'s results.
import * as path from 'node:path';
import { type AnyTensor, loadOnnx, Tensor } from '../../lib';

const model = path.join(__dirname, '../fixtures', 'onnx', 'keras_lstm_state.onnx');

function feeds(batch: number, steps: number) {
  const f = (dims: number[]) =>
    new Tensor(
      'float32',
      Float32Array.from({ length: dims.reduce((a, b) => a * b) }, (_, k) => Math.sin(k)),
      dims,
    );
  return { input_1: f([batch, steps, 5]), state_h_in: f([batch, 7]), state_c_in: f([batch, 7]) };
}

test('stated float32 outputs come back typed as float32 tensors, and carry from run to run', async () => {
  const session = await loadOnnx(model, { outputTypes: { state_h_out: 'float32', state_c_out: 'float32' } });
  const first = await session.run(feeds(2, 3));
  // Typed: a Tensor<'float32'> where outputTypes says so, so it can be fed back as state.
  const h: Tensor<'float32'> = first.state_h_out;
  const c: Tensor<'float32'> = first.state_c_out;
  expect(h.data).toBeInstanceOf(Float32Array);
  const again = session.runSync({ ...feeds(2, 3), state_h_in: h, state_c_in: c });
  expect(again.state_h_out.dims).toEqual([2, 7]);
  // Outputs not stated are AnyTensor: `type` tells which.
  const y: AnyTensor = again.lstm_out;
  if (y.type === 'float32') expect(y.data).toBeInstanceOf(Float32Array);
  else throw new Error(`lstm_out is ${y.type}`);
  session.dispose();
});

test('a stated type the model contradicts, or an output it lacks, fails at load', async () => {
  await expect(loadOnnx(model, { outputTypes: { state_h_out: 'int64' } })).rejects.toThrow(
    "loadOnnx: expected options.outputTypes.state_h_out to be 'float32' (the type the model declares), but received 'int64'",
  );
  await expect(loadOnnx(model, { outputTypes: { h: 'float32' } })).rejects.toThrow(
    "loadOnnx: expected options.outputTypes to be keyed by the model's outputs ('lstm_out', 'state_h_out', 'state_c_out'), but received an unknown output 'h'",
  );
  await expect(loadOnnx(model, { outputTypes: { state_h_out: 'float16' } as never })).rejects.toThrow(TypeError);
  await expect(loadOnnx(model, { outputTypes: 'float32' as never })).rejects.toThrow(
    "loadOnnx: expected options.outputTypes to be an object such as { y: 'float32' }",
  );
});
