/**
 * The inference pass gives the same bits on any thread count. Two or more threads split a batch of
 * at least 8 rows into row groups that threads claim chunk of steps by chunk of steps, so these
 * cases use odd batch sizes (row groups of unequal size, tiles with tails), sequences that end
 * mid-chunk and sequence lengths that differ per row; and a small batch with steps big enough to be
 * cut into several shares per thread by hidden units.
 */
import { type Cell, makeCase, makeOp } from '../helpers/cases';

const CELLS: [Cell, Record<string, unknown>][] = [
  ['GRU', { linearBeforeReset: 0 }],
  ['GRU', { linearBeforeReset: 1 }],
  ['LSTM', {}],
  ['RNN', {}],
];
const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

describe.each(CELLS)('%s %j: outputs on 1, 2, 3 and 4 threads are bit for bit the same', (cell, attrs) => {
  test.each(DIRECTIONS)('%s', async (direction) => {
    let seed = 700;
    // Batch >= 8: row groups; batch 5 with H = 200: a step's hidden blocks in several shares per thread.
    const shapes = [9, 13, 19, 37].flatMap((B) => [1, 17].map((T) => ({ B, T, H: 65 }))).concat([{ B: 5, T: 6, H: 200 }]);
    for (const { B, T, H } of shapes) {
      const layout = B === 13 ? 1 : 0;
      const c = makeCase({
        cell,
        T,
        B,
        I: 30,
        H,
        direction,
        layout,
        peepholes: cell === 'LSTM',
        sequenceLens: B === 9 ? undefined : 'random',
        initialState: B !== 19,
        seed: seed++,
      });
      const outputs = [];
      for (const threads of [1, 2, 3, 4]) {
        const op = makeOp(cell, c.weights, {
          ...attrs,
          direction,
          layout,
          threads,
        });
        try {
          // The thread choice tries one thread and several on small steps: run a few calls.
          for (let call = 0; call < 2; call++) outputs.push({ threads, out: op.run(c.inputs) });
          outputs.push({ threads, out: await op.runAsync(c.inputs) });
        } finally {
          op.dispose();
        }
      }
      // Bit for bit: the first element whose bits differ from the 1-thread call's, per output.
      const first = outputs[0].out as Record<string, { data: Float32Array }>;
      for (const o of outputs.slice(1)) {
        const out = o.out as Record<string, { data: Float32Array }>;
        expect(Object.keys(out).sort()).toEqual(Object.keys(first).sort());
        for (const name of Object.keys(first)) {
          const a = new Uint32Array(first[name].data.buffer, first[name].data.byteOffset, first[name].data.length);
          const b = new Uint32Array(out[name].data.buffer, out[name].data.byteOffset, out[name].data.length);
          let differs = a.length === b.length ? -1 : 0;
          for (let i = 0; i < a.length && differs < 0; i++) if (a[i] !== b[i]) differs = i;
          expect({ B, T, threads: o.threads, name, differs }).toEqual({
            B,
            T,
            threads: o.threads,
            name,
            differs: -1,
          });
        }
      }
    }
  });
});
