// The comparison tasks: a dataset, the metrics that judge it, its baselines, and default sizes.
import { ClassificationData } from '../data/classification';
import { G2PData, loadCmudict } from '../data/cmudict';
import { readCsvFile } from '../data/csv';
import { loadNames } from '../data/names';
import { loadSp500 } from '../data/sp500';
import { loadSpam } from '../data/spam';
import { ForecastData, unscale } from '../data/timeseries';
import { forecastFromTable, textFromTable } from '../data/user';
import { loadWeather } from '../data/weather';
import { accuracy, bleu, directionalAccuracy, f1Score, mae, mse, phonemeErrorRate, rmse, wordErrorRate } from '../compare/metrics';
import { BaselineResult, MetricSpec, TaskMeta } from '../compare/results';
import { climatologyForecast, LetterPhonemeBaseline, majorityClass, persistenceForecast } from './baselines';

/** Model and training sizes a task starts from; the CLI's --units/--layers/--epochs override. */
export interface ModelDefaults {
  units: number;
  layers: number;
  epochs: number;
  batchSize: number;
  /** Embedding width for token inputs (classification and seq2seq). */
  embeddingSize?: number;
  /** Adam's learning rate (default 0.001). */
  learningRate?: number;
  /** Seq2seq only: Luong attention over the encoder outputs. */
  attention?: boolean;
}

interface TaskBase {
  meta: TaskMeta;
  baselines: BaselineResult[];
  defaults: ModelDefaults;
}

export interface ClassificationTask extends TaskBase {
  kind: 'classification';
  data: ClassificationData;
  /** Test metrics from predicted class ids, one per test sample. */
  score(predictedClasses: ArrayLike<number>): Record<string, number>;
}

export interface Seq2SeqTask extends TaskBase {
  kind: 'seq2seq';
  data: G2PData;
  /** Test metrics from predicted phoneme sequences, one per test word (see decodePhonemes). */
  score(predicted: readonly (readonly string[])[]): Record<string, number>;
}

export interface ForecastTask extends TaskBase {
  kind: 'forecasting';
  data: ForecastData;
  /** Test metrics from standardized predictions (the scale of data.test.y), one per test sample. */
  score(predictedStandardized: ArrayLike<number>): Record<string, number>;
}

export type TaskSpec = ClassificationTask | Seq2SeqTask | ForecastTask;

const sizesOf = (n: { train: { length: number }; validation: { length: number }; test: { length: number } }) => ({ train: n.train.length, validation: n.validation.length, test: n.test.length });

export function classificationTask(id: string, dataset: string, task: string, data: ClassificationData, defaults: ModelDefaults): ClassificationTask {
  const k = data.classes.length;
  const metrics: MetricSpec[] = [
    { name: 'accuracy', label: 'accuracy', higherIsBetter: true },
    { name: 'f1', label: k > 2 ? 'macro F1' : `F1 (${data.classes[1]})`, higherIsBetter: true },
  ];
  const actual = data.test.y.data;
  const score = (p: ArrayLike<number>) => ({ accuracy: accuracy(p, actual), f1: f1Score(p, actual, k) });
  const majority = majorityClass(data.train.y.data);
  return {
    kind: 'classification',
    meta: { id, dataset, task, kind: 'classification', metrics, primaryMetric: 'accuracy', sizes: { train: data.train.y.size, validation: data.validation.y.size, test: data.test.y.size }, notes: data.notes },
    data,
    score,
    baselines: [{ name: `majority class (${data.classes[majority]})`, metrics: score(new Int32Array(actual.length).fill(majority)) }],
    defaults,
  };
}

export function g2pTask(data: G2PData, defaults: ModelDefaults): Seq2SeqTask {
  const references = data.test.entries.map((e) => e.phonemes);
  const score = (p: readonly (readonly string[])[]) => ({ per: phonemeErrorRate(p, references), wer: wordErrorRate(p, references), bleu: bleu(p, references) });
  const baseline = new LetterPhonemeBaseline(data.train.entries);
  return {
    kind: 'seq2seq',
    meta: {
      id: 'g2p',
      dataset: 'CMUdict',
      task: 'spelling → phonemes',
      kind: 'seq2seq',
      metrics: [
        { name: 'per', label: 'phoneme error rate', higherIsBetter: false },
        { name: 'wer', label: 'word error rate', higherIsBetter: false },
        { name: 'bleu', label: 'BLEU-4', higherIsBetter: true },
      ],
      primaryMetric: 'per',
      sizes: sizesOf({ train: data.train.entries, validation: data.validation.entries, test: data.test.entries }),
      notes: data.notes,
    },
    data,
    score,
    baselines: [{ name: 'most frequent phoneme per letter', metrics: score(data.test.entries.map((e) => baseline.predict(e.letters))) }],
    defaults,
  };
}

function standardized(values: ArrayLike<number>, data: ForecastData): Float64Array {
  return Float64Array.from(values, (v) => (v - data.targetScale.mean) / data.targetScale.std);
}

