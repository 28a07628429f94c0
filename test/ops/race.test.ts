/**
 * Shared-memory races: worker threads rewrite the inputs of run and runAsync (sequenceLens, X,
 * initialH, a Reshape's shape, all in SharedArrayBuffers) while the calls run, through the
 * operators, through the binding itself and through ONNX sessions that take them as feeds. Every
 * call reads its own copy of what it checks: it returns what one valid input gives, or fails with
 * an Error naming the input (a RangeError for sequenceLens), and never reads out of bounds. In a
 * child process over dist/ (`npm run build:ts`), so that a crash fails this test rather than jest.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildRnnModel, mulberry32, randomTensor } from '../helpers/onnx';

const root = path.join(__dirname, '..', '..');

test('sequenceLens, X, initialH and a Reshape shape rewritten from workers during run and runAsync: right answers or Errors, no crash', () => {
  const T = 12,
    B = 6,
    I = 5,
    H = 8;
  const rng = mulberry32(3);
  const model = buildRnnModel({
    opType: 'GRU',
    attrs: { hidden_size: H },
    inputs: {
      X: randomTensor([T, B, I], rng),
      W: randomTensor([1, 3 * H, I], rng, 0.5),
      R: randomTensor([1, 3 * H, H], rng, 0.5),
      sequence_lens: { type: 'int32', data: new Int32Array(B), dims: [B] },
    },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatedrnn-race-'));
  try {
    const file = path.join(dir, 'gru.onnx');
    fs.writeFileSync(file, model);
    const out = execFileSync(process.execPath, ['test/helpers/race-child.js', '2000', file], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.fatal).toBeUndefined();
    expect(r.unexpected).toEqual([]);
    expect(r.wrong).toEqual([]);
    // Both outcomes happened: the rewrites really raced the calls.
    expect(r.returned).toBeGreaterThan(0);
    expect(r.refused).toBeGreaterThan(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
