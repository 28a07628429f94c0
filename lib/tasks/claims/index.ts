// The claims experiments' tasks and jobs (see experiments.ts); compare/claims*.ts plans and judges them.
export * from './generators';
export * from './experiments';
import {
  type AnbnJob,
  type AnbnResult,
  type BudgetJob,
  type BudgetResult,
  type DataSizeJob,
  type DataSizeResult,
  type LagJob,
  type LagResult,
  runAnbnJob,
  runBudgetJob,
  runDataSizeJob,
  runLagJob,
  runSpeedJob,
  type SpeedJob,
  type SpeedResult,
} from './experiments';

export type ExperimentJob = LagJob | AnbnJob | DataSizeJob | BudgetJob | SpeedJob;
export type ExperimentResult = LagResult | AnbnResult | DataSizeResult | BudgetResult | SpeedResult;

/** Runs one job of any kind. */
export function runExperimentJob(job: ExperimentJob): Promise<ExperimentResult> {
  switch (job.kind) {
    case 'lag':
      return runLagJob(job);
    case 'anbn':
      return runAnbnJob(job);
    case 'datasize':
      return runDataSizeJob(job);
    case 'budget':
      return runBudgetJob(job);
    case 'speed':
      return runSpeedJob(job);
  }
}
