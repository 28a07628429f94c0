// One job of the claims run: an experiment from tasks/claims, or one model of the per-task
// comparison (the `tasks` claim), trained and measured as `gatedrnn compare` does.
import { type BuiltinTask, loadTask, type TaskSpec } from '../tasks';
import { type ExperimentJob, type ExperimentResult, runExperimentJob } from '../tasks/claims';
import type { RunResult } from './results';
import type { CellSpec } from './trainer';
import { trainAndMeasure } from './train-and-measure';

export interface TaskJob {
  kind: 'task';
  task: BuiltinTask;
  full: boolean;
  spec: CellSpec;
  seed: number;
}

export type ClaimJob = ExperimentJob | TaskJob;
/** One model of the per-task comparison: its training facts and test metrics. */
export type TaskJobResult = Pick<RunResult, 'metrics' | 'epochs' | 'params'>;

export type ClaimJobResult = ExperimentResult | TaskJobResult;

const loaded = new Map<string, TaskSpec>();

/** Loads a built-in task once per process. */
export function cachedTask(id: BuiltinTask, full: boolean): TaskSpec {
  const key = `${id}:${full}`;
  let t = loaded.get(key);
  if (!t) {
    t = loadTask(id, full);
    loaded.set(key, t);
  }
  return t;
}

/** Trains one model as `gatedrnn compare` does (the task's first learning rate) and tests it. */
async function runTaskJob(job: TaskJob): Promise<TaskJobResult> {
  const trained = await trainAndMeasure(cachedTask(job.task, job.full), job.spec, job.seed, { onEpoch: () => undefined });
  try {
    const { metrics } = await trained.test();
    return { metrics, epochs: trained.training.epochs, params: trained.training.params };
  } finally {
    trained.dispose();
  }
}

export function runClaimJob(job: ClaimJob): Promise<ClaimJobResult> {
  if (job.kind === 'task') return runTaskJob(job);
  return runExperimentJob(job);
}
