// Forecasting tasks: a window of daily features → recurrent stack → dense 1 (the standardized
// next value). Judged in the target's own units (RMSE, margin 2% of the RMSE the cells reach) or,
// for returns, by the standardized MSE (margin 2%).
import { type ForecastData, unscale } from '../../data/timeseries';
import { layers } from '../../layers';
import type { Logs } from '../../train/callbacks';
import { climatologyForecast, persistenceForecast } from '../baselines';
import { modelMemory, recurrentParamCount, recurrentStack } from '../cells';
import { directionalAccuracy, mae, mse, rmse, squaredErrorItems } from '../metrics';
import { type BaselineResult, type ItemScores, type ModelDefaults, type TaskMeta, type TaskSpecBase, notesOf } from '../types';
import { compiledSequential, type ModelBuilder, sequentialTaskModel } from './common';

export interface ForecastTask extends TaskSpecBase {
  kind: 'forecasting';
  data: ForecastData;
  /** Test metrics from standardized predictions (the scale of data.test.y), one per test sample. */
  score(predictedStandardized: ArrayLike<number>): Record<string, number>;
  /** Per-item scores of the primary metric from the same predictions. */
  itemScores(predictedStandardized: ArrayLike<number>): ItemScores;
}

const sizesOf = (d: ForecastData) => ({ train: d.train.yRaw.length, validation: d.validation.yRaw.length, test: d.test.yRaw.length });

function forecastSpec(
  meta: TaskMeta,
  data: ForecastData,
  defaults: ModelDefaults,
  score: ForecastTask['score'],
  itemScores: ForecastTask['itemScores'],
  baselines: BaselineResult[],
): ForecastTask {
  const spec: ForecastTask = {
    kind: 'forecasting',
    meta,
    data,
    score,
    itemScores,
    baselines,
    defaults,
    buildModel: (shape, seed, learningRate) => forecastModel(spec, shape, seed, learningRate),
    paramCount: (shape) =>
      recurrentParamCount(shape.cell, shape.units, { inputSize: data.featureNames.length, layers: shape.layers, headOutputs: 1 }),
  };
  return spec;
}

function standardized(values: ArrayLike<number>, data: ForecastData): Float64Array {
  return Float64Array.from(values, (v) => (v - data.targetScale.mean) / data.targetScale.std);
}

/** Next-day returns, judged by the standardized MSE; baselines: zero return, persistence, always up. */
export function returnsTask(id: string, dataset: string, task: string, data: ForecastData, defaults: ModelDefaults): ForecastTask {
  const actual = data.test.y.data;
  const score = (p: ArrayLike<number>) => ({
    mse: mse(p, actual),
    directionalAccuracy: directionalAccuracy(unscale(p, data.targetScale), data.test.yRaw),
  });
  const itemScores = (p: ArrayLike<number>): ItemScores => ({ num: squaredErrorItems(p, actual) });
  const n = data.test.yRaw.length;
  const withItems = (name: string, p: ArrayLike<number>): BaselineResult => ({ name, metrics: score(p), items: itemScores(p) });
  const meta: TaskMeta = {
    id,
    dataset,
    task,
    kind: 'forecasting',
    metrics: [
      { name: 'mse', label: 'MSE (standardized)', higherIsBetter: false, margin: { value: 0.02, relative: true } },
      { name: 'directionalAccuracy', label: 'directional accuracy', higherIsBetter: true },
    ],
    primaryMetric: 'mse',
    sizes: sizesOf(data),
    notes: notesOf(data.notes, defaults),
  };
  return forecastSpec(meta, data, defaults, score, itemScores, [
    withItems('zero return', standardized(new Float64Array(n), data)),
    withItems('persistence', standardized(persistenceForecast(data.test), data)),
    { name: 'always up', metrics: { directionalAccuracy: directionalAccuracy(new Float64Array(n).fill(1), data.test.yRaw) } },
  ]);
}

/** Forecasts judged in the target's own units (weather in °C, user CSVs in theirs). */
export function unitForecastTask(
  id: string,
  dataset: string,
  task: string,
  unit: string,
  data: ForecastData,
  defaults: ModelDefaults,
  climatology: boolean,
): ForecastTask {
  const actual = data.test.yRaw;
  const own = (p: ArrayLike<number>) => ({ rmse: rmse(p, actual), mae: mae(p, actual) });
  const ownItems = (p: ArrayLike<number>): ItemScores => ({ num: squaredErrorItems(p, actual), transform: 'sqrt' });
  const score = (p: ArrayLike<number>) => own(unscale(p, data.targetScale));
  const itemScores = (p: ArrayLike<number>) => ownItems(unscale(p, data.targetScale));
  const suffix = unit ? ` (${unit})` : '';
  const base = (name: string, p: ArrayLike<number>): BaselineResult => ({ name, metrics: own(p), items: ownItems(p) });
  const baselines: BaselineResult[] = [base('persistence', persistenceForecast(data.test))];
  if (climatology) baselines.push(base('climatology (day-of-year mean, ±7 days)', climatologyForecast(data.train, data.test)));
  else baselines.push(base('training mean', new Float64Array(actual.length).fill(data.targetScale.mean)));
  const meta: TaskMeta = {
    id,
    dataset,
    task,
    kind: 'forecasting',
    metrics: [
      { name: 'rmse', label: `RMSE${suffix}`, higherIsBetter: false, margin: { value: 0.02, relative: true } },
      { name: 'mae', label: `MAE${suffix}`, higherIsBetter: false },
    ],
    primaryMetric: 'rmse',
    sizes: sizesOf(data),
    notes: notesOf(data.notes, defaults),
  };
  return forecastSpec(meta, data, defaults, score, itemScores, baselines);
}

/** Recurrent stack over the window's features → dense 1 (the standardized next value). */
export const forecastModel: ModelBuilder<ForecastTask> = (task, shape, seed, learningRate) => {
  const { data } = task;
  const F = data.featureNames.length;
  const stack = [...recurrentStack(shape.cell, shape.units, shape.layers), layers.dense({ units: 1 })];
  const model = compiledSequential(task, shape, seed, learningRate, stack, [data.window, F], { loss: 'mse' });
  // val_loss is the MSE of the standardized target; RMSE in the target's units scales its root.
  const curveMetric =
    task.meta.primaryMetric === 'rmse'
      ? {
          name: `validation ${task.meta.metrics[0].label}`,
          fromLogs: (l: Logs) => (l.val_loss === undefined ? undefined : Math.sqrt(l.val_loss) * data.targetScale.std),
        }
      : { name: 'validation MSE (standardized)', fromLogs: (l: Logs) => l.val_loss };
  return sequentialTaskModel(
    model,
    data,
    curveMetric,
    (params) => modelMemory(shape.cell, shape.units, F, shape.layers, data.window, params),
    (predicted) => ({ metrics: task.score(predicted), items: task.itemScores(predicted) }),
  );
};
