// Every kernel table this CPU runs (GATEDRNN_ISA only picks which one is active at load), so
// suites can run their cases once per ISA: activations, attributes and the training kernels are
// compiled per ISA, and the default table alone would leave the others unchecked.
import { backendInfo } from '../../lib';
import { setIsa } from '../../lib/ops/reference';

export const ISAS: readonly string[] = backendInfo().supportedIsas;
const initial = backendInfo().isa;

/** Runs `body` with each ISA active in turn, then restores the one active before. */
export function forEachIsa(body: (isa: string) => void): void {
  try {
    for (const isa of ISAS) {
      if (!setIsa(isa) || backendInfo().isa !== isa)
        throw new Error(`setIsa('${isa}') did not make an ISA that backendInfo().supportedIsas lists active`);
      body(isa);
    }
  } finally {
    setIsa(initial);
  }
}

/** describe.each over the ISAs: the block's tests run with that ISA active. */
export function describeEachIsa(body: (isa: string) => void): void {
  describe.each(ISAS)('isa %s', (isa) => {
    beforeAll(() => {
      expect(setIsa(isa)).toBe(true);
      expect(backendInfo().isa).toBe(isa);
    });
    afterAll(() => {
      setIsa(initial);
    });
    body(isa);
  });
}
