/**
 * device: 'cuda'. Where the addon was built with CUDA and sees a GPU (or is the emulated test
 * build, GATEDRNN_CUDA_EMULATE), GruOp and LstmOp on the GPU against the scalar reference over
 * sizes, attributes and both recurrent kernels; elsewhere those comparisons are skipped, with the
 * reason in their title. The errors for a missing build or GPU, and for what the CUDA kernels do
 * not cover, are checked everywhere.
 */
import { GruOp, LstmOp, RnnOp, backendInfo } from '../../lib';
import { type CaseShape, type Cell, makeCase, type OpCase, type Outputs } from '../helpers/cases';
import { setCudaRecurrent } from '../../lib/ops/cuda';
import { referenceForward } from '../../lib/ops/reference';
import { expectClose } from '../helpers/onnx';

const info = backendInfo().cudaInfo;
const gpu = backendInfo().cuda;
const skipped = !info.built
  ? 'this addon was built without CUDA (npm run build:cuda)'
  : `this machine has no NVIDIA GPU: ${info.error ?? 'no device'}`;
const where = gpu ? `on ${info.name}` : `skipped: ${skipped}`;

type Attrs = Record<string, unknown>;
const TOLERANCE = 1e-4; // fp32 against the double-precision reference

function makeCudaOp(cell: Cell, weights: OpCase['weights'], attrs: Attrs) {
  const all = { ...attrs, device: 'cuda' as const };
  return cell === 'LSTM' ? new LstmOp(weights, all) : new GruOp(weights, all);
}

function expectMatchesReference(cell: Cell, c: OpCase, attrs: Attrs, label: string, got: Outputs): void {
  const ref = referenceForward(cell, c.weights, attrs, c.inputs) as Outputs;
  for (const name of cell === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h']) {
    expect(got[name]).toBeDefined();
    expectClose(got[name], ref[name], { atol: TOLERANCE, rtol: TOLERANCE, label: `${label} ${name}` });
  }
}

function expectCudaMatches(cell: Cell, c: OpCase, attrs: Attrs, label: string): void {
  const op = makeCudaOp(cell, c.weights, attrs);
  try {
    expectMatchesReference(cell, c, attrs, label, op.run(c.inputs) as Outputs);
  } finally {
    op.dispose();
  }
}

// The emulated build runs every CUDA thread as an OS thread: small sizes only.
const SIZES: Pick<CaseShape, 'T' | 'B' | 'I' | 'H'>[] = info.emulated
  ? [
      { T: 1, B: 1, I: 1, H: 1 },
      { T: 4, B: 3, I: 7, H: 9 },
      { T: 3, B: 2, I: 5, H: 20 },
    ]
  : [
      { T: 1, B: 1, I: 1, H: 1 },
      { T: 7, B: 3, I: 5, H: 9 },
      { T: 9, B: 5, I: 17, H: 33 },
      { T: 20, B: 1, I: 64, H: 128 },
      { T: 12, B: 16, I: 100, H: 257 },
      { T: 30, B: 4, I: 256, H: 512 },
    ];
// Sizes the persistent kernel cannot hold (batch above 64, R beyond the grid's shared memory):
// 'auto' must fall back to the per-step kernels.
const FALLBACK_SIZES = info.emulated
  ? [{ T: 3, B: 65, I: 3, H: 4 }]
  : [
      { T: 6, B: 70, I: 32, H: 48 },
      { T: 4, B: 2, I: 64, H: 2048 },
    ];

const CELLS: [string, Cell, Attrs][] = [
  ['GRU linearBeforeReset 0', 'GRU', {}],
  ['GRU linearBeforeReset 1', 'GRU', { linearBeforeReset: 1 }],
  ['LSTM', 'LSTM', {}],
];

