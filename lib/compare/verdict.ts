/**
 * Verdict statistics: is A better than B, equivalent to it, or not yet known? Pure functions, no
 * I/O; every random choice comes from a seeded generator, so the same inputs give the same answer.
 *
 * Differences (A − B, in the metric's own units):
 * - `pairedDifference(a, b)`: per-seed values paired by index (seed k of A with seed k of B);
 *   mean difference, t interval and two-sided p-value with n − 1 degrees of freedom.
 * - `welchDifference(a, b)`: the same for unpaired samples (Welch–Satterthwaite df).
 * - `bootstrapDifference(a, b)`: per-item scores of every seed of each side (a[seed] = the scores
 *   of one model on the same test items, in the same order). A hierarchical bootstrap resamples
 *   the test items (the same draw for both sides, so items are paired) and the seeds (paired by
 *   index when both sides have as many, independently otherwise), then recomputes the statistic.
 *   Statistics are ratios of sums, optionally square-rooted (`ItemScores`): accuracy is
 *   Σcorrect / n, MSE Σ(sq. error) / n, RMSE its root, phoneme error rate Σedits / Σlength.
 *   The interval is the percentile interval; the p-value is twice the smaller tail share of 0.
 * Every function returns an `Evidence`: estimate, interval, p-value and a standard error with its
 * degrees of freedom (Infinity for the bootstrap, which is then read as normal).
 *
 * Decisions:
 * - `decide(evidence, { margin, higherIsBetter })` → 'a' | 'b' | 'equivalent' | 'inconclusive'.
 *   'equivalent' when two one-sided tests put the difference inside ±margin (p_TOST < alpha);
 *   else 'a' or 'b' when the difference test rejects 0 (p < alpha); else 'inconclusive', with
 *   `unitsNeeded`: the number of seeds (or items, whichever `evidence.n` counts) at which a true
 *   difference of one margin would be detected with the given power, by the closed-form normal
 *   calculation n = n₀ · (se₀ · (z₁₋α/₂ + z_power) / margin)².
 * - `holm(pValues)`: Holm's step-down adjusted p-values (family-wise error at alpha).
 * - `decideAll(items)`: Holm over a set of decisions (one per task of a run); the difference
 *   p-values and the equivalence p-values are adjusted as two families, then each item decided.
 *
 * Costs (ratios, lower is cheaper):
 * - `ratioInterval(a, b, { paired })`: geometric-mean ratio A / B with a t interval on the logs.
 * - `costWinner(interval, tolerance)` → 'a' | 'b' | null: a side is named only when the whole
 *   interval lies outside 1 ± tolerance (default 5%).
 */
import { Rng } from '../train/rng';
import { studentTCdf, studentTQuantile, summarize } from './stats';

export type Side = 'a' | 'b';
export type Decision = Side | 'equivalent' | 'inconclusive';

export interface Evidence {
  /** A − B. */
  estimate: number;
  low: number;
  high: number;
  level: number;
  /** Two-sided p-value of "A − B = 0". */
  p: number;
  /** Standard error of the estimate (NaN when it cannot be estimated). */
  se: number;
  /** Degrees of freedom of se; Infinity means normal. */
  df: number;
  /** How many independent units the evidence rests on: seeds (per side), or items. */
  n: number;
  method: 'paired-t' | 'welch-t' | 'bootstrap';
}

/** Standard normal CDF, through erfc's Chebyshev fit (Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  if (!Number.isFinite(x)) return x > 0 ? 1 : x < 0 ? 0 : NaN;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r / 2 : r / 2;
}

/** The p-quantile of the standard normal (Acklam's rational approximation, ~1e-9 relative). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: expected p in (0, 1), but received ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** P(T ≤ t) for the evidence's reference distribution (t with df, or normal). */
function cdf(t: number, df: number): number {
  return Number.isFinite(df) ? studentTCdf(t, df) : normalCdf(t);
}

function quantileOf(p: number, df: number): number {
  return Number.isFinite(df) ? studentTQuantile(p, df) : normalQuantile(p);
}

function checkLevel(where: string, level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`${where}: expected level to be in (0, 1), but received ${level}`);
}

function checkValues(where: string, name: string, v: readonly number[]): void {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v))
    throw new TypeError(`${where}: expected ${name} to be an array of numbers, but received ${typeof v}`);
  for (let i = 0; i < v.length; i++)
    if (!Number.isFinite(v[i])) throw new RangeError(`${where}: expected ${name}[${i}] to be a finite number, but received ${v[i]}`);
}

