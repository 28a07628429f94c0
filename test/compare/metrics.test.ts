// Metrics, statistics, parameter matching and baselines against hand-computed values.
import {
  accuracy,
  bleu,
  BLEU_EPSILON,
  directionalAccuracy,
  editDistance,
  f1Score,
  mae,
  mse,
  phonemeErrorRate,
  precisionRecallF1,
  rmse,
  wordErrorRate,
} from '../../lib/tasks/metrics';
import { matchUnits, recurrentParamCount } from '../../lib/compare/params';
import { quantile, studentTCdf, studentTQuantile, summarize, welchInterval } from '../../lib/compare/stats';
import { BUILTIN_TASKS, DEFAULT_TASKS, loadTask, TASKS } from '../../lib/tasks';
import { climatologyForecast, LetterPhonemeBaseline, majorityClass, persistenceForecast } from '../../lib/tasks/baselines';
import type { ForecastSplit } from '../../lib/data/timeseries';
import { Tensor } from '../../lib/tensor';

describe('classification metrics', () => {
  test('accuracy counts exact matches', () => {
    expect(accuracy([1, 0, 1, 1], [1, 1, 1, 0])).toBe(0.5);
  });
  test('precision, recall and F1 of class 1: tp 2, fp 1, fn 1', () => {
    const r = precisionRecallF1([1, 0, 1, 1, 0], [1, 1, 0, 1, 0]);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBeCloseTo(2 / 3, 12);
    expect(r.f1).toBeCloseTo(2 / 3, 12);
  });
  test('F1 is 0, not NaN, when no positive is predicted', () => {
    expect(f1Score([0, 0, 0], [1, 0, 0])).toBe(0);
  });
  test('macro F1 for three classes is the mean of per-class F1 (1, 2/3, 2/3)', () => {
    expect(f1Score([0, 1, 2, 2], [0, 1, 1, 2], 3)).toBeCloseTo(7 / 9, 12);
  });
  test('length mismatch and empty input are errors that say so', () => {
    expect(() => accuracy([1], [1, 0])).toThrow('accuracy: expected predictions and references of the same length, but received 1 and 2');
    expect(() => mse([], [])).toThrow('mse: expected at least one prediction, but received 0');
  });
});

