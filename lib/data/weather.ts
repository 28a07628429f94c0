// Seattle daily weather, 2012-2015 (vega-datasets' seattle-weather.csv: date, precipitation,
// temp_max, temp_min, wind, weather). The target is the next day's temp_max in degrees C.
import * as fs from 'node:fs';
import { column, type CsvTable, numericColumn, parseCsv } from './csv';
import { vegaDataFile } from './packages';
import { type DailyFrame, type ForecastData, windowFrame } from './timeseries';
import type { SplitFractions } from './random';

export const WEATHER_FILE = 'seattle-weather.csv';
export const WEATHER_FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind', 'season_sin', 'season_cos'];

/** Day of year, 1..366, of an ISO date (YYYY-MM-DD), in UTC. */
export function dayOfYear(date: string): number {
  const t = Date.parse(`${date.slice(0, 10)}T00:00:00Z`);
  if (!Number.isFinite(t)) throw new Error(`dayOfYear: expected a date as YYYY-MM-DD, but received "${date}"`);
  const start = Date.UTC(new Date(t).getUTCFullYear(), 0, 1);
  return Math.round((t - start) / 86400000) + 1;
}

/**
 * Day t's features are its own measurements plus the season as a point on a circle (the
 * calendar is known in advance, so this is no look-ahead). The weather label column is left out:
 * it is a summary of the same measurements.
 */
export function weatherFrame(table: CsvTable): DailyFrame {
  const where = 'Seattle weather data';
  const dates = column(table, 'date', where);
  const cols = ['precipitation', 'temp_max', 'temp_min', 'wind'].map((c) => numericColumn(table, c, where));
  const frame: DailyFrame = { dates, featureNames: WEATHER_FEATURES, features: [], target: [], targetName: 'next-day temp_max (°C)' };
  dates.forEach((d, t) => {
    const angle = (2 * Math.PI * (dayOfYear(d) - 1)) / 365.25;
    frame.features.push([...cols.map((c) => c[t]), Math.sin(angle), Math.cos(angle)]);
    frame.target.push(cols[1][t]);
  });
  return frame;
}

export interface WeatherOptions {
  window?: number;
  fractions?: SplitFractions;
}

export function weatherFromCsv(text: string, options: WeatherOptions = {}): ForecastData {
  return windowFrame('weather', weatherFrame(parseCsv(text, WEATHER_FILE)), { window: options.window ?? 14, fractions: options.fractions });
}

export function loadWeather(options: WeatherOptions = {}): ForecastData {
  return weatherFromCsv(fs.readFileSync(vegaDataFile(WEATHER_FILE, 'The weather task'), 'utf8'), options);
}
