/**
 * Long-running use and concurrency: many runAsync calls keep memory flat, dispose() and the
 * garbage collector free native memory, the addon runs in several worker_threads at once with
 * the main thread's results, and a caller that detaches or rewrites its input arrays while a
 * runAsync call computes cannot make it read freed or out-of-range memory. The memory checks run
 * in fresh node processes over dist/ (`npm run build:ts`), so jest's own heap does not count.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { GruOp, LstmOp } from '../lib';
import { makeCase } from './helpers/cases';

const root = path.join(__dirname, '..');
const MiB = 2 ** 20;

function nodeJson(args: string[]): Record<string, number | boolean | string> {
  const out = execFileSync(process.execPath, ['--expose-gc', ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('memory over time', () => {
  test('3,000 runAsync calls of mixed sizes, 4 in flight: no native memory accumulates', () => {
    // scripts/soak.js at CI size (the 100,000-call run and its figures are in the README). Here
    // RSS moves by about 1% between readings; the bounds are loose so as never to flake, and
    // still catch a leak of any call's outputs or inputs (2,000 calls of ~60 KiB: ~120 MiB).
    const r = nodeJson(['scripts/soak.js', '--calls', '3000', '--warmup', '1000', '--max-growth', '15', '--json']);
    expect(r).toMatchObject({ calls: 3000, badShapes: 0, packedUnchanged: true, gcExposed: true, ok: true });
    expect((r.rssEndMiB as number) - (r.rssWarmMiB as number)).toBeLessThan(24);
  });

  test('dispose() frees the packed weights: 200 operators of 2 MiB each leave RSS flat', () => {
    const r = nodeJson(['test/helpers/memory-child.js', 'dispose', '200']);
    const packed = r.packedBytes as number;
    expect(packed).toBeGreaterThan(2 * MiB);
    // Kept, they would add 200 x 2 MiB = 400 MiB.
    expect((r.after as number) - (r.before as number)).toBeLessThan(40 * MiB);
  });

  test('20,000 GRUs made and disposed in a synchronous loop leave RSS flat', () => {
    const r = nodeJson(['test/helpers/memory-child.js', 'churn', '20000']);
    expect(r.packedBytes as number).toBeGreaterThan(60 * 1024);
    // Kept (as the C heap did), 20,000 x 61 KiB = 1.2 GiB.
    expect((r.after as number) - (r.before as number)).toBeLessThan(64 * MiB);
  });

  test('a synchronous loop of 2,000 run() calls does not keep the outputs it dropped', () => {
    // Y is 4096 x 16 floats (256 KiB): kept until the loop yields, they would add 500 MiB.
    const r = nodeJson(['test/helpers/memory-child.js', 'sync-loop', '2000']);
    expect((r.after as number) - (r.before as number)).toBeLessThan(100 * MiB);
  });

  test('operators the caller forgot are freed by finalizers after garbage collection', () => {
    const r = nodeJson(['test/helpers/memory-child.js', 'forget', '200']);
    expect((r.after as number) - (r.before as number)).toBeLessThan(60 * MiB);
  });
});

describe('concurrency', () => {
  test('the addon loads in 4 worker_threads at once; each computes what the main thread does', async () => {
    const gru = makeCase({ cell: 'GRU', T: 25, B: 3, I: 10, H: 24, sequenceLens: 'random', initialState: true, seed: 11 });
    const lstm = makeCase({ cell: 'LSTM', T: 25, B: 3, I: 10, H: 24, direction: 'bidirectional', peepholes: true, seed: 12 });
    const gruAttrs = { linearBeforeReset: 1 as const, threads: 2 };
    const lstmAttrs = { direction: 'bidirectional' as const, threads: 2 };
    const gruOp = new GruOp(gru.weights, gruAttrs);
    const lstmOp = new LstmOp(lstm.weights, lstmAttrs);
    const expected = { gru: gruOp.run(gru.inputs).Y!.data, lstm: lstmOp.run(lstm.inputs).Y_c!.data };
    gruOp.dispose();
    lstmOp.dispose();

    // Each worker requires the library (and so loads the addon into its own environment),
    // builds both operators and runs them synchronously and asynchronously, several times.
    const code = `
      const { parentPort, workerData: d } = require('worker_threads');
      const { GruOp, LstmOp } = require(${JSON.stringify(path.join(root, 'dist'))});
      (async () => {
        const results = [];
        for (let round = 0; round < 5; round++) {
          const g = new GruOp(d.gru.weights, d.gruAttrs);
          const l = new LstmOp(d.lstm.weights, d.lstmAttrs);
          const [a, b] = await Promise.all([g.runAsync(d.gru.inputs), l.runAsync(d.lstm.inputs)]);
          results.push({ gru: a.Y.data, lstm: b.Y_c.data, gruSync: g.run(d.gru.inputs).Y.data });
          g.dispose();
          l.dispose();
        }
        parentPort.postMessage(results);
      })();`;
    const runs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<{ gru: Float32Array; lstm: Float32Array; gruSync: Float32Array }[]>((resolve, reject) => {
            const w = new Worker(code, { eval: true, workerData: { gru, lstm, gruAttrs, lstmAttrs } });
            w.once('message', (m) => {
              resolve(m);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    for (const rounds of runs) {
      expect(rounds).toHaveLength(5);
      for (const r of rounds) {
        expect(Array.from(r.gru)).toEqual(Array.from(expected.gru));
        expect(Array.from(r.gruSync)).toEqual(Array.from(expected.gru));
        expect(Array.from(r.lstm)).toEqual(Array.from(expected.lstm));
      }
    }
  });

  test('a worker terminated while its runAsync computes does not take the process down', async () => {
    const code = `
      const { parentPort } = require('worker_threads');
      const { LstmOp } = require(${JSON.stringify(path.join(root, 'dist'))});
      const H = 256, T = 300, B = 16;
      const t = (dims) => ({ type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01), dims });
      const op = new LstmOp({ W: t([1, 4 * H, H]), R: t([1, 4 * H, H]) }, { threads: 1 });
      op.runAsync({ X: t([T, B, H]) });
      parentPort.postMessage('started');`;
    for (let k = 0; k < 3; k++) {
      const w = new Worker(code, { eval: true });
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      await w.terminate();
    }
    // Still alive, and the addon still works here.
    const c = makeCase({ cell: 'GRU', T: 3, B: 2, I: 4, H: 5, seed: 2 });
    const op = new GruOp(c.weights);
    expect(op.run(c.inputs).Y_h!.dims).toEqual([1, 2, 5]);
    op.dispose();
  });

  test('a worker terminated with more runAsync calls queued than runner threads drops the queued ones safely', async () => {
    // Eight long one-thread calls: up to four compute on the runner threads, the rest wait in the
    // queue when the worker goes away; the main thread's own calls then still complete.
    const code = `
      const { parentPort } = require('worker_threads');
      const { GruOp } = require(${JSON.stringify(path.join(root, 'dist'))});
      const H = 128, T = 400, B = 16;
      const t = (dims) => ({ type: 'float32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.01), dims });
      const op = new GruOp({ W: t([1, 3 * H, H]), R: t([1, 3 * H, H]) }, { threads: 1 });
      for (let k = 0; k < 8; k++) op.runAsync({ X: t([T, B, H]) });
      parentPort.postMessage('queued');`;
    const c = makeCase({ cell: 'GRU', T: 20, B: 2, I: 4, H: 5, seed: 3 });
    const op = new GruOp(c.weights);
    const expected = op.run(c.inputs).Y!.data;
    for (let k = 0; k < 3; k++) {
      const w = new Worker(code, { eval: true });
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      // Calls from this thread queue behind the worker's, and must outlive its termination.
      const mine = [op.runAsync(c.inputs), op.runAsync(c.inputs)];
      await w.terminate();
      for (const r of await Promise.all(mine)) expect(Array.from(r.Y!.data)).toEqual(Array.from(expected));
    }
    op.dispose();
  });

  test('runAsync reads its own copy of the inputs: detaching X or rewriting sequenceLens during the call is harmless', async () => {
    const c = makeCase({
      cell: 'LSTM',
      T: 200,
      B: 16,
      I: 128,
      H: 128,
      sequenceLens: [200, 150, 100, 50, 1, 0, 7, 200, 200, 3, 9, 180, 200, 1, 2, 3],
      seed: 21,
    });
    const op = new LstmOp(c.weights, { threads: 1 });
    const expected = op.run(c.inputs).Y!.data;
    for (let k = 0; k < 2; k++) {
      const X = { ...c.inputs.X, data: (c.inputs.X.data as Float32Array).slice() };
      const lens = { ...c.inputs.sequenceLens!, data: (c.inputs.sequenceLens!.data as Int32Array).slice() };
      const pending = op.runAsync({ X, sequenceLens: lens });
      // Transfer X's memory away and let its new owner be collected; make sequenceLens hostile.
      let moved: ArrayBuffer | null = structuredClone(X.data.buffer, { transfer: [X.data.buffer] });
      expect(X.data.length).toBe(0);
      moved = null;
      void moved;
      lens.data.fill(1 << 28);
      const junk: Float32Array[] = [];
      for (let j = 0; j < 50; j++) junk.push(new Float32Array(200 * 16 * 128).fill(-1));
      junk.length = 0;
      const { Y } = await pending;
      expect(Array.from(Y!.data)).toEqual(Array.from(expected));
    }
    op.dispose();
  });
});