/** An interval from an estimate and its standard error; zero spread gives a point and p 0 or 1. */
function fromSe(estimate: number, se: number, df: number, n: number, level: number, method: Evidence['method']): Evidence {
  if (!(se > 0)) {
    if (se === 0) return { estimate, low: estimate, high: estimate, level, p: estimate === 0 ? 1 : 0, se: 0, df, n, method };
    return { estimate, low: NaN, high: NaN, level, p: 1, se: NaN, df, n, method };
  }
  const q = quantileOf(1 - (1 - level) / 2, df);
  const t = Math.abs(estimate / se);
  return { estimate, low: estimate - q * se, high: estimate + q * se, level, p: Math.min(1, 2 * (1 - cdf(t, df))), se, df, n, method };
}

/** Mean of a[k] − b[k] over paired seeds, with a t interval (df = n − 1). */
export function pairedDifference(a: readonly number[], b: readonly number[], options: { level?: number } = {}): Evidence {
  const level = options.level ?? 0.95;
  checkLevel('pairedDifference', level);
  checkValues('pairedDifference', 'a', a);
  checkValues('pairedDifference', 'b', b);
  if (a.length !== b.length)
    throw new RangeError(`pairedDifference: expected a and b of the same length (paired seeds), but received ${a.length} and ${b.length}`);
  const d = summarize(Array.from(a, (x, i) => x - b[i]));
  if (d.n < 2) return { estimate: d.mean, low: NaN, high: NaN, level, p: 1, se: NaN, df: NaN, n: d.n, method: 'paired-t' };
  return fromSe(d.mean, d.std / Math.sqrt(d.n), d.n - 1, d.n, level, 'paired-t');
}

/** mean(a) − mean(b) for independent samples, Welch's t interval. */
export function welchDifference(a: readonly number[], b: readonly number[], options: { level?: number } = {}): Evidence {
  const level = options.level ?? 0.95;
  checkLevel('welchDifference', level);
  checkValues('welchDifference', 'a', a);
  checkValues('welchDifference', 'b', b);
  const sa = summarize([...a]);
  const sb = summarize([...b]);
  const estimate = sa.mean - sb.mean;
  const n = Math.min(sa.n, sb.n);
  if (sa.n < 2 || sb.n < 2) return { estimate, low: NaN, high: NaN, level, p: 1, se: NaN, df: NaN, n, method: 'welch-t' };
  const va = (sa.std * sa.std) / sa.n;
  const vb = (sb.std * sb.std) / sb.n;
  const se = Math.sqrt(va + vb);
  const df = se === 0 ? Infinity : (va + vb) ** 2 / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  return fromSe(estimate, se, df, n, level, 'welch-t');
}

/** Per-item scores of one model on the test items; the statistic is transform(Σnum / Σden). */
export interface ItemScores {
  num: ArrayLike<number>;
  /** Per-item denominators (e.g. reference lengths); absent means 1 per item. */
  den?: ArrayLike<number>;
}

export type ItemTransform = 'identity' | 'sqrt';

/** transform(Σnum / Σden) over all items. */
export function itemStatistic(scores: ItemScores, transform: ItemTransform = 'identity'): number {
  let s = 0;
  let d = 0;
  for (let i = 0; i < scores.num.length; i++) {
    s += scores.num[i];
    d += scores.den ? scores.den[i] : 1;
  }
  const r = s / d;
  return transform === 'sqrt' ? Math.sqrt(r) : r;
}

export interface BootstrapOptions {
  level?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling generator (default 1). */
  seed?: number;
  transform?: ItemTransform;
}

function checkItems(where: string, name: string, sides: readonly ItemScores[], items: number): void {
  if (!Array.isArray(sides) || sides.length === 0)
    throw new RangeError(
      `${where}: expected ${name} to hold the item scores of at least one seed, but received ${Array.isArray(sides) ? 0 : typeof sides}`,
    );
  sides.forEach((s, k) => {
    if (!s || s.num === undefined || s.num.length !== items)
      throw new RangeError(
        `${where}: expected ${name}[${k}].num to have ${items} items (as ${name === 'a' ? 'a[0]' : 'a'}), but received ${s?.num?.length}`,
      );
    if (s.den !== undefined && s.den.length !== items)
      throw new RangeError(`${where}: expected ${name}[${k}].den to have ${items} items, but received ${s.den.length}`);
  });
}

/**
 * Hierarchical bootstrap of statistic(A) − statistic(B), where a side's statistic is the mean over
 * its seeds of transform(Σnum / Σden) over the test items. See the file comment.
 */
