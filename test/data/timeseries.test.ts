// Forecasting data: no look-ahead, normalization fit on the training split only, real files.
import { parseCsv, type CsvTable } from '../../lib/data/csv';
import { loadSp500, sp500Frame, SP500_FEATURES } from '../../lib/data/sp500';
import { fitScale, unscale, windowFrame, type DailyFrame } from '../../lib/data/timeseries';
import { forecastFromTable } from '../../lib/data/user';
import { dayOfYear, loadWeather, weatherFrame } from '../../lib/data/weather';
import { loadTask } from '../../lib/tasks';

function syntheticOhlcv(days: number): CsvTable {
  const rows: string[][] = [];
  let close = 100;
  for (let t = 0; t < days; t++) {
    const open = close * (1 + 0.01 * Math.sin(t));
    close = open * (1 + 0.02 * Math.cos(1.7 * t));
    const date = new Date(Date.UTC(2001, 0, 1 + t)).toISOString().slice(0, 10);
    rows.push([
      date,
      String(open),
      String(Math.max(open, close) * 1.01),
      String(Math.min(open, close) * 0.99),
      String(close),
      String(close),
      String(1e6 + 1e4 * t),
    ]);
  }
  return { columns: ['date', 'open', 'high', 'low', 'close', 'adjclose', 'volume'], rows };
}

/** Multiplies every numeric field of the rows after `t` (data the model must not see at t). */
function perturbAfter(table: CsvTable, t: number): CsvTable {
  return {
    columns: table.columns,
    rows: table.rows.map((r, i) =>
      i <= t ? r : r.map((v, k) => (k === 0 || !Number.isFinite(Number(v)) ? v : String(Number(v) * 1.5 + 3))),
    ),
  };
}

