// Seattle weather 2012–2015, next-day maximum temperature from the last 14 days.
import { VEGA_DATASETS_PACKAGE } from '../data/packages';
import { loadWeather } from '../data/weather';
import { type ForecastTask, unitForecastTask } from './kinds/forecasting';
import type { TaskDefinition } from './registry-types';
import { QUICK_DEFAULTS } from './types';

export const weather: TaskDefinition = {
  id: 'weather',
  summary: 'Seattle weather 2012–2015, next-day temp_max',
  dataPackages: [VEGA_DATASETS_PACKAGE],
  claim: { use: 'weather', favours: 'gru', margin: 0.1 },
  load: (full): ForecastTask =>
    unitForecastTask(
      'weather',
      'Seattle weather 2012–2015',
      'next-day temp_max',
      '°C',
      loadWeather({ window: 14 }),
      {
        units: 32,
        layers: 1,
        epochs: full ? 60 : 30,
        batchSize: 32,
        learningRates: [0.001, 0.003, 0.01],
        chosenBy: QUICK_DEFAULTS,
      },
      true,
    ),
};
