// A built-in task as the registry lists it.
import { TaskSpec } from './spec';

export interface TaskDefinition {
  /** What --task names it by. */
  id: string;
  /** One line for --help. */
  summary: string;
  /** Loads its data and builds it; `full` uses the whole corpus and longer training. */
  load(full: boolean): TaskSpec;
}
