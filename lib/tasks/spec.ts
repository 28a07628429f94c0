// Every kind of task compare/ can run. A new kind adds its interface here.
import type { ClassificationTask } from './kinds/classification';
import type { ForecastTask } from './kinds/forecasting';
import type { LanguageModelTask } from './kinds/language-model';
import type { Seq2SeqTask } from './kinds/seq2seq';
import type { TaggingTask } from './kinds/tagging';

export type TaskSpec = ClassificationTask | Seq2SeqTask | ForecastTask | TaggingTask | LanguageModelTask;
