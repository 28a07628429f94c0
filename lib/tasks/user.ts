// The user's own data: a CSV series to forecast (--csv) or labelled texts to classify (--text).
// Nothing is known about it in advance, so training runs until validation stops improving
// (early stopping with patience, within the time budget) instead of a fixed epoch count.
import { readCsvFile } from '../data/csv';
import { forecastFromTable, textFromTable } from '../data/user';
import { classificationTask, type ClassificationTask } from './kinds/classification';
import { type ForecastTask, unitForecastTask } from './kinds/forecasting';
import type { ModelDefaults } from './types';

/** Epoch ceiling and patience for user data; the time budget usually ends it first. */
const userDefaults = (full: boolean): Pick<ModelDefaults, 'epochs' | 'learningRates' | 'chosenBy' | 'patience' | 'budgetSeconds'> => ({
  epochs: full ? 300 : 100,
  patience: 5,
  budgetSeconds: full ? 600 : 60,
  learningRates: [0.001, 0.003, 0.01],
  chosenBy:
    'early stopping on validation loss (patience 5) within a time budget of 60 s per model (600 s with --full) unless --budget-seconds sets one; the learning rate per cell by validation loss',
});

export function userForecastTask(file: string, target: string, window: number, full = false): ForecastTask {
  return unitForecastTask(
    'csv',
    file,
    `next ${target}`,
    '',
    forecastFromTable(file, readCsvFile(file), target, window),
    { units: 32, layers: 1, batchSize: 32, ...userDefaults(full) },
    false,
  );
}

/** `maxTokens` cuts each text (--max-tokens); absent, the length covering 95% of training texts. */
export function userTextTask(file: string, label: string, full = false, maxTokens?: number): ClassificationTask {
  return classificationTask(
    'text',
    file,
    `${label} from text`,
    textFromTable(file, readCsvFile(file), label, { sequenceLength: maxTokens }),
    { units: 32, layers: 1, batchSize: 32, embeddingSize: 32, ...userDefaults(full) },
  );
}