describe('regression metrics', () => {
  test('MSE, RMSE, MAE of errors 0, 1, 2', () => {
    expect(mse([1, 2, 3], [1, 1, 1])).toBeCloseTo(5 / 3, 12);
    expect(rmse([1, 2, 3], [1, 1, 1])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(mae([1, 2, 3], [1, 1, 1])).toBeCloseTo(1, 12);
  });
  test('directional accuracy: "up" is > 0 on both sides, so a zero forecast says "not up"', () => {
    expect(directionalAccuracy([0.5, -1, 0, 2], [1, -2, 3, -1])).toBe(0.5);
  });
});

describe('sequence metrics', () => {
  test('edit distance', () => {
    expect(editDistance([...'kitten'], [...'sitting'])).toBe(3);
    expect(editDistance([], ['a', 'b'])).toBe(2);
    expect(editDistance(['a'], ['a'])).toBe(0);
  });
  test('phoneme error rate is total edits over total reference length; WER counts wrong words', () => {
    const hyp = [
      ['K', 'AE', 'T'],
      ['D', 'AO'],
    ];
    const ref = [
      ['K', 'AE', 'T'],
      ['D', 'AO', 'G'],
    ];
    expect(phonemeErrorRate(hyp, ref)).toBeCloseTo(1 / 6, 12);
    expect(wordErrorRate(hyp, ref)).toBe(0.5);
  });
  test('BLEU-4: identical sentences score 1', () => {
    expect(bleu([['a', 'b', 'c', 'd', 'e']], [['a', 'b', 'c', 'd', 'e']])).toBeCloseTo(1, 12);
  });
  test('BLEU-4: precisions 4/5, 3/4, 2/3, 1/2 and no brevity penalty', () => {
    expect(bleu([['a', 'b', 'c', 'd', 'e']], [['a', 'b', 'c', 'd', 'f']])).toBeCloseTo((0.8 * 0.75 * (2 / 3) * 0.5) ** 0.25, 12);
  });
  test('BLEU-4: brevity penalty exp(1 - r/c) for a 4-token hypothesis of a 6-token reference', () => {
    expect(bleu([['a', 'b', 'c', 'd']], [['a', 'b', 'c', 'd', 'e', 'f']])).toBeCloseTo(Math.exp(1 - 6 / 4), 12);
  });
  test('BLEU-4: a zero 4-gram count is smoothed with epsilon matches, and counts are clipped', () => {
    expect(bleu([['a', 'b', 'c', 'd']], [['a', 'b', 'c', 'e']])).toBeCloseTo((0.75 * (2 / 3) * 0.5 * BLEU_EPSILON) ** 0.25, 12);
    expect(bleu([['a', 'a', 'a', 'a']], [['a', 'b', 'c', 'd']])).toBeCloseTo(
      (0.25 * (BLEU_EPSILON / 3) * (BLEU_EPSILON / 2) * BLEU_EPSILON) ** 0.25,
      12,
    );
  });
  test('BLEU is summed over the corpus before the ratios (not a mean of sentence scores)', () => {
    const h = [
      ['a', 'b', 'c', 'd'],
      ['w', 'x', 'y', 'z'],
    ];
    const r = [
      ['a', 'b', 'c', 'd'],
      ['w', 'x', 'y', 'q'],
    ];
    expect(bleu(h, r)).toBeCloseTo(((7 / 8) * (5 / 6) * (3 / 4) * (1 / 2)) ** 0.25, 12);
  });
  test('BLEU is 0 when no hypothesis has a 4-gram', () => {
    expect(bleu([['a', 'b']], [['a', 'b']])).toBe(0);
    expect(bleu([[]], [['a']])).toBe(0);
  });
});

describe('statistics', () => {
  test('mean and sample standard deviation', () => {
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(summarize([3]).std).toBeNaN();
  });
  test.each([
    [1, 12.706204736],
    [2, 4.30265273],
    [4, 2.776445105],
    [10, 2.228138852],
    [30, 2.042272456],
    [1e6, 1.959966],
  ])('t quantile 0.975 with df %p is %p', (df, q) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(q, 5);
    expect(studentTQuantile(0.025, df)).toBeCloseTo(-q, 5);
  });
  test('t CDF at 0 is 1/2 and matches the Cauchy distribution at df 1', () => {
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 14);
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
  });
  test('Welch interval of [1,2,3] - [4,5,6]: df 4, half-width t(0.975,4)·sqrt(2/3)', () => {
    const ci = welchInterval([1, 2, 3], [4, 5, 6]);
    expect(ci.difference).toBe(-3);
    expect(ci.df).toBeCloseTo(4, 12);
    const half = 2.776445105 * Math.sqrt(2 / 3);
    expect(ci.low).toBeCloseTo(-3 - half, 6);
    expect(ci.high).toBeCloseTo(-3 + half, 6);
    expect(ci.significant).toBe(true);
  });
  test('overlapping seeds are not significant; one seed gives no interval', () => {
    expect(welchInterval([0.9, 0.95, 0.92], [0.91, 0.94, 0.93]).significant).toBe(false);
    const one = welchInterval([0.9], [0.8]);
    expect(one.low).toBeNaN();
    expect(one.significant).toBe(false);
  });
  test('quantile interpolates between order statistics', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.99)).toBeCloseTo(4.96, 12);
  });
});

