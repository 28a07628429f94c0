/**
 * Every fast kernel against the scalar reference, for every ISA this CPU runs, on odd sizes
 * (hidden sizes around the 16-wide panel, batch tails around the 4-row tile, long sequences).
 */
import { backendInfo } from '../../lib';
import { setIsa } from '../../lib/ops/reference';
import { type Cell, type CaseShape, expectMatchesReference, makeCase } from '../helpers/cases';

const ISAS = backendInfo().supportedIsas;
const HIDDEN = [1, 3, 17, 63, 64, 65, 257];
const BATCH = [1, 3, 8];
const STEPS = [1, 7, 100];
const INPUT_FOR: Record<number, number> = { 1: 5, 3: 2, 17: 33, 63: 9, 64: 70, 65: 40, 257: 31 };
const CELLS: [Cell, Record<string, unknown>][] = [
  ['GRU', { linearBeforeReset: 0 }],
  ['GRU', { linearBeforeReset: 1 }],
  ['LSTM', {}],
  ['RNN', {}],
];

function shapes(): CaseShape[] {
  const out: CaseShape[] = [];
  for (const H of HIDDEN)
    for (const B of BATCH)
      for (const T of STEPS) {
        // The double-precision oracle is slow at H=257: keep its long runs to batch 1.
        if (H === 257 && T === 100 && B > 1) continue;
        out.push({ cell: 'GRU', T, B, I: INPUT_FOR[H], H, seed: H * 1000 + B * 10 + T });
      }
  return out;
}

afterAll(() => setIsa(ISAS[0]));

test('this CPU runs at least the scalar kernels', () => {
  expect(ISAS).toContain('scalar');
  expect(ISAS[0]).toBe(backendInfo().isa);
});

describe.each(ISAS)('isa %s', (isa) => {
  beforeAll(() => {
    expect(setIsa(isa)).toBe(true);
    expect(backendInfo().isa).toBe(isa);
  });

  describe.each(CELLS)('%s %j', (cell, attrs) => {
    test.each(shapes().map((s) => [`T=${s.T} B=${s.B} I=${s.I} H=${s.H}`, s] as const))('%s', (_name, shape) => {
      for (const threads of [1, 2]) {
        const c = makeCase({ ...shape, cell, initialState: true });
        expectMatchesReference(cell, c, { ...attrs, threads }, `${isa} ${cell} threads=${threads}`);
      }
    });
  });
});

test('an ISA this CPU lacks is refused and changes nothing', () => {
  const before = backendInfo().isa;
  expect(setIsa('no-such-isa')).toBe(false);
  expect(backendInfo().isa).toBe(before);
});