function variants(cell: Cell): [string, Partial<CaseShape>, Attrs][] {
  const lstm = cell === 'LSTM';
  const list: [string, Partial<CaseShape>, Attrs][] = [
    ['forward', {}, {}],
    ['reverse, no bias', { bias: false }, { direction: 'reverse' }],
    [
      'bidirectional, sequenceLens, initial state',
      { direction: 'bidirectional', sequenceLens: 'random', initialState: true },
      { direction: 'bidirectional' },
    ],
    ['layout 1, reverse, sequenceLens', { layout: 1, sequenceLens: 'random' }, { layout: 1, direction: 'reverse' }],
    ['clip, initial state', { initialState: true }, { clip: 0.4 }],
    [
      'everything at once',
      { direction: 'bidirectional', layout: 1, sequenceLens: 'random', initialState: true, peepholes: lstm },
      { direction: 'bidirectional', layout: 1, clip: 0.8 },
    ],
  ];
  if (lstm) {
    list.push(['peepholes', { peepholes: true, initialState: true }, {}]);
    list.push(['inputForget, peepholes, clip', { peepholes: true, initialState: true }, { inputForget: 1, clip: 0.5 }]);
  }
  return list;
}

// The persistent kernel may decline a call only for the reasons the docs give (batch above 64,
// or R not fitting on chip: a hidden unit's rows beyond a block's shared memory, or more blocks
// than can be resident at once), and never up to H = 128, which fits any GPU. Each decline is
// checked against the sizes its message quotes, counted and reported at the end.
const declines: string[] = [];
const MAX_BATCH = 64;

function expectDocumentedDecline(cell: Cell, size: { B: number; H: number }, directions: number, err: unknown, label: string): void {
  const message = String(err);
  const why = /cannot run this call: (.*)$/.exec(message)?.[1];
  if (why === undefined) throw err;
  if (size.H <= 128) throw new Error(`${label}: the persistent kernel declined at H = ${size.H}, which fits any GPU: ${why}`);
  const G = cell === 'LSTM' ? 4 : 3;
  const { B, H } = size;
  let m: RegExpExecArray | null;
  let documented: boolean;
  if (why === 'the GPU does not support cooperative launches') documented = true;
  else if ((m = /^batch (\d+) is above (\d+)$/.exec(why))) documented = Number(m[1]) === B && Number(m[2]) === MAX_BATCH && B > MAX_BATCH;
  else if (
    (m = /^one hidden unit's rows of R and the batch's h need more than the (\d+) bytes of shared memory a block may have$/.exec(why))
  ) {
    documented = 4 * (G * H + B * H + B * G) > Number(m[1]);
  } else if ((m = /^(\d+) blocks of (\d+) units would be needed, but only (\d+) can be resident at once$/.exec(why))) {
    const [needed, units, resident] = m.slice(1).map(Number);
    documented = needed > resident && needed === directions * Math.ceil(H / units);
  } else documented = false;
  if (!documented) throw new Error(`${label}: the persistent kernel declined for a reason the sizes do not bear out: ${why}`);
  declines.push(`${label}: ${why}`);
}

afterAll(() => {
  if (gpu)
    console.log(
      `the persistent kernel declined ${declines.length} call(s) (each checked against the documented limits)${declines.map((d) => `\n  ${d}`).join('')}`,
    );
});

// The recurrent kernel of the calls in body(); 'persistent' fails rather than fall back.
function withKernel(kernel: 'auto' | 'persistent' | 'step', body: () => void): void {
  beforeAll(() => {
    expect(setCudaRecurrent(kernel)).toBe(true);
  });
  afterAll(() => {
    setCudaRecurrent('auto');
  });
  body();
}

