// A built-in task as the registry lists it.
import { TaskSpec } from './spec';

export interface TaskDefinition {
  /** What --task names it by. */
  id: string;
  /** One line for --help. */
  summary: string;
  /**
   * false: left out of a plain `gatedrnn compare` (which must stay short) and run by naming it in
   * --task, or by --task all. Default true.
   */
  byDefault?: boolean;
  /** Loads its data and builds it; `full` uses the whole corpus and longer training. */
  load(full: boolean): TaskSpec;
}