describe('no look-ahead', () => {
  test('S&P 500: perturbing days after t leaves every feature up to day t unchanged', () => {
    const table = syntheticOhlcv(60);
    const t = 30;
    const a = sp500Frame(table);
    const b = sp500Frame(perturbAfter(table, t));
    // frame row k is day k + 1 (day 0 has no previous close)
    expect(b.features.slice(0, t)).toEqual(a.features.slice(0, t));
    expect(b.features[t]).not.toEqual(a.features[t]);
  });
  test('weather: the same for the Seattle columns', () => {
    const rows = Array.from({ length: 40 }, (_, i) => [
      new Date(Date.UTC(2012, 0, 1 + i)).toISOString().slice(0, 10),
      String(i % 3),
      String(10 + i),
      String(i),
      String(2 + (i % 5)),
      'rain',
    ]);
    const table = { columns: ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather'], rows };
    const a = weatherFrame(table);
    const b = weatherFrame(perturbAfter(table, 20));
    expect(b.features.slice(0, 21)).toEqual(a.features.slice(0, 21));
    expect(b.features[21]).not.toEqual(a.features[21]);
  });
  test('windows: a sample whose last day is t (in the test period) is unchanged by data after t', () => {
    const table = syntheticOhlcv(200);
    const a = windowFrame('s', sp500Frame(table), { window: 5 });
    const lastTrainRow = 5 - 1 + a.train.yRaw.length - 1;
    const t = lastTrainRow + 40; // frame row; table row t + 1
    const b = windowFrame('s', sp500Frame(perturbAfter(table, t + 1)), { window: 5 });
    expect(b.featureScales).toEqual(a.featureScales);
    expect(b.targetScale).toEqual(a.targetScale);
    const W = 5;
    const F = SP500_FEATURES.length;
    // sample s covers frame rows s .. s + 4; the test split's samples follow train and validation
    const firstTest = a.train.yRaw.length + a.validation.yRaw.length;
    const sample = t - (W - 1) - firstTest;
    const slice = (x: Float32Array, n: number) => Array.from(x.slice(n * W * F, (n + 1) * W * F));
    expect(slice(b.test.x.data, sample)).toEqual(slice(a.test.x.data, sample));
    expect(slice(b.test.x.data, sample + 1)).not.toEqual(slice(a.test.x.data, sample + 1));
  });
});

describe('normalization', () => {
  const frame = (values: number[]): DailyFrame => ({
    dates: values.map((_, i) => String(i)),
    featureNames: ['v'],
    features: values.map((v) => [v]),
    target: values,
    targetName: 'v',
  });
  test('scales are fit on the training days only: changing validation and test data changes nothing in them', () => {
    const base = Array.from({ length: 23 }, (_, i) => i);
    const a = windowFrame('f', frame(base), { window: 3, fractions: { validation: 0.25, test: 0.25 } });
    // 20 samples: train 10 (last days 2..11, targets days 3..12), validation 5, test 5
    expect(a.train.yRaw.length).toBe(10);
    expect(a.featureScales[0]).toEqual(fitScale(base.slice(0, 12)));
    expect(a.targetScale).toEqual(fitScale(base.slice(3, 13)));
    const wild = base.map((v, i) => (i >= 13 ? v * 100 - 7 : v));
    const b = windowFrame('f', frame(wild), { window: 3, fractions: { validation: 0.25, test: 0.25 } });
    expect(b.featureScales).toEqual(a.featureScales);
    expect(b.targetScale).toEqual(a.targetScale);
    expect(b.train.x.data).toEqual(a.train.x.data);
  });
  test('x and y are standardized with those scales; unscale inverts y', () => {
    const d = windowFrame('f', frame([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { window: 2, fractions: { validation: 0.25, test: 0.25 } });
    const s = d.featureScales[0];
    expect(d.train.x.data[0]).toBeCloseTo((1 - s.mean) / s.std, 6);
    expect(Array.from(unscale(d.test.y.data, d.targetScale)).map((v) => Math.round(v * 1e4) / 1e4)).toEqual(Array.from(d.test.yRaw));
    expect(Array.from(d.test.current)).toEqual(Array.from(d.test.yRaw).map((v) => v - 1));
  });
  test('a window longer than the data is refused with the sizes', () => {
    expect(() => windowFrame('f', frame([1, 2, 3, 4]), { window: 3 })).toThrow(
      'f: expected more than 5 days for a window of 3, but received 4',
    );
  });
});

describe('real series', () => {
  test('S&P 500 2000-2020: six OHLCV features, chronological split, next-day log return', () => {
    const d = loadSp500({ window: 20 });
    expect(d.featureNames).toEqual(SP500_FEATURES);
    expect(d.train.x.dims).toEqual([d.train.yRaw.length, 20, 6]);
    expect(d.train.targetDates[d.train.targetDates.length - 1] < d.validation.targetDates[0]).toBe(true);
    expect(d.validation.targetDates[d.validation.targetDates.length - 1] < d.test.targetDates[0]).toBe(true);
    expect(d.test.targetDates[d.test.targetDates.length - 1]).toBe('2020-04-17');
    expect(Math.abs(d.test.yRaw[0])).toBeLessThan(0.2);
  });
  test('Seattle 2012-2015: temp_max target in °C; the task reports persistence and climatology', () => {
    const d = loadWeather({ window: 14 });
    expect(d.train.x.dims).toEqual([d.train.yRaw.length, 14, 6]);
    expect(d.test.targetDates[d.test.targetDates.length - 1]).toBe('2015-12-31');
    expect(d.test.yRaw[d.test.yRaw.length - 1]).toBe(5.6);
    const task = loadTask('weather');
    expect(task.baselines.map((b) => b.name)).toEqual(['persistence', 'climatology (day-of-year mean, ±7 days)']);
    // a perfect forecast scores 0 through the task's own scoring of standardized outputs
    if (task.kind !== 'forecasting') throw new Error('weather is a forecasting task');
    expect(task.score(task.data.test.y.data).rmse).toBeLessThan(1e-5);
  });
  test('dayOfYear', () => {
    expect(dayOfYear('2012-01-01')).toBe(1);
    expect(dayOfYear('2012-12-31')).toBe(366);
    expect(() => dayOfYear('yesterday')).toThrow('dayOfYear: expected a date as YYYY-MM-DD, but received "yesterday"');
  });
});

describe('user forecasting CSV', () => {
  test('numeric columns are features; the target must exist and be numeric', () => {
    const t = parseCsv('day,load,temp,note\n' + Array.from({ length: 30 }, (_, i) => `d${i},${i * 2},${i % 7},x`).join('\n'));
    const d = forecastFromTable('u.csv', t, 'load', 4);
    expect(d.featureNames).toEqual(['load', 'temp']);
    expect(d.train.x.dims[1]).toBe(4);
    expect(() => forecastFromTable('u.csv', t, 'nope', 4)).toThrow(
      'u.csv: expected a column named "nope" (--target), but the columns are: day, load, temp, note',
    );
    expect(() => forecastFromTable('u.csv', t, 'note', 4)).toThrow(
      'u.csv: expected the --target column "note" to hold a number in every row',
    );
  });
});
