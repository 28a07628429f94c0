/**
 * dist/ is what child processes (test/async, lifecycle, package and CLI tests), the CLI and
 * `npm run fuzz` load; the in-process tests load lib/. jest's globalSetup rebuilds dist/ when
 * lib/ is newer, so both run the same code: this fails where that did not happen.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { staleDist } = require('./helpers/dist-fresh.js') as { staleDist(): string[] };

test('dist/ is built from the lib/ these tests load', () => {
  expect(staleDist()).toEqual([]);
});
