/** @jest-environment ./test/helpers/node-realm-environment.ts */

// crosscheck and the gatedrnn CLI: the command table, --help, crosscheck on the fixtures with
// random and given inputs, the exit code outside tolerance, and usage errors. Timings are
// printed, never asserted.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Tensor, crosscheck } from '../../lib';
import { COMMANDS, main, parseArgs } from '../../lib/cli';

const FIXTURES = path.join(__dirname, '../fixtures', 'onnx');
const fixture = (name: string) => path.join(FIXTURES, `${name}.onnx`);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('crosscheck', () => {
  test('random inputs shaped from the model: token ids stay inside the embedding, dims get defaults or overrides', async () => {
    const report = await crosscheck(fixture('torch_gru_classifier'), undefined, { runs: 1, dims: { time: 9 } });
    expect(report.ok).toBe(true);
    expect(report.feeds.tokens.dims).toEqual([2, 9]);
    expect(Math.max(...Array.from(report.feeds.tokens.data as BigInt64Array, Number))).toBeLessThan(60);
    expect(report.outputs).toEqual([
      { name: 'probs', dims: [2, 5], maxAbsDiff: expect.any(Number), maxRelDiff: expect.any(Number), ok: true },
    ]);
    expect(report.outputs[0].maxAbsDiff).toBeLessThan(1e-5);
    expect(report.speedRatio).toBeGreaterThan(0);
  });

  test('given feeds are used as they are', async () => {
    const x = new Tensor('float32', new Float32Array(3 * 2 * 6).fill(0.25), [3, 2, 6]);
    const h0 = new Tensor('float32', new Float32Array(20), [1, 2, 10]);
    const report = await crosscheck(fs.readFileSync(fixture('torch_gru_state')), { x, h0 }, { runs: 1 });
    expect(report.feeds.x).toBe(x);
    expect(report.outputs.map((o) => o.name)).toEqual(['y', 'h_n']);
    expect(report.ok).toBe(true);
  });

  test('options are checked', async () => {
    await expect(crosscheck(fixture('torch_gru_state'), undefined, { tolerance: -1 })).rejects.toThrow(
      'crosscheck: expected options.tolerance to be a non-negative number, but received -1 of type number',
    );
    await expect(crosscheck(fixture('torch_gru_state'), undefined, { dims: { batch: 0 } })).rejects.toThrow(
      'crosscheck: expected options.dims.batch to be a positive integer, but received 0',
    );
  });
});

describe('the gatedrnn command', () => {
  test('--help lists the commands from the table', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(c.out.join('\n')).toContain(`  ${name}`);
    const d = capture();
    expect(await main(['crosscheck', '--help'], d.io)).toBe(0);
    expect(d.out.join('\n')).toContain('usage: gatedrnn crosscheck model.onnx [--inputs file.json]');
  });

  test('crosscheck on a fixture prints per-output differences and the speed ratio, exit 0', async () => {
    const c = capture();
    const code = await main(['crosscheck', fixture('keras_lstm_state'), '--runs', '1', '--dim', 'N=3', '--dim=T=4'], c.io);
    const text = c.out.join('\n');
    expect(code).toBe(0);
    expect(text).toContain('inputs input_1 float32 [3, 4, 5], state_h_in float32 [3, 7], state_c_in float32 [3, 7]');
    expect(text).toMatch(/^output\s+dims\s+max abs diff\s+max rel diff\s+within 0.0001$/m);
    for (const name of ['lstm_out', 'state_h_out', 'state_c_out']) expect(text).toMatch(new RegExp(`^${name}\\s+\\[`, 'm'));
    expect(text).toMatch(/speed ratio [\d.]+x \(above 1: gatedrnn is faster\)/);
    expect(text).toMatch(/PASS$/);
  });

  test('--inputs reads feeds from JSON (the fixture files) and --json prints the report', async () => {
    const c = capture();
    const code = await main(
      ['crosscheck', fixture('torch_bilstm'), '--inputs', path.join(FIXTURES, 'torch_bilstm.json'), '--runs', '1', '--json'],
      c.io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(c.out.join('\n'));
    expect(report.outputs[0]).toMatchObject({ name: 'y', dims: [2, 7, 24], ok: true });
    expect(report.ok).toBe(true);
  });

  test('outside tolerance the exit code is 1', async () => {
    const c = capture();
    const code = await main(
      ['crosscheck', fixture('torch_bilstm'), '--tolerance', '0', '--runs', '1', '--dim', 'time=40', '--dim', 'batch=4'],
      c.io,
    );
    expect(c.out.join('\n')).toMatch(/OUTSIDE TOLERANCE[\s\S]*FAIL: outputs differ beyond the tolerance$/);
    expect(code).toBe(1);
  });

  test('usage errors exit 2 with the usage', async () => {
    const c = capture();
    expect(await main(['crosscheck'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('gatedrnn crosscheck: expected one model file, but received 0\nusage: gatedrnn crosscheck');
    const d = capture();
    expect(await main(['crosscheck', 'm.onnx', '--frobnicate'], d.io)).toBe(2);
    expect(d.err.join('\n')).toContain('gatedrnn crosscheck: unknown option --frobnicate');
    const e = capture();
    expect(await main(['nope'], e.io)).toBe(2);
    expect(e.err.join('\n')).toContain("gatedrnn: unknown command 'nope'");
    const f = capture();
    expect(await main(['crosscheck', path.join(os.tmpdir(), 'does-not-exist.onnx')], f.io)).toBe(2);
    expect(f.err.join('\n')).toMatch(/gatedrnn crosscheck: ENOENT/);
    expect(parseArgs(['a', '--x=1', '--x', '2'], ['x']).options.get('x')).toEqual(['1', '2']);
  });

  test('bin/gatedrnn.js runs the built CLI', () => {
    const dist = path.join(__dirname, '..', '..', 'dist', 'cli.js');
    if (!fs.existsSync(dist)) throw new Error('dist/cli.js is missing: run npm run build:ts first');
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'gatedrnn.js'), 'info'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ isa: expect.any(String), threads: expect.any(Number) });
  });
});