(gpu ? describe : describe.skip)(`CUDA comparisons (${where})`, () => {
  describe.each(CELLS)('%s', (_, cell, cellAttrs) => {
    describe.each(['persistent', 'step'] as const)('%s kernel', (kernel) => {
      withKernel(kernel, () => {
        test.each(variants(cell))('%s', (name, shape, attrs) => {
          for (const [k, size] of SIZES.entries()) {
            const c = makeCase({ ...size, cell, seed: 7 * k + name.length, ...shape } as CaseShape);
            const label = `${cell} ${name} ${JSON.stringify(size)}`;
            try {
              expectCudaMatches(cell, c, { ...cellAttrs, ...attrs }, label);
            } catch (err) {
              if (kernel !== 'persistent' || !/cannot run this call/.test(String(err))) throw err;
              expectDocumentedDecline(cell, size, shape.direction === 'bidirectional' ? 2 : 1, err, label);
            }
          }
        });
      });
    });

    describe('auto kernel', () => {
      withKernel('auto', () => {
        test.each(FALLBACK_SIZES.map((s) => [JSON.stringify(s), s] as const))('falls back to per-step kernels at %s', (_, size) => {
          const shape = { direction: 'bidirectional', sequenceLens: 'random', initialState: true } as const;
          const c = makeCase({ ...size, cell, seed: 11, ...shape });
          expectCudaMatches(cell, c, { ...cellAttrs, direction: 'bidirectional' }, `${cell} ${JSON.stringify(size)}`);
        });

        test('every sequence empty: zeros in Y, the initial state in Y_h', () => {
          const size = SIZES[1];
          const c = makeCase({ ...size, cell, seed: 5, initialState: true, sequenceLens: new Array(size.B).fill(0) });
          expectCudaMatches(cell, c, cellAttrs, `${cell} empty`);
        });

        test('runAsync matches the reference', async () => {
          const c = makeCase({ ...SIZES[2], cell, seed: 9, direction: 'bidirectional' });
          const attrs = { ...cellAttrs, direction: 'bidirectional' };
          const op = makeCudaOp(cell, c.weights, attrs);
          try {
            expectMatchesReference(cell, c, attrs, `${cell} async`, (await op.runAsync(c.inputs)) as Outputs);
          } finally {
            op.dispose();
          }
        });
      });
    });
  });

  // Past H = 128 the persistent kernel may decline, as documented: where it runs it must match,
  // where it declines its reason must hold for these sizes. (The emulated device, 8
  // multiprocessors of 64 KiB, holds the GRU at H = 200 on one direction but not the LSTM.)
  test.each(CELLS)('%s above H = 128: the persistent kernel matches or declines as documented', (_, cell, cellAttrs) => {
    setCudaRecurrent('persistent');
    try {
      for (const direction of ['forward', 'bidirectional'] as const) {
        const size = { T: 2, B: 2, I: 3, H: 200 };
        const c = makeCase({ ...size, cell, seed: 13, direction });
        const label = `${cell} ${direction} ${JSON.stringify(size)}`;
        try {
          expectCudaMatches(cell, c, { ...cellAttrs, direction }, label);
        } catch (err) {
          expectDocumentedDecline(cell, size, direction === 'bidirectional' ? 2 : 1, err, label);
        }
      }
    } finally {
      setCudaRecurrent('auto');
    }
  });

  test('NaN in one batch entry stays in that entry', () => {
    const c = makeCase({ ...SIZES[1], cell: 'LSTM', seed: 2 });
    (c.inputs.X.data as Float32Array)[c.inputs.X.dims[2]] = NaN; // t = 0, b = 1
    expectCudaMatches('LSTM', c, {}, 'LSTM NaN');
  });

  test('dispose during runAsync is safe; later calls throw', async () => {
    const c = makeCase({ ...SIZES[2], cell: 'GRU', seed: 4 });
    const op = new GruOp(c.weights, { device: 'cuda' });
    expect(op.packedBytes).toBeGreaterThan(0);
    const pending = op.runAsync(c.inputs);
    op.dispose();
    expect((await pending).Y_h).toBeDefined();
    expect(() => op.run(c.inputs)).toThrow('GruOp.run: this operator has been disposed');
  });

  test('the persistent kernel, asked for where it cannot run, is an error that says why', () => {
    const c = makeCase({ ...FALLBACK_SIZES[0], cell: 'GRU', seed: 1, direction: 'bidirectional' });
    const op = new GruOp(c.weights, { device: 'cuda', direction: 'bidirectional' });
    setCudaRecurrent('persistent');
    try {
      expect(() => op.run(c.inputs)).toThrow(/^gatedrnn: the persistent recurrent kernel was asked for, but cannot run this call: ./);
    } finally {
      setCudaRecurrent('auto');
      op.dispose();
    }
  });

  test('setCudaRecurrent rejects other names', () => {
    expect(setCudaRecurrent('fast' as never)).toBe(false);
  });
});

