// The comparison tasks: data, metrics (with practical margins), baselines, model builders and
// scorers. Nothing here imports compare/.
export * from './types';
export * from './cells';
export * from './spec';
export * from './registry-types';
export { TASKS, BUILTIN_TASKS, DEFAULT_TASKS, loadTask } from './registry';
export type { BuiltinTask } from './registry';
export { TASK_DATA_PACKAGES, checkDataPackages, missingDataPackages, MissingDataPackagesError } from './packages';
export { classificationTask, classificationModel } from './kinds/classification';
export type { ClassificationTask } from './kinds/classification';
export { returnsTask, unitForecastTask, forecastModel } from './kinds/forecasting';
export type { ForecastTask } from './kinds/forecasting';
export { g2pTask, seq2seqModel, seq2seqParamCount } from './kinds/seq2seq';
export type { Seq2SeqTask } from './kinds/seq2seq';
export { taggingTask, taggingModel } from './kinds/tagging';
export type { TaggingTask } from './kinds/tagging';
export { languageModelTask, languageModel } from './kinds/language-model';
export type { LanguageModelTask } from './kinds/language-model';
export { userForecastTask, userTextTask } from './user';
