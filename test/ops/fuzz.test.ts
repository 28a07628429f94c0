/**
 * Op fuzzing, CI-sized: thousands of fixed-seed cases construct GruOp / LstmOp / RnnOp with random
 * dims, dtypes, attributes, sequence lengths and states, valid or broken, and run them. Each must
 * either work (outputs of the right shapes, finite where they must be, equal to the scalar
 * reference when valid, in fp32 with bounded activations) or throw an Error; a crash would take
 * the test process down with it. `npm run fuzz` runs many more seeds (scripts/fuzz-ops.js).
 */
import { GruOp, LstmOp, RnnOp } from '../../lib';
import { referenceForward } from '../../lib/ops/reference';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fuzzer = require('../helpers/op-fuzzer.js') as {
  makeCase(seed: number): { kind: string; cell: string };
  runCase(lib: object, c: object): Promise<string>;
};

const CASES = 5000;

test(`${CASES} fuzzed operator cases work or throw an Error`, async () => {
  const lib = { GruOp, LstmOp, RnnOp, referenceForward };
  const tally = new Map<string, number>();
  let valid = 0;
  for (let seed = 1; seed <= CASES; seed++) {
    const c = fuzzer.makeCase(seed);
    const outcome = await fuzzer.runCase(lib, c);
    if (c.kind === 'valid') valid++;
    tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
  }
  // The mix is fixed by the seeds; these bounds only make sure the generator still exercises
  // both sides (a change that made every case throw early would pass vacuously otherwise).
  expect(valid).toBeGreaterThan(CASES / 4);
  expect(tally.get('ok')).toBeGreaterThan(CASES / 3);
  expect(tally.get('error:TypeError')).toBeGreaterThan(CASES / 10);
  expect(tally.get('error:RangeError')).toBeGreaterThan(CASES / 10);
  // Everything thrown is a TypeError or RangeError, except the error a hostile getter throws itself.
  const others = [...tally.keys()].filter((k) => k !== 'ok' && k !== 'error:TypeError' && k !== 'error:RangeError');
  expect(others).toEqual(['error:Error']);
});