describe('parameter counts and --match params', () => {
  test('ONNX layout: W, R and two bias vectors per gate, plus a dense head', () => {
    expect(recurrentParamCount('gru', 2, { inputSize: 3, layers: 1 })).toBe(42);
    expect(recurrentParamCount('lstm', 2, { inputSize: 3, layers: 1 })).toBe(56);
    expect(recurrentParamCount('gru', 2, { inputSize: 3, layers: 2 })).toBe(42 + 36);
    expect(recurrentParamCount('gru', 2, { inputSize: 3, layers: 1, headOutputs: 5 })).toBe(42 + 15);
  });
  test('an LSTM of 64 units on 32 inputs (25,088 weights) is matched by a GRU of 76 (25,080)', () => {
    const m = matchUnits(64, { inputSize: 32, layers: 1 });
    expect(m).toEqual({ gru: 76, lstm: 64, params: { gru: 25080, lstm: 25088 } });
  });
  test('anchoring the GRU sizes the LSTM down instead', () => {
    const m = matchUnits(76, { inputSize: 32, layers: 1 }, 'gru');
    expect(m.gru).toBe(76);
    expect(m.lstm).toBe(64);
  });
  test('bad units are refused with the value', () => {
    expect(() => matchUnits(0, { inputSize: 3, layers: 1 })).toThrow('matchUnits: expected units to be a positive integer, but received 0');
  });
});

describe('baselines', () => {
  test('majority class, ties to the smaller id', () => {
    expect(majorityClass([0, 1, 1, 2, 1, 0])).toBe(1);
    expect(majorityClass([1, 0, 0, 1])).toBe(0);
  });
  const split = (dates: string[], yRaw: number[], current: number[]): ForecastSplit => ({
    x: new Tensor('float32', new Float32Array(0), [0, 1, 0]),
    y: new Tensor('float32', new Float32Array(yRaw.length)),
    yRaw: Float64Array.from(yRaw),
    current: Float64Array.from(current),
    targetDates: dates,
  });
  test('persistence predicts the current value', () => {
    expect(Array.from(persistenceForecast(split(['2020-01-02'], [5], [3])))).toEqual([3]);
  });
  test('climatology averages training days within ±7 days of the calendar day, across the new year', () => {
    const train = split(['2012-01-01', '2012-01-05', '2012-06-01', '2012-12-30'], [10, 20, 100, 30], [0, 0, 0, 0]);
    const test = split(['2013-01-03', '2013-06-05', '2013-09-01'], [0, 0, 0], [0, 0, 0]);
    const c = climatologyForecast(train, test);
    expect(c[0]).toBeCloseTo(20, 12); // Jan 1 (10), Jan 5 (20), Dec 30 (30)
    expect(c[1]).toBeCloseTo(100, 12);
    expect(c[2]).toBeCloseTo(40, 12); // no neighbour: the training mean
  });
  test('letter baseline: most frequent phoneme per letter by position, repeats merged', () => {
    const b = new LetterPhonemeBaseline([
      { word: 'ab', letters: ['a', 'b'], phonemes: ['AE', 'B'] },
      { word: 'ba', letters: ['b', 'a'], phonemes: ['B', 'AH'] },
      { word: 'aab', letters: ['a', 'a', 'b'], phonemes: ['AE', 'B'] },
    ]);
    // a: AE x2 (ab), AE (aab a0), AE (aab a1 -> floor(2/3)=0), AH x1 -> AE; b: B
    expect(b.predict(['a', 'b', 'b', 'z'])).toEqual(['AE', 'B']);
  });
});

describe('task registry', () => {
  test('every built-in task is one definition with an id, a summary and a loader; unknown ids are refused', () => {
    expect(BUILTIN_TASKS).toEqual(['names', 'spam', 'g2p', 'sp500', 'weather', 'genre', 'tagging', 'charlm']);
    expect(DEFAULT_TASKS).toEqual(['names', 'spam', 'g2p', 'sp500', 'weather']);
    for (const t of TASKS) expect(typeof t.summary).toBe('string');
    expect(() => loadTask('nope')).toThrow(
      'loadTask: expected id to be one of names, spam, g2p, sp500, weather, genre, tagging, charlm, but received "nope"',
    );
  });

  test('the primary metric of every built-in task declares its margin', () => {
    for (const id of BUILTIN_TASKS) {
      const t = loadTask(id);
      const primary = t.meta.metrics.find((m) => m.name === t.meta.primaryMetric);
      expect(primary?.margin?.value).toBeGreaterThan(0);
      expect(t.baselines.some((b) => b.items !== undefined)).toBe(true);
    }
  });
});
