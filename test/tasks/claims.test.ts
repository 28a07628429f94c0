// The claims generators against their known answers, and the experiment jobs on tiny sizes.
import {
  addingProblem,
  anbnBatch,
  anbnExact,
  anbnLegalNext,
  anbnString,
  ANBN,
  copyTask,
  delayedRecall,
  runAnbnJob,
  runLagJob,
} from '../../lib/tasks/claims';

describe('adding problem', () => {
  test('two markers, one per half, and the target is the sum of the marked values', () => {
    const { x, y } = addingProblem(50, 20, 7);
    expect(x.dims).toEqual([50, 20, 2]);
    expect(y.dims).toEqual([50, 1]);
    for (let n = 0; n < 50; n++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < 20; t++) {
        const v = x.data[(n * 20 + t) * 2];
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
        const m = x.data[(n * 20 + t) * 2 + 1];
        expect([0, 1]).toContain(m);
        if (m === 1) {
          marked.push(t);
          sum += v;
        }
      }
      expect(marked).toHaveLength(2);
      expect(marked[0]).toBeLessThan(10);
      expect(marked[1]).toBeGreaterThanOrEqual(10);
      expect(y.data[n]).toBeCloseTo(sum, 6);
    }
  });

  test('a seed fixes the data; another seed changes it', () => {
    expect(addingProblem(4, 10, 3).x.data).toEqual(addingProblem(4, 10, 3).x.data);
    expect(addingProblem(4, 10, 3).y.data).not.toEqual(addingProblem(4, 10, 4).y.data);
  });

  test('always answering 1 scores an MSE near 1/6', () => {
    const { y } = addingProblem(20000, 10, 1);
    let se = 0;
    for (const v of y.data) se += (v - 1) ** 2;
    expect(se / y.data.length).toBeCloseTo(1 / 6, 1);
  });

  test('bad sizes are RangeErrors naming the argument', () => {
    expect(() => addingProblem(0, 10, 1)).toThrow(RangeError);
    expect(() => addingProblem(3, 1, 1)).toThrow(/addingProblem: expected length to be an integer ≥ 2, but received 1/);
  });
});

describe('copy memory', () => {
  test('symbols, blanks, delimiter; the target is blank until the delimiter, then the symbols in order', () => {
    const lag = 5;
    const c = copyTask(3, lag, 11, { symbols: 4, alphabet: 6 });
    const len = 4 + lag + 1 + 4;
    expect(c.x.dims).toEqual([3, len]);
    expect(c.recallStart).toBe(4 + lag + 1);
    for (let n = 0; n < 3; n++) {
      const x = Array.from(c.x.data.subarray(n * len, (n + 1) * len));
      const y = Array.from(c.y.data.subarray(n * len, (n + 1) * len));
      const symbols = x.slice(0, 4);
      for (const s of symbols) {
        expect(s).toBeGreaterThanOrEqual(1);
        expect(s).toBeLessThanOrEqual(6);
      }
      expect(x.slice(4, 4 + lag)).toEqual(new Array(lag).fill(0));
      expect(x[4 + lag]).toBe(7);
      expect(x.slice(4 + lag + 1)).toEqual([0, 0, 0, 0]);
      expect(y.slice(0, c.recallStart)).toEqual(new Array(c.recallStart).fill(0));
      expect(y.slice(c.recallStart)).toEqual(symbols);
    }
  });
});

describe('delayed recall', () => {
  test('the label is the first token', () => {
    const d = delayedRecall(20, 9, 5, 4);
    expect(d.x.dims).toEqual([20, 10]);
    for (let n = 0; n < 20; n++) {
      expect(d.y.data[n]).toBe(d.x.data[n * 10] - 1);
      for (let t = 0; t < 10; t++) {
        expect(d.x.data[n * 10 + t]).toBeGreaterThanOrEqual(1);
        expect(d.x.data[n * 10 + t]).toBeLessThanOrEqual(4);
      }
    }
  });
});

describe('aⁿbⁿ', () => {
  test('strings and legal continuations', () => {
    expect(anbnString(3)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(anbnLegalNext(2)).toEqual([[1, 2], [1, 2], [2], [3]]);
    expect(anbnLegalNext(1)).toEqual([[1, 2], [3]]);
  });

  test('batches pad after the string and predict the next symbol, then the end', () => {
    const b = anbnBatch([1, 3], 3);
    expect(b.x.dims).toEqual([2, 6]);
    expect(Array.from(b.x.data)).toEqual([1, 2, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(Array.from(b.y.data)).toEqual([2, 3, 0, 0, 0, 0, 1, 1, 2, 2, 2, 3]);
    expect(() => anbnBatch([4], 3)).toThrow(/anbnBatch: expected ns\[0\] to be an integer from 1 to maxN \(3\), but received 4/);
  });

  test('exact means every most likely symbol is legal', () => {
    const k = ANBN.classes;
    const probs = (picks: number[]) => {
      const p = new Float32Array(picks.length * k).fill(0.1);
      picks.forEach((c, t) => (p[t * k + c] = 0.7));
      return p;
    };
    // n = 2: a a b b → legal {a,b} {a,b} {b} {end}
    expect(anbnExact(probs([1, 2, 2, 3]), 2)).toBe(true);
    expect(anbnExact(probs([2, 1, 2, 3]), 2)).toBe(true);
    expect(anbnExact(probs([1, 1, 2, 2]), 2)).toBe(false);
    expect(anbnExact(probs([1, 1, 3, 3]), 2)).toBe(false);
    expect(anbnExact(probs([3, 1, 2, 3]), 2)).toBe(false);
  });
});

describe('jobs', () => {
  test('a lag job trains and scores a success rate in [0, 1]; the seed makes it repeatable', async () => {
    const job = {
      kind: 'lag' as const,
      task: 'recall' as const,
      lag: 3,
      cell: 'gru' as const,
      units: 8,
      seed: 2,
      updates: 20,
      batchSize: 16,
      learningRate: 0.01,
      testCount: 50,
    };
    const a = await runLagJob(job);
    expect(a.success).toBeGreaterThanOrEqual(0);
    expect(a.success).toBeLessThanOrEqual(1);
    expect(a.params).toBeGreaterThan(0);
    const b = await runLagJob(job);
    expect(b).toEqual(a);
  });

  test('an adding job and a copy job run', async () => {
    const base = {
      kind: 'lag' as const,
      lag: 4,
      cell: 'lstm' as const,
      units: 8,
      seed: 1,
      updates: 5,
      batchSize: 8,
      learningRate: 0.01,
      testCount: 20,
    };
    for (const task of ['adding', 'copy'] as const) {
      const r = await runLagJob({ ...base, task });
      expect(Number.isFinite(r.testLoss)).toBe(true);
      expect(r.success).toBeGreaterThanOrEqual(0);
    }
  });

  test('an aⁿbⁿ job reports exactness per n and the largest exact prefix', async () => {
    const r = await runAnbnJob({
      kind: 'anbn',
      cell: 'lstm',
      units: 6,
      seed: 1,
      updates: 10,
      batchSize: 8,
      learningRate: 0.01,
      trainMaxN: 4,
      testMaxN: 8,
    });
    expect(r.exact).toHaveLength(8);
    let k = 0;
    while (k < 8 && r.exact[k]) k++;
    expect(r.exactUpTo).toBe(k);
  });
});
