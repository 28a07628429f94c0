// S&P 500 2000–2020, next-day return from the last 20 days.
import { VEGA_DATASETS_PACKAGE } from '../data/packages';
import { loadSp500 } from '../data/sp500';
import { type ForecastTask, returnsTask } from './kinds/forecasting';
import type { TaskDefinition } from './registry-types';
import { QUICK_DEFAULTS } from './types';

export const sp500: TaskDefinition = {
  id: 'sp500',
  summary: 'S&P 500 2000–2020, next-day return',
  dataPackages: [VEGA_DATASETS_PACKAGE],
  claim: { use: 'stock prediction', favours: 'lstm', margin: 0.01 },
  load: (full): ForecastTask =>
    returnsTask('sp500', 'S&P 500 2000–2020', 'next-day return', loadSp500({ window: 20 }), {
      units: 32,
      layers: 1,
      epochs: full ? 30 : 5,
      batchSize: 64,
      learningRates: [0.0003, 0.001, 0.003],
      chosenBy: QUICK_DEFAULTS,
    }),
};
