// Windows of past days -> the next day's value, with a chronological split and normalization
// fit on the training split only. Features of day t are computed by the dataset from data up to
// day t; here a sample whose last day is t is labelled with the target series at t + 1.
import { Tensor } from '../tensor';
import { positiveInt } from '../validate';
import { chronologicalSplit, type SplitFractions, DEFAULT_FRACTIONS } from './random';

export interface DailyFrame {
  /** Date (or row label) of each day. */
  dates: string[];
  featureNames: string[];
  /** features[t][f]: feature f of day t, computed from days <= t only. */
  features: number[][];
  /** The quantity to forecast, day by day; sample t is labelled with target[t + 1]. */
  target: number[];
  targetName: string;
}

export interface Scale {
  mean: number;
  std: number;
}

export interface ForecastSplit {
  /** Standardized windows, float32 [N, window, F]. */
  x: Tensor<'float32'>;
  /** Standardized next-day target, float32 [N]. */
  y: Tensor<'float32'>;
  /** The next-day target in its own units. */
  yRaw: Float64Array;
  /** The target series on the window's last day (what persistence predicts), own units. */
  current: Float64Array;
  /** Date of the day being forecast (t + 1). */
  targetDates: string[];
}

export interface ForecastData {
  kind: 'forecasting';
  name: string;
  featureNames: string[];
  targetName: string;
  window: number;
  featureScales: Scale[];
  targetScale: Scale;
  train: ForecastSplit;
  validation: ForecastSplit;
  test: ForecastSplit;
  notes: string[];
}

/** Mean and population standard deviation; a constant column gets std 1 so it maps to 0. */
export function fitScale(values: ArrayLike<number>): Scale {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= Math.max(1, values.length);
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  const std = Math.sqrt(v / Math.max(1, values.length));
  return { mean, std: std > 1e-12 ? std : 1 };
}

export interface WindowOptions {
  window: number;
  fractions?: SplitFractions;
}

/**
 * Builds samples t = window-1 .. D-2 and splits them in time order. Feature and target scales
 * are fit on the days the training samples can see (up to the last training sample's last day)
 * and on the training targets, so nothing from the validation or test period shapes them.
 */
export function windowFrame(name: string, frame: DailyFrame, options: WindowOptions): ForecastData {
  const { window, fractions = DEFAULT_FRACTIONS } = options;
  const days = frame.features.length;
  const F = frame.featureNames.length;
  positiveInt(name, 'window', window);
  const nSamples = days - window;
  if (nSamples < 3) throw new RangeError(`${name}: expected more than ${window + 2} days for a window of ${window}, but received ${days}`);
  const lastDay = (s: number) => s + window - 1;
  const split = chronologicalSplit(nSamples, fractions);
  if (split.train.length === 0) throw new RangeError(`${name}: expected at least one training sample, but the split left none`);
  const trainDays = lastDay(split.train[split.train.length - 1]) + 1;
  const featureScales: Scale[] = [];
  for (let f = 0; f < F; f++) featureScales.push(fitScale(frame.features.slice(0, trainDays).map((row) => row[f])));
  const targetScale = fitScale(split.train.map((s) => frame.target[lastDay(s) + 1]));
  const pack = (samples: number[]): ForecastSplit => {
    const x = new Float32Array(samples.length * window * F);
    const y = new Float32Array(samples.length);
    const yRaw = new Float64Array(samples.length);
    const current = new Float64Array(samples.length);
    const targetDates: string[] = [];
    samples.forEach((s, n) => {
      for (let w = 0; w < window; w++) {
        const row = frame.features[s + w];
        for (let f = 0; f < F; f++) x[(n * window + w) * F + f] = (row[f] - featureScales[f].mean) / featureScales[f].std;
      }
      const t = lastDay(s);
      yRaw[n] = frame.target[t + 1];
      y[n] = (yRaw[n] - targetScale.mean) / targetScale.std;
      current[n] = frame.target[t];
      targetDates.push(frame.dates[t + 1]);
    });
    return {
      x: new Tensor('float32', x, [samples.length, window, F]),
      y: new Tensor('float32', y, [samples.length]),
      yRaw,
      current,
      targetDates,
    };
  };
  return {
    kind: 'forecasting',
    name,
    featureNames: frame.featureNames,
    targetName: frame.targetName,
    window,
    featureScales,
    targetScale,
    train: pack(split.train),
    validation: pack(split.validation),
    test: pack(split.test),
    notes: [
      `${nSamples} windows of ${window} days, split in time order (train ${frame.dates[window - 1]} .. ${frame.dates[trainDays - 1]}); scales fit on the training period only`,
    ],
  };
}

/** Standardized predictions back in the target's own units. */
export function unscale(values: ArrayLike<number>, scale: Scale): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * scale.std + scale.mean;
  return out;
}
