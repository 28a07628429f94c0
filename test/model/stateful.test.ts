// Stateful recurrent layers: a long sequence read in chunks, the states carried from batch to
// batch, gives the outputs of reading it whole; resets, batch-size and shuffle rules.
import { layers, sequential, Tensor } from '../../lib';
import { Rng } from '../../lib/train/rng';

/** x [B, T, F] -> chunks of C steps, sample k*B + b = chunk k of row b. */
function chunked(x: Float32Array, B: number, T: number, F: number, C: number): Float32Array {
  const out = new Float32Array(x.length);
  const K = T / C;
  for (let k = 0; k < K; k++)
    for (let b = 0; b < B; b++)
      for (let s = 0; s < C; s++) for (let f = 0; f < F; f++) out[((k * B + b) * C + s) * F + f] = x[(b * T + k * C + s) * F + f];
  return out;
}

describe.each(['gru', 'lstm'] as const)('stateful %s', (cell) => {
  const B = 3,
    T = 12,
    F = 2,
    C = 4,
    H = 5;
  const rng = new Rng(7);
  const x = Float32Array.from({ length: B * T * F }, () => rng.next() * 2 - 1);
  const make = (stateful: boolean, steps: number) => {
    const rec =
      cell === 'gru'
        ? layers.gru({ units: H, returnSequences: true, stateful })
        : layers.lstm({ units: H, returnSequences: true, stateful });
    const m = sequential([rec, layers.dense({ units: 1 })], { seed: 3 });
    m.build([steps, F]);
    return m;
  };

  test('chunks read with carried states give the whole sequence read at once', async () => {
    const whole = make(false, T);
    const parts = make(true, C);
    parts.setWeights(whole.getWeights());
    const a = (await whole.predict(new Tensor('float32', x, [B, T, F]), { batchSize: B })).data;
    const b = (await parts.predict(new Tensor('float32', chunked(x, B, T, F, C), [B * (T / C), C, F]), { batchSize: B })).data;
    expect(Array.from(b)).toEqual(Array.from(chunked(a, B, T, 1, C)).map((v) => expect.closeTo(v, 5)));
    // In pieces, the later ones with resetStates: false, as in one call.
    const xs = chunked(x, B, T, F, C);
    const first = (await parts.predict(new Tensor('float32', xs.subarray(0, B * C * F), [B, C, F]), { batchSize: B })).data;
    const rest = (
      await parts.predict(new Tensor('float32', xs.subarray(B * C * F), [B * (T / C - 1), C, F]), { batchSize: B, resetStates: false })
    ).data;
    expect([...first, ...rest]).toEqual(Array.from(b));
    // Without the carried state the second chunk differs.
    const fresh = (
      await parts.predict(new Tensor('float32', chunked(x, B, T, F, C).subarray(B * C * F, 2 * B * C * F), [B, C, F]), { batchSize: B })
    ).data;
    expect(Math.max(...fresh.map((v, i) => Math.abs(v - b[B * C + i])))).toBeGreaterThan(1e-4);
    whole.dispose();
    parts.dispose();
  });

  test('the batch size is fixed until resetStates, and fit needs shuffle: false', async () => {
    const m = make(true, C);
    await m.predict(new Tensor('float32', new Float32Array(B * C * F), [B, C, F]), { batchSize: B });
    const rec = m.layers[0] as unknown as { forward: (a: unknown, c: unknown) => Promise<unknown>; resetStates(): void };
    await expect(rec.forward({ data: new Float32Array(2 * C * F), dims: [2, C, F] }, { training: false, rng: new Rng(1) })).rejects.toThrow(
      `expected batch size to be 3 rows, as the batch whose states it carries`,
    );
    rec.resetStates();
    await expect(
      rec.forward({ data: new Float32Array(2 * C * F), dims: [2, C, F] }, { training: false, rng: new Rng(1) }),
    ).resolves.toBeDefined();
    m.compile({ optimizer: 'adam', loss: 'mse' });
    const y = new Tensor('float32', new Float32Array(B * C), [B, C, 1]);
    const xx = new Tensor('float32', new Float32Array(B * C * F), [B, C, F]);
    await expect(m.fit(xx, y, { batchSize: B, verbose: 0 })).rejects.toThrow(
      'expected shuffle to be false for a model with stateful layers',
    );
    const h = await m.fit(xx, y, { batchSize: B, verbose: 0, shuffle: false, epochs: 2 });
    expect(h.loss).toHaveLength(2);
    expect(() => layers.bidirectional({ layer: layers.gru({ units: 2, stateful: true }) })).toThrow(
      'layers.bidirectional: expected layer to be a layer without stateful',
    );
    expect(layers.gru({ units: 2, stateful: true }).getConfig().stateful).toBe(true);
    m.dispose();
  });
});
