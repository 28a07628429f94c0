/**
 * runAsync computes on the addon's runner threads (native/cpu/task_runner.h): the event loop keeps
 * turning while a long run computes, stays alive while a call is in flight and no longer, inputs
 * stay alive until it is done, and results equal run()'s.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { GruOp, LstmOp } from '../../lib';
import { makeCase } from '../helpers/cases';

const root = path.join(__dirname, '..', '..');

// About 0.1-0.5 s of arithmetic on this machine.
const long = makeCase({ cell: 'LSTM', T: 400, B: 32, I: 256, H: 256, seed: 1 });

test('a timer fires while a long runAsync computes', async () => {
  const op = new LstmOp(long.weights, { threads: 1 });
  const started = process.hrtime.bigint();
  let ticks = 0;
  const timer = setInterval(() => ++ticks, 1);
  const { Y_h } = await op.runAsync(long.inputs);
  clearInterval(timer);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  op.dispose();
  expect(Y_h!.dims).toEqual([1, 32, 256]);
  // The run took tens of milliseconds at least; a blocked loop would have ticked at most once.
  expect(ms).toBeGreaterThan(20);
  expect(ticks).toBeGreaterThan(3);
});

test('a call in flight keeps the process alive until it settles, and a settled one does not hold it open', () => {
  // Fresh node processes over dist/: each prints what it saw and must exit by itself.
  const lib = JSON.stringify(path.join(root, 'dist'));
  const script = (body: string) => `
    const { LstmOp } = require(${lib});
    const t = (dims) => ({ type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01), dims });
    const op = new LstmOp({ W: t([1, 512, 128]), R: t([1, 512, 128]) }, { threads: 2 });
    ${body}`;
  const run = (body: string) =>
    execFileSync(process.execPath, ['-e', script(body)], { cwd: root, encoding: 'utf8', timeout: 60_000 })
      .trim()
      .split('\n');
  // Nothing else keeps this loop alive: only the pending call does.
  expect(run(`op.runAsync({ X: t([400, 8, 128]) }).then((r) => console.log('settled', r.Y_h.dims.join('x')));`)).toEqual([
    'settled 1x8x128',
  ]);
  // Settled calls leave nothing behind: the process ends when its script does.
  expect(run(`(async () => { for (let k = 0; k < 20; k++) await op.runAsync({ X: t([5, 1, 128]) }); console.log('done'); })();`)).toEqual([
    'done',
  ]);
});

test('runAsync gives the same result as run', async () => {
  const c = makeCase({ cell: 'GRU', T: 30, B: 5, I: 12, H: 33, sequenceLens: 'random', initialState: true, seed: 4 });
  const op = new GruOp(c.weights, { linearBeforeReset: 1 });
  const a = op.run(c.inputs);
  const b = await op.runAsync(c.inputs);
  expect(Array.from(b.Y!.data)).toEqual(Array.from(a.Y!.data));
  expect(Array.from(b.Y_h!.data)).toEqual(Array.from(a.Y_h!.data));
  op.dispose();
});

test('concurrent runAsync calls on one op match serial runs', async () => {
  const op = new GruOp(makeCase({ cell: 'GRU', T: 1, B: 1, I: 16, H: 32, seed: 5 }).weights);
  const cases = [1, 2, 3, 4, 5, 6].map((seed) => makeCase({ cell: 'GRU', T: 20 + seed, B: seed, I: 16, H: 32, seed }).inputs);
  const serial = cases.map((inputs) => op.run(inputs));
  const together = await Promise.all(cases.map((inputs) => op.runAsync(inputs)));
  together.forEach((r, k) => expect(Array.from(r.Y!.data)).toEqual(Array.from(serial[k].Y!.data)));
  op.dispose();
});

test('inputs the caller drops stay alive until the run is done', async () => {
  const op = new LstmOp(long.weights);
  const expected = op.run(long.inputs).Y_h!.data;
  // Give runAsync a private copy and drop every reference to it at once; churn the heap.
  const pending = op.runAsync({ X: { type: 'float32', data: (long.inputs.X.data as Float32Array).slice(), dims: long.inputs.X.dims } });
  const junk: Float32Array[] = [];
  for (let k = 0; k < 200; k++) junk.push(new Float32Array(100_000));
  junk.length = 0;
  const { Y_h } = await pending;
  expect(Array.from(Y_h!.data)).toEqual(Array.from(expected));
  op.dispose();
});

test('concurrent two-thread calls share the pool (one may run on its own thread) and match serial runs', async () => {
  // Enough work per step that each call wants two threads: while one holds the pool, the others
  // run single-threaded on their runner threads.
  const c = makeCase({ cell: 'LSTM', T: 40, B: 8, I: 64, H: 96, seed: 7 });
  const op = new LstmOp(c.weights, { threads: 2 });
  const inputs = [1, 2, 3, 4].map((seed) => makeCase({ cell: 'LSTM', T: 40, B: 8, I: 64, H: 96, seed, initialState: true }).inputs);
  const serial = inputs.map((x) => op.run(x));
  for (let round = 0; round < 5; round++) {
    const together = await Promise.all([...inputs.map((x) => op.runAsync(x)), Promise.resolve(op.run(inputs[0]))]);
    together.slice(0, 4).forEach((r, k) => expect(Array.from(r.Y_h!.data)).toEqual(Array.from(serial[k].Y_h!.data)));
    expect(Array.from(together[4].Y_c!.data)).toEqual(Array.from(serial[0].Y_c!.data));
  }
  op.dispose();
});
