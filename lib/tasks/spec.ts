// Every kind of task compare/ can run. A new kind adds its interface here.
import { ClassificationTask } from './kinds/classification';
import { ForecastTask } from './kinds/forecasting';
import { Seq2SeqTask } from './kinds/seq2seq';

export type TaskSpec = ClassificationTask | Seq2SeqTask | ForecastTask;
