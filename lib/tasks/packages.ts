// The data packages of the built-in tasks, as each task's definition lists them: compare checks
// every selected task's packages before any run, so one message names all that are missing.
import { isPackageInstalled } from '../data/packages';
import { TASKS } from './registry';

/** The npm data packages each built-in task reads, by task id. */
export const TASK_DATA_PACKAGES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(TASKS.map((t) => [t.id, t.dataPackages]));

/** Thrown before any work when selected tasks lack data packages: names every one, in one install line. */
export class MissingDataPackagesError extends Error {
  readonly packageNames: readonly string[];
  /** `needing`: the selected tasks that read any of `packageNames`, in order. */
  constructor(packageNames: readonly string[], needing: readonly string[]) {
    super(
      `the ${needing.length === 1 ? 'task' : 'tasks'} ${needing.join(', ')} read their data from npm packages that are not installed ` +
        `(${packageNames.join(', ')}). Install them with:\n  npm install --save-dev ${packageNames.join(' ')}\n` +
        'or choose other tasks with --task.',
    );
    this.name = 'MissingDataPackagesError';
    this.packageNames = packageNames;
  }
}

const packagesOf = (task: string): readonly string[] => (Object.hasOwn(TASK_DATA_PACKAGES, task) ? TASK_DATA_PACKAGES[task] : []);

/** The data packages `tasks` need that are not installed, each once, in task order. */
export function missingDataPackages(tasks: readonly string[], installed: (name: string) => boolean = isPackageInstalled): string[] {
  const missing: string[] = [];
  for (const task of tasks) {
    for (const name of packagesOf(task)) if (!missing.includes(name) && !installed(name)) missing.push(name);
  }
  return missing;
}

/** Throws MissingDataPackagesError when any of `tasks` lacks its data packages. */
export function checkDataPackages(tasks: readonly string[], installed?: (name: string) => boolean): void {
  const missing = missingDataPackages(tasks, installed);
  if (missing.length === 0) return;
  throw new MissingDataPackagesError(
    missing,
    tasks.filter((t) => packagesOf(t).some((n) => missing.includes(n))),
  );
}
