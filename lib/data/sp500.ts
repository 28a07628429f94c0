// S&P 500 daily, 2000-2020 (vega-datasets' sp500-2000.csv: date, open, high, low, close,
// adjclose, volume). The target is the next day's log return of close.
import * as fs from 'node:fs';
import { column, type CsvTable, numericColumn, parseCsv } from './csv';
import { vegaDataFile } from './packages';
import { type DailyFrame, type ForecastData, windowFrame } from './timeseries';
import type { SplitFractions } from './random';

export const SP500_FILE = 'sp500-2000.csv';

export const SP500_FEATURES = ['return', 'range', 'body', 'gap', 'volume_change', 'log_volume'];

/**
 * Day t's features use rows t and t-1 only: log return log(close_t/close_{t-1}), intraday range
 * log(high_t/low_t), body log(close_t/open_t), overnight gap log(open_t/close_{t-1}), volume change
 * log(volume_t/volume_{t-1}) and log volume. Day 0 has no previous day and is left out.
 * (adjclose equals close for an index, so it adds nothing.)
 */
export function sp500Frame(table: CsvTable): DailyFrame {
  const where = 'S&P 500 data';
  const dates = column(table, 'date', where);
  const open = numericColumn(table, 'open', where);
  const high = numericColumn(table, 'high', where);
  const low = numericColumn(table, 'low', where);
  const close = numericColumn(table, 'close', where);
  const volume = numericColumn(table, 'volume', where);
  const frame: DailyFrame = { dates: [], featureNames: SP500_FEATURES, features: [], target: [], targetName: 'next-day log return' };
  for (let t = 1; t < dates.length; t++) {
    const r = Math.log(close[t] / close[t - 1]);
    frame.dates.push(dates[t]);
    frame.features.push([
      r,
      Math.log(high[t] / low[t]),
      Math.log(close[t] / open[t]),
      Math.log(open[t] / close[t - 1]),
      Math.log(volume[t] / volume[t - 1]),
      Math.log(volume[t]),
    ]);
    frame.target.push(r);
  }
  return frame;
}

export interface Sp500Options {
  window?: number;
  fractions?: SplitFractions;
}

export function sp500FromCsv(text: string, options: Sp500Options = {}): ForecastData {
  const data = windowFrame('sp500', sp500Frame(parseCsv(text, SP500_FILE)), { window: options.window ?? 20, fractions: options.fractions });
  data.notes.push(
    'features per day from OHLCV: log return, log(high/low), log(close/open), overnight gap, log volume change, log volume; target: next-day log return, standardized',
  );
  return data;
}

export function loadSp500(options: Sp500Options = {}): ForecastData {
  return sp500FromCsv(fs.readFileSync(vegaDataFile(SP500_FILE, 'The S&P 500 task'), 'utf8'), options);
}
