// Order statistics shared by the comparison's statistics, the ONNX cross-check's timings and the
// benchmarks (bench/ reads them from dist/util/quantile.js).
import { rangeError } from '../errors';

/** The q-quantile (0..1) of values by linear interpolation between order statistics; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw rangeError('quantile', 'q', 'a number from 0 to 1', String(q));
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  const pos = q * (s.length - 1);
  const i = Math.floor(pos);
  return i + 1 < s.length ? s[i] + (pos - i) * (s[i + 1] - s[i]) : s[i];
}

/** The median: the mean of the two middle values when their count is even; NaN when empty. */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