export function bootstrapDifference(a: readonly ItemScores[], b: readonly ItemScores[], options: BootstrapOptions = {}): Evidence {
  const { level = 0.95, resamples = 2000, seed = 1, transform = 'identity' } = options;
  checkLevel('bootstrapDifference', level);
  if (!Number.isSafeInteger(resamples) || resamples < 10)
    throw new RangeError(`bootstrapDifference: expected resamples to be an integer ≥ 10, but received ${resamples}`);
  const items = a?.[0]?.num?.length ?? 0;
  checkItems('bootstrapDifference', 'a', a, items);
  checkItems('bootstrapDifference', 'b', b, items);
  if (items === 0) throw new RangeError('bootstrapDifference: expected at least one test item, but received 0');
  const side = (s: readonly ItemScores[]) => s.reduce((acc, x) => acc + itemStatistic(x, transform), 0) / s.length;
  const estimate = side(a) - side(b);
  const rng = new Rng(seed);
  const pairedSeeds = a.length === b.length;
  // Dense copies: the inner loop then reads typed arrays only.
  const dense = (side: readonly ItemScores[]) =>
    side.map((sc) => ({ num: Float64Array.from(sc.num), den: sc.den ? Float64Array.from(sc.den) : null }));
  const da = dense(a);
  const db = dense(b);
  const counts = new Int32Array(items);
  const draws = new Float64Array(resamples);
  // One side's statistic under item weights `counts` and a seed draw.
  const stat = (s: { num: Float64Array; den: Float64Array | null }[], seeds: Int32Array) => {
    let total = 0;
    for (let k = 0; k < seeds.length; k++) {
      const { num: sn, den: sd } = s[seeds[k]];
      let num = 0;
      let den = 0;
      if (sd === null) {
        for (let i = 0; i < items; i++) num += counts[i] * sn[i];
        den = items;
      } else {
        for (let i = 0; i < items; i++) {
          num += counts[i] * sn[i];
          den += counts[i] * sd[i];
        }
      }
      const r = num / den;
      total += transform === 'sqrt' ? Math.sqrt(r) : r;
    }
    return total / seeds.length;
  };
  const seedsA = new Int32Array(a.length);
  const seedsB = new Int32Array(b.length);
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let i = 0; i < items; i++) counts[Math.floor(rng.next() * items)] += 1;
    for (let k = 0; k < a.length; k++) seedsA[k] = a.length === 1 ? 0 : Math.floor(rng.next() * a.length);
    if (pairedSeeds) seedsB.set(seedsA);
    else for (let k = 0; k < b.length; k++) seedsB[k] = b.length === 1 ? 0 : Math.floor(rng.next() * b.length);
    draws[r] = stat(da, seedsA) - stat(db, seedsB);
  }
  draws.sort();
  const at = (q: number) => {
    const pos = q * (resamples - 1);
    const i = Math.floor(pos);
    return i + 1 < resamples ? draws[i] + (pos - i) * (draws[i + 1] - draws[i]) : draws[i];
  };
  let below = 0;
  let above = 0;
  let mean = 0;
  for (let r = 0; r < resamples; r++) {
    if (draws[r] <= 0) below++;
    if (draws[r] >= 0) above++;
    mean += draws[r];
  }
  mean /= resamples;
  let v = 0;
  for (let r = 0; r < resamples; r++) v += (draws[r] - mean) ** 2;
  const se = Math.sqrt(v / (resamples - 1));
  const p = Math.min(1, Math.max(1 / (resamples + 1), (2 * Math.min(below, above)) / resamples));
  const tail = (1 - level) / 2;
  return {
    estimate,
    low: at(tail),
    high: at(1 - tail),
    level,
    p: se === 0 ? (estimate === 0 ? 1 : 0) : p,
    se,
    df: Infinity,
    n: Math.min(a.length, b.length),
    method: 'bootstrap',
  };
}