describe('the device option', () => {
  const c = makeCase({ T: 3, B: 2, I: 4, H: 5, cell: 'GRU', seed: 1 });
  const lstm = makeCase({ T: 3, B: 2, I: 4, H: 5, cell: 'LSTM', seed: 1 });

  test('backendInfo().cuda is true exactly when CUDA was built and a GPU found', () => {
    const b = backendInfo();
    expect(b.cuda).toBe(b.cudaInfo.built && b.cudaInfo.devices > 0);
    expect(typeof b.cudaInfo.built).toBe('boolean');
    expect(Number.isInteger(b.cudaInfo.devices)).toBe(true);
    if (!b.cuda) expect(b.cudaInfo.error).toEqual(expect.any(String));
    else expect(b.cudaInfo.name).toEqual(expect.any(String));
  });

  test("device 'cpu' is the default", () => {
    const a = new GruOp(c.weights, { device: 'cpu' });
    const b = new GruOp(c.weights);
    expect(a.run(c.inputs).Y_h!.data).toEqual(b.run(c.inputs).Y_h!.data);
    a.dispose();
    b.dispose();
  });

  test('an unknown device is a TypeError that names the option', () => {
    expect(() => new GruOp(c.weights, { device: 'gpu' as never })).toThrow(
      new TypeError(`new GruOp: expected device to be 'cpu' or 'cuda', but received "gpu" of type string`),
    );
  });

  test('what the CUDA kernels do not cover is an error on every machine', () => {
    const rnn = makeCase({ T: 3, B: 2, I: 4, H: 5, cell: 'RNN', seed: 1 });
    expect(() => new RnnOp(rnn.weights, { device: 'cuda' })).toThrow(
      "new RnnOp: device 'cuda' runs GruOp and LstmOp; RnnOp is not supported on cuda (use device 'cpu')",
    );
    expect(() => new GruOp(c.weights, { device: 'cuda', precision: 'bf16' })).toThrow(
      "new GruOp: precision 'bf16' is not supported on device 'cuda' (use 'fp32')",
    );
    expect(() => new LstmOp(lstm.weights, { device: 'cuda', activations: ['HardSigmoid', 'Tanh', 'Tanh'] })).toThrow(
      "new LstmOp: device 'cuda' supports only the default activations (Sigmoid, Tanh, Tanh), but received HardSigmoid, Tanh, Tanh",
    );
    // The defaults spelled out are fine (where CUDA is missing, that error comes instead).
    const spelled = () => new GruOp(c.weights, { device: 'cuda', activations: ['Sigmoid', 'Tanh'] }).dispose();
    if (gpu) expect(spelled).not.toThrow();
    else expect(spelled).toThrow("new GruOp: device 'cuda' needs");
  });

  (info.built ? test.skip : test)("device 'cuda' in a build without CUDA names the build it needs", () => {
    for (const make of [() => new GruOp(c.weights, { device: 'cuda' }), () => new LstmOp(lstm.weights, { device: 'cuda' })]) {
      expect(make).toThrow(
        /^new (Gru|Lstm)Op: device 'cuda' needs the addon built with its CUDA kernels, and this one was built without them .*GATEDRNN_CUDA=1 npm rebuild gatedrnn/,
      );
    }
  });

  (info.built && info.devices === 0 ? test : test.skip)("device 'cuda' without a GPU says so, with the runtime's reason", () => {
    expect(() => new GruOp(c.weights, { device: 'cuda' })).toThrow(
      `new GruOp: device 'cuda' needs an NVIDIA GPU; this addon was built with CUDA but no GPU was found (${info.error})`,
    );
  });
});
