// A built-in task as the registry lists it.
import type { Cell } from './cells';
import type { TaskSpec } from './spec';

export interface TaskDefinition {
  /** What --task names it by. */
  id: string;
  /** One line for --help. */
  summary: string;
  /** The npm data packages its loader reads, checked before a comparison starts. */
  dataPackages: readonly string[];
  /**
   * Where the usual GRU-or-LSTM advice names this task's use, the `tasks` claim of
   * `compare --claims` tests it: `favours` should win on the primary metric by more than `margin`
   * (in the metric's units). The quick claims run trains `quickEpochs` (default: the task's epochs).
   */
  claim?: { use: string; favours: Cell; margin: number; quickEpochs?: number };
  /**
   * false: left out of a plain `gatedrnn compare` (which must stay short) and run by naming it in
   * --task, or by --task all. Default true.
   */
  byDefault?: boolean;
  /** Loads its data and builds it; `full` uses the whole corpus and longer training. */
  load(full: boolean): TaskSpec;
}