/** Holm's step-down adjustment: adjusted p-values in the input order, each in [0, 1]. */
export function holm(pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: expected pValues[${i}] to be a probability in [0, 1], but received ${p}`);
  });
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p || x.i - y.i);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

export interface DecideOptions {
  /** The practical margin, > 0, in the metric's units: differences within ±margin do not matter. */
  margin: number;
  higherIsBetter: boolean;
  /** Error rate of each test (default 0.05). */
  alpha?: number;
  /** Power used for unitsNeeded (default 0.8). */
  power?: number;
}

export interface DecisionResult {
  decision: Decision;
  /** The p-value the difference test used (Holm-adjusted under decideAll). */
  p: number;
  /** max of the two one-sided p-values of |A − B| < margin (Holm-adjusted under decideAll). */
  pEquivalence: number;
  margin: number;
  /** When inconclusive: seeds (or items, as evidence.n counts) that would resolve the margin. */
  unitsNeeded: number | null;
}

/** The two one-sided tests of −margin < A − B < margin; the larger of their p-values. */
export function equivalenceP(e: Evidence, margin: number): number {
  if (!(margin > 0)) throw new RangeError(`equivalenceP: expected margin to be a positive number, but received ${margin}`);
  if (e.se === 0) return Math.abs(e.estimate) < margin ? 0 : 1;
  if (!(e.se > 0)) return 1;
  const pLower = 1 - cdf((e.estimate + margin) / e.se, e.df);
  const pUpper = cdf((e.estimate - margin) / e.se, e.df);
  return Math.max(pLower, pUpper);
}

/**
 * Units (seeds or items, as e.n counts) at which a true difference of one margin is detected with
 * `power` by a two-sided test at `alpha`, by the normal approximation: the standard error shrinks
 * as 1/√n, so n = n₀ · (se₀ · (z₁₋α/₂ + z_power) / margin)², at least n₀ + 1.
 */
export function unitsNeeded(e: Evidence, margin: number, alpha = 0.05, power = 0.8): number | null {
  if (!(e.se > 0) || !(e.n >= 1)) return null;
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  const n = e.n * ((e.se * z) / margin) ** 2;
  return Math.max(e.n + 1, Math.ceil(n - 1e-9));
}

function checkDecide(where: string, o: DecideOptions): void {
  if (!o || typeof o !== 'object')
    throw new TypeError(`${where}: expected options to be an object { margin, higherIsBetter }, but received ${o}`);
  if (!(typeof o.margin === 'number' && o.margin > 0 && Number.isFinite(o.margin)))
    throw new RangeError(`${where}: expected options.margin to be a positive number, but received ${o.margin}`);
  if (typeof o.higherIsBetter !== 'boolean')
    throw new TypeError(`${where}: expected options.higherIsBetter to be a boolean, but received ${typeof o.higherIsBetter}`);
  const alpha = o.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`${where}: expected options.alpha to be in (0, 0.5), but received ${alpha}`);
}

function decideWith(e: Evidence, p: number, pEq: number, o: DecideOptions): DecisionResult {
  const alpha = o.alpha ?? 0.05;
  let decision: Decision = 'inconclusive';
  if (pEq < alpha) decision = 'equivalent';
  else if (p < alpha && e.estimate !== 0) decision = e.estimate > 0 === o.higherIsBetter ? 'a' : 'b';
  return {
    decision,
    p,
    pEquivalence: pEq,
    margin: o.margin,
    unitsNeeded: decision === 'inconclusive' ? unitsNeeded(e, o.margin, alpha, o.power ?? 0.8) : null,
  };
}

/**
 * 'equivalent' when the two one-sided tests place A − B inside ±margin; otherwise 'a' or 'b' when
 * the difference test rejects 0 (the better side by `higherIsBetter`); otherwise 'inconclusive'.
 * Equivalence is checked first: a difference shown to be smaller than the margin does not matter
 * in practice even when it is shown to be non-zero.
 */
export function decide(e: Evidence, options: DecideOptions): DecisionResult {
  checkDecide('decide', options);
  return decideWith(e, e.p, equivalenceP(e, options.margin), options);
}

/** Decides a family of comparisons (e.g. the tasks of one run) with Holm-adjusted p-values. */
export function decideAll(items: readonly { evidence: Evidence; options: DecideOptions }[]): DecisionResult[] {
  items.forEach((it, i) => checkDecide(`decideAll: items[${i}]`, it.options));
  const p = holm(items.map((it) => it.evidence.p));
  const pEq = holm(items.map((it) => equivalenceP(it.evidence, it.options.margin)));
  return items.map((it, i) => decideWith(it.evidence, p[i], pEq[i], it.options));
}

export interface RatioInterval {
  /** Geometric-mean ratio A / B. */
  ratio: number;
  low: number;
  high: number;
  level: number;
  n: number;
}

/**
 * A / B as a geometric mean with a t interval on log(A) − log(B): paired by index (the same
 * round of an interleaved timing) or, unpaired, by Welch. Values must be positive.
 */
export function ratioInterval(
  a: readonly number[],
  b: readonly number[],
  options: { paired?: boolean; level?: number } = {},
): RatioInterval {
  const { paired = true, level = 0.95 } = options;
  const logs = (v: readonly number[], name: string) =>
    v.map((x, i) => {
      if (!(x > 0 && Number.isFinite(x)))
        throw new RangeError(`ratioInterval: expected ${name}[${i}] to be a positive number, but received ${x}`);
      return Math.log(x);
    });
  const e = paired ? pairedDifference(logs(a, 'a'), logs(b, 'b'), { level }) : welchDifference(logs(a, 'a'), logs(b, 'b'), { level });
  return { ratio: Math.exp(e.estimate), low: Math.exp(e.low), high: Math.exp(e.high), level, n: e.n };
}

/** The cheaper side when the whole interval of A / B lies outside 1 ± tolerance, else null. */
export function costWinner(r: RatioInterval, tolerance = 0.05): Side | null {
  if (!(tolerance >= 0 && tolerance < 1)) throw new RangeError(`costWinner: expected tolerance in [0, 1), but received ${tolerance}`);
  if (r.high < 1 - tolerance) return 'a';
  if (r.low > 1 + tolerance) return 'b';
  return null;
}