export function sp500Task(data: ForecastData, defaults: ModelDefaults): ForecastTask {
  const actual = data.test.y.data;
  const score = (p: ArrayLike<number>) => ({ mse: mse(p, actual), directionalAccuracy: directionalAccuracy(unscale(p, data.targetScale), data.test.yRaw) });
  const n = data.test.yRaw.length;
  return {
    kind: 'forecasting',
    meta: {
      id: 'sp500',
      dataset: 'S&P 500 2000–2020',
      task: 'next-day return',
      kind: 'forecasting',
      metrics: [
        { name: 'mse', label: 'MSE (standardized)', higherIsBetter: false },
        { name: 'directionalAccuracy', label: 'directional accuracy', higherIsBetter: true },
      ],
      primaryMetric: 'mse',
      sizes: sizesOf({ train: data.train.yRaw, validation: data.validation.yRaw, test: data.test.yRaw }),
      notes: data.notes,
    },
    data,
    score,
    baselines: [
      { name: 'zero return', metrics: score(standardized(new Float64Array(n), data)) },
      { name: 'persistence', metrics: score(standardized(persistenceForecast(data.test), data)) },
      { name: 'always up', metrics: { directionalAccuracy: directionalAccuracy(new Float64Array(n).fill(1), data.test.yRaw) } },
    ],
    defaults,
  };
}

/** Forecasts judged in the target's own units (weather in °C, user CSVs in theirs). */
export function unitForecastTask(id: string, dataset: string, task: string, unit: string, data: ForecastData, defaults: ModelDefaults, climatology: boolean): ForecastTask {
  const actual = data.test.yRaw;
  const own = (p: ArrayLike<number>) => ({ rmse: rmse(p, actual), mae: mae(p, actual) });
  const score = (p: ArrayLike<number>) => own(unscale(p, data.targetScale));
  const suffix = unit ? ` (${unit})` : '';
  const baselines: BaselineResult[] = [{ name: 'persistence', metrics: own(persistenceForecast(data.test)) }];
  if (climatology) baselines.push({ name: 'climatology (day-of-year mean, ±7 days)', metrics: own(climatologyForecast(data.train, data.test)) });
  else baselines.push({ name: 'training mean', metrics: own(new Float64Array(actual.length).fill(data.targetScale.mean)) });
  return {
    kind: 'forecasting',
    meta: {
      id,
      dataset,
      task,
      kind: 'forecasting',
      metrics: [
        { name: 'rmse', label: `RMSE${suffix}`, higherIsBetter: false },
        { name: 'mae', label: `MAE${suffix}`, higherIsBetter: false },
      ],
      primaryMetric: 'rmse',
      sizes: sizesOf({ train: data.train.yRaw, validation: data.validation.yRaw, test: data.test.yRaw }),
      notes: data.notes,
    },
    data,
    score,
    baselines,
    defaults,
  };
}

export const BUILTIN_TASKS = ['names', 'spam', 'g2p', 'sp500', 'weather'] as const;
export type BuiltinTask = (typeof BUILTIN_TASKS)[number];

/**
 * Builds a built-in task. `full` uses the whole corpus and longer inputs; the quick defaults
 * keep `gatedrnn compare` with no arguments short on a small machine.
 */
export function loadTask(id: BuiltinTask, full = false): TaskSpec {
  switch (id) {
    case 'names':
      return classificationTask('names', 'first names (en)', 'gender from spelling', loadNames(), { units: 32, layers: 1, epochs: full ? 20 : 8, batchSize: 64, embeddingSize: 16, learningRate: 0.003 });
    case 'spam':
      return classificationTask(
        'spam',
        'SpamAssassin',
        'ham vs spam',
        loadSpam(full ? { vocabularySize: 20000, sequenceLength: 300 } : { vocabularySize: 10000, sequenceLength: 100 }),
        { units: 32, layers: 1, epochs: full ? 10 : 4, batchSize: 32, embeddingSize: 32, learningRate: 0.003 },
      );
    case 'g2p':
      return g2pTask(loadCmudict(full ? {} : { limit: 6000 }), { units: full ? 128 : 64, layers: 1, epochs: full ? 15 : 8, batchSize: 64, embeddingSize: full ? 64 : 32, learningRate: 0.005, attention: true });
    case 'sp500':
      return sp500Task(loadSp500({ window: 20 }), { units: 32, layers: 1, epochs: full ? 30 : 5, batchSize: 64 });
    case 'weather':
      return unitForecastTask('weather', 'Seattle weather 2012–2015', 'next-day temp_max', '°C', loadWeather({ window: 14 }), { units: 32, layers: 1, epochs: full ? 60 : 30, batchSize: 32, learningRate: 0.003 }, true);
  }
}

export function userForecastTask(file: string, target: string, window: number, full = false): ForecastTask {
  return unitForecastTask('csv', file, `next ${target}`, '', forecastFromTable(file, readCsvFile(file), target, window), { units: 32, layers: 1, epochs: full ? 30 : 10, batchSize: 32 }, false);
}

export function userTextTask(file: string, label: string, full = false): ClassificationTask {
  return classificationTask('text', file, `${label} from text`, textFromTable(file, readCsvFile(file), label), { units: 32, layers: 1, epochs: full ? 10 : 3, batchSize: 32, embeddingSize: 32 });
}
