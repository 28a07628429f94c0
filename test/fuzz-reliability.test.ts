/**
 * The reliability fuzzer (scripts/fuzz-reliability.js) at CI size, fixed seed: .gatedrnn files
 * whose headers lie, ONNX graphs that grow a tiny input under a small maxRunBytes, long
 * adversarial texts through the mail tokenizer, and worker threads racing the operators' inputs.
 * Every case ends in a result or an Error, in bounded memory. Runs over dist/ (`npm run build:ts`).
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { fuzzReliability } = require('../scripts/fuzz-reliability.js');

test('lying headers, per-run growth, long tokens and shared-memory races: results or Errors, bounded memory', async () => {
  const r = await fuzzReliability({ cases: 25, seed: 20261207, raceCalls: 300 });
  expect(r.failures).toEqual([]);
  for (const cls of ['lying', 'growth', 'tokens', 'race']) expect(Object.keys(r.counts[cls] ?? {}).length).toBeGreaterThan(0);
  // Both outcomes of the classes that can go either way occurred.
  expect(r.counts.lying.refused).toBeGreaterThan(0);
  expect(r.counts.growth.refused).toBeGreaterThan(0);
  expect(r.counts.growth.ran).toBeGreaterThan(0);
  // Budgets of at most 64 MiB per run: the process grows far less than the GiBs the graphs ask for.
  expect(r.growthRssMiB).toBeLessThan(768);
});
