// The verdict statistics on synthetic results whose answers are known.
import {
  bootstrapDifference,
  costWinner,
  decide,
  decideAll,
  equivalenceP,
  holm,
  itemStatistic,
  type ItemScores,
  normalCdf,
  normalQuantile,
  pairedDifference,
  ratioInterval,
  unitsNeeded,
  welchDifference,
} from '../../lib/compare/verdict';
import { Rng } from '../../lib/train/rng';

/** n draws of a normal(mean, sd) from a seeded generator (Box–Muller). */
function normals(n: number, mean: number, sd: number, seed: number): number[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => mean + sd * r.normal());
}

/** Per-item 0/1 correctness with the given hit rate, deterministic per seed. */
function hits(n: number, rate: number, seed: number): ItemScores {
  const r = new Rng(seed);
  return { num: Array.from({ length: n }, () => (r.next() < rate ? 1 : 0)) };
}

describe('normal distribution', () => {
  test('CDF and quantile agree with tabulated values and with each other', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 6);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621234, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 5);
    for (const p of [0.01, 0.2, 0.5, 0.9, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe('t-based differences', () => {
  test('paired: mean of differences, interval from the t quantile with n − 1 df, p two-sided', () => {
    const a = [1.0, 1.2, 0.9, 1.1];
    const b = [0.5, 0.8, 0.6, 0.5];
    const e = pairedDifference(a, b);
    const d = [0.5, 0.4, 0.3, 0.6];
    const mean = 0.45;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / 3);
    expect(e.estimate).toBeCloseTo(mean, 12);
    expect(e.se).toBeCloseTo(sd / 2, 12);
    expect(e.df).toBe(3);
    // t(0.975, 3) = 3.182446
    expect(e.high - e.estimate).toBeCloseTo(3.182446 * (sd / 2), 5);
    // t = 0.45 / 0.0645 = 6.97 with 3 df: p ≈ 0.006
    expect(e.p).toBeGreaterThan(0.004);
    expect(e.p).toBeLessThan(0.008);
  });

  test('identical values give a zero estimate and p = 1; a constant shift gives p = 0', () => {
    expect(pairedDifference([1, 2, 3], [1, 2, 3])).toMatchObject({ estimate: 0, p: 1, low: 0, high: 0 });
    expect(pairedDifference([2, 3, 4], [1, 2, 3])).toMatchObject({ estimate: 1, p: 0 });
  });

  test('Welch matches the textbook df and interval', () => {
    const e = welchDifference([10, 12, 14], [1, 2, 3, 4, 5]);
    expect(e.estimate).toBeCloseTo(9, 12);
    // va = 4/3, vb = 2.5/5 = 0.5; df = 1.8333² / (1.3333²/2 + 0.5²/4) = 3.3611 / 0.95139 = 3.533
    expect(e.df).toBeCloseTo(3.533, 2);
    expect(e.low).toBeGreaterThan(0);
  });

  test('bad input is named', () => {
    expect(() => pairedDifference([1, 2], [1])).toThrow(
      'pairedDifference: expected a and b of the same length (paired seeds), but received 2 and 1',
    );
    expect(() => pairedDifference([1, NaN], [1, 2])).toThrow('expected a[1] to be a finite number, but received NaN');
    expect(() => pairedDifference([1], [1], { level: 2 })).toThrow(RangeError);
  });
});

describe('hierarchical bootstrap over seeds and items', () => {
  test('is deterministic for a seed and centred on the observed difference', () => {
    const a = [hits(500, 0.8, 1), hits(500, 0.8, 2), hits(500, 0.8, 3)];
    const b = [hits(500, 0.7, 4), hits(500, 0.7, 5), hits(500, 0.7, 6)];
    const e1 = bootstrapDifference(a, b, { seed: 7 });
    const e2 = bootstrapDifference(a, b, { seed: 7 });
    expect(e1).toEqual(e2);
    const observed = a.reduce((s, x) => s + itemStatistic(x), 0) / 3 - b.reduce((s, x) => s + itemStatistic(x), 0) / 3;
    expect(e1.estimate).toBeCloseTo(observed, 12);
    expect(e1.low).toBeLessThan(observed);
    expect(e1.high).toBeGreaterThan(observed);
    // Per-seed accuracy on 500 items has se ≈ √(0.8·0.2/500) ≈ 0.018 per side; the interval reflects it.
    expect(e1.se).toBeGreaterThan(0.008);
    expect(e1.se).toBeLessThan(0.04);
    expect(e1.p).toBeLessThan(0.01);
  });

  test('ratio statistics: phoneme error rate as Σedits / Σlength, RMSE as the root of the mean', () => {
    expect(itemStatistic({ num: [1, 0, 2], den: [4, 3, 3] })).toBeCloseTo(0.3, 12);
    expect(itemStatistic({ num: [1, 4, 4] }, 'sqrt')).toBeCloseTo(Math.sqrt(3), 12);
    const e = bootstrapDifference([{ num: [1, 4, 9, 16] }], [{ num: [1, 4, 9, 16] }], { transform: 'sqrt', resamples: 50 });
    expect(e).toMatchObject({ estimate: 0, p: 1, se: 0 });
  });

  test('a baseline (one "seed") against a model with several', () => {
    const model = [hits(400, 0.75, 11), hits(400, 0.76, 12)];
    const base = [hits(400, 0.5, 13)];
    const e = bootstrapDifference(model, base);
    expect(e.low).toBeGreaterThan(0);
  });

  test('items of different lengths are refused with the lengths named', () => {
    expect(() => bootstrapDifference([{ num: [1, 0] }], [{ num: [1] }])).toThrow(
      'bootstrapDifference: expected b[0].num to have 2 items (as a), but received 1',
    );
  });
});

describe('decide', () => {
  const opts = { margin: 0.01, higherIsBetter: true };

  test('identical distributions are never "better", over many synthetic runs', () => {
    let better = 0;
    for (let s = 1; s <= 200; s++) {
      const a = normals(5, 0.8, 0.01, s);
      const b = normals(5, 0.8, 0.01, 1000 + s);
      const d = decide(welchDifference(a, b), opts).decision;
      if (d === 'a' || d === 'b') better++;
    }
    // At alpha 0.05, about 10 of 200 would be false alarms; Holm over these would make it fewer.
    expect(better).toBeLessThan(22);
    // Exactly identical values: never.
    expect(decide(pairedDifference([0.8, 0.81, 0.79], [0.8, 0.81, 0.79]), opts).decision).not.toMatch(/^[ab]$/);
  });

  test('a clear difference names the right cell, for either direction of "better"', () => {
    const a = normals(5, 0.9, 0.005, 1);
    const b = normals(5, 0.8, 0.005, 2);
    expect(decide(welchDifference(a, b), opts).decision).toBe('a');
    expect(decide(welchDifference(b, a), opts).decision).toBe('b');
    // For an error rate, the side with the lower value wins.
    expect(decide(welchDifference(a, b), { margin: 0.01, higherIsBetter: false }).decision).toBe('b');
  });

  test('a difference inside the margin with tight intervals is "equivalent"', () => {
    const a = normals(8, 0.801, 0.001, 3);
    const b = normals(8, 0.8, 0.001, 4);
    const r = decide(welchDifference(a, b), opts);
    expect(r.decision).toBe('equivalent');
    expect(r.pEquivalence).toBeLessThan(0.05);
    expect(r.unitsNeeded).toBeNull();
  });

  test('wide intervals are "inconclusive" and say how many units would resolve the margin', () => {
    const a = [0.78, 0.82, 0.8];
    const b = [0.81, 0.79, 0.8];
    const r = decide(welchDifference(a, b), opts);
    expect(r.decision).toBe('inconclusive');
    expect(r.unitsNeeded).toBeGreaterThan(3);
  });

  test('a point-value win over a baseline inside the noise is not a win', () => {
    // The model's mean is better than the baseline by 0.01 but the per-item noise is far larger.
    const model = [{ num: normals(300, 1.07, 1.5, 7).map((x) => x * x) }];
    const baseline = [{ num: model[0].num.map((x, i) => x + (i % 2 ? 0.2 : -0.18)) }];
    const e = bootstrapDifference(model, baseline);
    expect(e.estimate).toBeLessThan(0);
    const r = decide(e, { margin: 1e-6, higherIsBetter: false });
    expect(r.decision).not.toBe('a');
  });

  test('unitsNeeded agrees with the closed-form power calculation on a normal case', () => {
    // Per-seed sd σ = 1 with n₀ = 4 seeds: se = 0.5. To detect δ = 0.5 with 80% power at α = 0.05
    // the textbook size is n = ((z₀.₉₇₅ + z₀.₈) σ / δ)² = (2.8016 · 2)² = 31.4 → 32.
    const e = { estimate: 0.1, low: -1, high: 1, level: 0.95, p: 0.5, se: 0.5, df: 3, n: 4, method: 'paired-t' as const };
    const closedForm = Math.ceil((((1.959964 + 0.841621) * 1) / 0.5) ** 2);
    expect(closedForm).toBe(32);
    expect(unitsNeeded(e, 0.5)).toBe(closedForm);
    expect(decide(e, { margin: 0.5, higherIsBetter: true })).toMatchObject({ decision: 'inconclusive', unitsNeeded: 32 });
  });

  test('equivalenceP is the larger one-sided p', () => {
    const e = { estimate: 0, low: 0, high: 0, level: 0.95, p: 1, se: 1, df: Infinity, n: 10, method: 'bootstrap' as const };
    expect(equivalenceP(e, 1.6448536)).toBeCloseTo(0.05, 5);
  });

  test('options are checked', () => {
    const e = pairedDifference([1, 2], [1, 1]);
    expect(() => decide(e, { margin: 0, higherIsBetter: true })).toThrow(
      'decide: expected options.margin to be a positive number, but received 0',
    );
    expect(() => decide(e, { margin: 1 } as never)).toThrow(TypeError);
  });
});

describe('Holm', () => {
  test('adjusted p-values match the step-down formula, in input order', () => {
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    // sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → monotone 0.06
    expect(adj[3]).toBeCloseTo(0.02, 12);
    expect(adj[0]).toBeCloseTo(0.03, 12);
    expect(adj[2]).toBeCloseTo(0.06, 12);
    expect(adj[1]).toBeCloseTo(0.06, 12);
    expect(holm([])).toEqual([]);
    expect(holm([0.9, 0.8])).toEqual([1, 1]);
    expect(() => holm([1.2])).toThrow(RangeError);
  });

  test('decideAll: a difference significant alone can be inconclusive in a family of several', () => {
    const e = {
      estimate: 0.05,
      low: 0.001,
      high: 0.099,
      level: 0.95,
      p: 0.04,
      se: 0.025,
      df: Infinity,
      n: 3,
      method: 'bootstrap' as const,
    };
    const alone = decide(e, { margin: 0.01, higherIsBetter: true });
    expect(alone.decision).toBe('a');
    const family = decideAll([e, e, e].map((evidence) => ({ evidence, options: { margin: 0.01, higherIsBetter: true } })));
    expect(family.map((f) => f.decision)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(family[0].p).toBeCloseTo(0.12, 12);
  });
});

describe('cost ratios', () => {
  test('geometric-mean ratio with an interval; a winner only outside 1 ± 5%', () => {
    const a = [1.0, 1.02, 0.98, 1.01, 0.99, 1.0];
    const slower = a.map((x, i) => x * (1.3 + (i % 2 ? 0.01 : -0.01)));
    const r = ratioInterval(a, slower);
    expect(r.ratio).toBeCloseTo(1 / 1.3, 2);
    expect(costWinner(r)).toBe('a');
    expect(costWinner(ratioInterval(slower, a))).toBe('b');
    const same = ratioInterval(
      a,
      a.map((x, i) => x * (1 + (i % 2 ? 0.03 : -0.03))),
    );
    expect(costWinner(same)).toBeNull();
    // Tight but inside the tolerance: a 3% edge is a tie.
    expect(
      costWinner(
        ratioInterval(
          a,
          a.map((x) => x * 1.03),
        ),
      ),
    ).toBeNull();
    expect(() => ratioInterval([0], [1])).toThrow('ratioInterval: expected a[0] to be a positive number, but received 0');
  });
});
