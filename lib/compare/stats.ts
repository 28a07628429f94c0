// Summary statistics over seeds and the confidence interval of the GRU - LSTM difference.
export { quantile } from '../util/quantile';

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); NaN for a single value. */
  std: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  // Equal values summed in another order differ in the last bits; that is not spread.
  if (std <= 1e-12 * Math.abs(mean)) std = 0;
  return { n, mean, std };
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, 9 terms): about 15 digits for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Student t cumulative distribution with df degrees of freedom (df may be fractional). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (0 < p < 1), by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: expected p in (0, 1), but received ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: expected df > 0, but received ${df}`);
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface DifferenceInterval {
  /** mean(a) - mean(b). */
  difference: number;
  /** Bounds of the confidence interval; NaN when either side has fewer than 2 values. */
  low: number;
  high: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  level: number;
  /** True when the interval excludes 0. */
  significant: boolean;
}

/**
 * Welch's interval for mean(a) - mean(b), unequal variances, with the t quantile at the
 * Welch-Satterthwaite df (with 3 seeds per side df is 2..4, where 1.96 would be far too narrow).
 * Two sides with zero spread and different means are significant with a zero-width interval.
 */
export function welchInterval(a: readonly number[], b: readonly number[], level = 0.95): DifferenceInterval {
  const sa = summarize(a);
  const sb = summarize(b);
  const difference = sa.mean - sb.mean;
  if (sa.n < 2 || sb.n < 2) return { difference, low: NaN, high: NaN, df: NaN, level, significant: false };
  const va = (sa.std * sa.std) / sa.n;
  const vb = (sb.std * sb.std) / sb.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { difference, low: difference, high: difference, df: Infinity, level, significant: difference !== 0 };
  const df = (va + vb) ** 2 / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  const q = studentTQuantile(1 - (1 - level) / 2, df);
  const low = difference - q * se;
  const high = difference + q * se;
  return { difference, low, high, df, level, significant: low > 0 || high < 0 };
}

/** Mean and 95% t interval of values (the interval NaN for fewer than two). */
export function meanInterval(values: readonly number[]): { y: number; low: number; high: number } {
  const s = summarize(values);
  if (s.n < 2) return { y: s.mean, low: NaN, high: NaN };
  const h = studentTQuantile(0.975, s.n - 1) * (s.std / Math.sqrt(s.n));
  return { y: s.mean, low: s.mean - h, high: s.mean + h };
}

/** An interval clamped to [0, 1], for shares. */
export const clampToUnit = (b: { y: number; low: number; high: number }) => ({
  y: b.y,
  low: Math.max(0, b.low),
  high: Math.min(1, b.high),
});
