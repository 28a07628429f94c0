/** @jest-environment ./test/helpers/node-realm-environment.ts */

// gatedrnn against the ONNX project's own backend node tests for GRU, LSTM and RNN: every output
// within 1e-5 absolute, as the conformance README asks. Unlike onnxruntime, gatedrnn must also
// pass the layout = 1 (*_batchwise) cases.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectClose, loadConformanceCase } from '../helpers/onnx';
import { runGatedrnn } from '../helpers/ops';

const CONFORMANCE_DIR = path.resolve(__dirname, '../fixtures/conformance/onnx-node');
const CASES = fs.readdirSync(CONFORMANCE_DIR).sort();

test('all 12 conformance cases are present', () => {
  expect(CASES).toHaveLength(12);
});

test.each(CASES)('%s: every output matches within 1e-5', (name) => {
  const c = loadConformanceCase(path.join(CONFORMANCE_DIR, name));
  const got = runGatedrnn(c.opType, c.attrs, c.inputs);
  const expected = Object.entries(c.outputs);
  expect(expected.length).toBeGreaterThan(0);
  for (const [slot, want] of expected) {
    const actual = got[slot as keyof typeof got];
    if (!actual) throw new Error(`${name}: gatedrnn returned no ${slot}`);
    expectClose(actual, want!, { atol: 1e-5, rtol: 0, label: `${name} ${slot}` });
  }
});
