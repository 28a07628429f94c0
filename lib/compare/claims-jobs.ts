// One job of the claims run: an experiment from tasks/claims, or one model of the per-task
// comparison (the `tasks` claim), trained and measured as `gatedrnn compare` does.
import { BuiltinTask, loadTask, TaskSpec } from '../tasks';
import { ExperimentJob, ExperimentResult, runExperimentJob } from '../tasks/claims';
import { RunResult } from './results';
import { CellSpec } from './runner';
import { makeTrainAndMeasure } from './train-and-measure';

export interface TaskJob {
  kind: 'task';
  task: BuiltinTask;
  full: boolean;
  spec: CellSpec;
  seed: number;
}

export type ClaimJob = ExperimentJob | TaskJob;
export type ClaimJobResult = ExperimentResult | Omit<RunResult, 'seed'>;

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

// The claims read only the tasks' test metrics; the cost timings are kept short.
const trainAndMeasure = makeTrainAndMeasure({ latency: { warmup: 1, iterations: 5, maxSeconds: 0.2 }, throughput: { warmup: 0, iterations: 1, maxSeconds: 0.2 } });

export function runClaimJob(job: ClaimJob): Promise<ClaimJobResult> {
  if (job.kind === 'task') return trainAndMeasure(cachedTask(job.task, job.full), job.spec, job.seed, { onEpoch: () => undefined });
  return runExperimentJob(job);
}
