// Every kind of task compare/ can run. A new kind adds its interface here.
import { ClassificationTask } from './kinds/classification';
import { ForecastTask } from './kinds/forecasting';
import { LanguageModelTask } from './kinds/language-model';
import { Seq2SeqTask } from './kinds/seq2seq';
import { TaggingTask } from './kinds/tagging';

export type TaskSpec = ClassificationTask | Seq2SeqTask | ForecastTask | TaggingTask | LanguageModelTask;
