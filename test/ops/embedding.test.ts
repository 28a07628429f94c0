// The embedding lookups (ops/embedding) against the JavaScript loops they replace, on odd row
// widths and repeated ids, and their refusals: ids that are not rows, lengths that do not match.
import { embeddingGather, embeddingScatterAdd } from '../../lib/ops/embedding';

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x / 2147483648 - 0.5;
  }
  return a;
}

describe('embedding lookups', () => {
  test.each([1, 3, 16, 17, 128])('gather and scatter-add, rows of %i: the same values as the JavaScript loops', (d) => {
    const rows = 11;
    const ids = Int32Array.from([0, 3, 10, 3, 3, 7, 0, 9]);
    const table = random(rows * d, 1);
    const out = new Float32Array(ids.length * d);
    embeddingGather(table, ids, d, out);
    for (let i = 0; i < ids.length; i++)
      expect(Array.from(out.subarray(i * d, (i + 1) * d))).toEqual(Array.from(table.subarray(ids[i] * d, (ids[i] + 1) * d)));

    const dy = random(ids.length * d, 2);
    const grad = random(rows * d, 3);
    const expected = grad.slice();
    for (let i = 0; i < ids.length; i++) for (let j = 0; j < d; j++) expected[ids[i] * d + j] += dy[i * d + j];
    embeddingScatterAdd(grad, ids, dy, d);
    expect(Array.from(grad)).toEqual(Array.from(expected));
  });

  test('an id that is not a row, or lengths that do not match, is an error and writes nothing', () => {
    const table = random(12, 4);
    const out = new Float32Array(6);
    expect(() => embeddingGather(table, Int32Array.from([0, 4]), 3, out)).toThrow('an id is not a row of the table');
    expect(() => embeddingGather(table, Int32Array.from([0, -1]), 3, out)).toThrow('an id is not a row of the table');
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => embeddingGather(table, Int32Array.from([0]), 3, out)).toThrow('out must hold 3 floats, got 6');
    expect(() => embeddingGather(table, Int32Array.from([0]), 5, out)).toThrow('d must be an integer in [1, table length] that divides it');
    const grad = new Float32Array(12);
    expect(() => embeddingScatterAdd(grad, Int32Array.from([1, 9]), new Float32Array(6), 3)).toThrow('an id is not a row of the table');
    expect(Array.from(grad)).toEqual(new Array(12).fill(0));
    expect(() => embeddingScatterAdd(grad, Int32Array.from([1]), new Float32Array(6), 3)).toThrow('dy must hold 3 floats, got 6');
  });
});
