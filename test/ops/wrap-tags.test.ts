/**
 * The addon's classes check `this` by type tag before they unwrap it: a method or getter of one
 * class called on an instance of another, on a plain object or on a primitive is a TypeError that
 * names `this`, what was expected and what came, never a read through a pointer of the wrong type.
 * And NativePlan reads every property of its arguments before it looks into any array, so a getter
 * that detaches an array read earlier makes an Error, not a use of freed memory.
 */
import type { NativeSpec } from '../../binding';
import { binding } from '../../lib/native';

const b = binding();
// A GRU with the default activations (Sigmoid = 2, Tanh = 1 in the native enum).
const spec: NativeSpec = {
  cell: 1,
  hiddenSize: 2,
  inputSize: 3,
  numDirections: 1,
  reverse: false,
  linearBeforeReset: false,
  inputForget: false,
  layout: 0,
  bf16Weights: false,
  acts: [2, 0, 0, 1, 0, 0],
};
const weights = () => ({ W: new Float32Array(18), R: new Float32Array(12) });
const inputs = () => ({ seqLength: 1, batchSize: 1, X: new Float32Array(3), wantY: true, wantYh: false, wantYc: false });

function detach(a: Float32Array): void {
  const buffer = a.buffer as ArrayBuffer;
  structuredClone(buffer, { transfer: [buffer] });
}

// The error fn throws. Errors made by the addon come from Node's main realm, not the test's, so
// their class is checked by name.
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

function expectError(fn: () => unknown, name: 'TypeError' | 'RangeError', message: string): void {
  const e = thrown(fn);
  expect(e.name).toBe(name);
  expect(e.message).toContain(message);
}

// A plan with an empty program: the input is copied into the arena and the output out of it.
const identityCall = (input: Float32Array, output: Float32Array) => ({
  program: new Int32Array(0),
  params: new Float32Array(0),
  consts: [],
  arenaWords: 16,
  inputs: [input],
  inputSlots: Int32Array.from([0, input.length]),
  outputs: [output],
  outputSlots: Int32Array.from([0, output.length]),
});

describe('type tags', () => {
  const rnn = new b.NativeRnn(spec, weights(), 1);
  const trainer = new b.NativeRnnTrainer(spec, 1);
  const plan = new b.NativePlan({ matrices: [], rnns: [], threads: 0 });
  const others: [string, unknown][] = [
    ['a NativeRnn', rnn],
    ['a NativeRnnTrainer', trainer],
    ['a NativePlan', plan],
    ['an object of another class', {}],
    ['an object of another class', Object.create(b.NativeRnn.prototype)],
    // Methods are sloppy-mode functions: undefined arrives as the global object, 5 as a Number.
    ['an object of another class', undefined],
    ['an object of another class', 5],
  ];
  const classes: [string, { prototype: object }, string[]][] = [
    ['NativeRnn', b.NativeRnn, ['run', 'runAsync', 'dispose']],
    ['NativeRnnTrainer', b.NativeRnnTrainer, ['forward', 'forwardAsync', 'backward', 'backwardAsync', 'dispose']],
    ['NativeCudaRnn', b.NativeCudaRnn, ['run', 'runAsync', 'dispose']],
    ['NativePlan', b.NativePlan, ['run', 'runAsync', 'dispose']],
  ];

  for (const [name, cls, methods] of classes) {
    test(`${name}'s methods and getters refuse another class's object as this`, () => {
      const proto = cls.prototype as Record<string, (...a: unknown[]) => unknown>;
      for (const [what, self] of others) {
        if (what === `a ${name}`) continue;
        const message = `expected this to be a ${name}, but received ${what}`;
        for (const m of methods) {
          expectError(() => proto[m].call(self, weights(), inputs(), new Float32Array(1), {}), 'TypeError', `${name}.${m}: ${message}`);
        }
        const packed = Object.getOwnPropertyDescriptor(cls.prototype, 'packedBytes');
        if (packed?.get) expectError(() => packed.get!.call(self), 'TypeError', `${name}.packedBytes: ${message}`);
      }
    });
  }

  test('the objects still work after the refused calls', async () => {
    expect(Array.from(rnn.run(inputs()).Y!)).toEqual([0, 0]);
    expect(Array.from((await rnn.runAsync(inputs())).Y!)).toEqual([0, 0]);
    expect(rnn.packedBytes).toBeGreaterThan(0);
    expect(Array.from(trainer.forward(weights(), inputs()).Y!)).toEqual([0, 0]);
    const out = new Float32Array(4);
    plan.run(identityCall(Float32Array.from([1, 2, 3, 4]), out));
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
    const outAsync = new Float32Array(4);
    await plan.runAsync(identityCall(Float32Array.from([5, 6, 7, 8]), outAsync));
    expect(Array.from(outAsync)).toEqual([5, 6, 7, 8]);
  });
});

describe('NativePlan reads every property before it looks into an array', () => {
  test('a matrix whose K getter detaches the previous matrix: a TypeError, not freed memory', () => {
    const first = new Float32Array(4);
    const description = {
      matrices: [
        { B: first, K: 2, N: 2, trans: false },
        {
          get K() {
            detach(first);
            return 2;
          },
          N: 2,
          B: new Float32Array(4),
          trans: false,
        },
      ],
      rnns: [],
      threads: 0,
    };
    expectError(() => new b.NativePlan(description), 'TypeError', 'matrices[].B must be a Float32Array of 4');
  });

  test('a call whose outputSlots getter detaches an input or output: a RangeError, sync and async', async () => {
    const plan = new b.NativePlan({ matrices: [], rnns: [], threads: 0 });
    for (const which of ['input', 'output'] as const) {
      for (const run of [(c: object) => plan.run(c as never), (c: object) => plan.runAsync(c as never)]) {
        const input = new Float32Array(4);
        const output = new Float32Array(4);
        const call = identityCall(input, output);
        const slots = call.outputSlots;
        Object.defineProperty(call, 'outputSlots', {
          get: () => {
            detach(which === 'input' ? input : output);
            return slots;
          },
        });
        expectError(() => run(call), 'RangeError', 'does not fit its place in the arena');
      }
    }
  });

  test('an output detached while runAsync computes is left alone; the call still resolves', async () => {
    const plan = new b.NativePlan({ matrices: [], rnns: [], threads: 0 });
    const kept = new Float32Array(4);
    const gone = new Float32Array(4);
    const call = identityCall(Float32Array.from([1, 2, 3, 4]), gone);
    call.outputs.push(kept);
    call.outputSlots = Int32Array.from([0, 4, 0, 4]);
    const pending = plan.runAsync(call);
    detach(gone);
    expect(typeof (await pending)).toBe('number');
    expect(gone.length).toBe(0);
    expect(Array.from(kept)).toEqual([1, 2, 3, 4]);
  });

  test("slots that lie about an array's length: a RangeError", () => {
    const plan = new b.NativePlan({ matrices: [], rnns: [], threads: 0 });
    const call = identityCall(new Float32Array(4), new Float32Array(4));
    call.inputSlots = Int32Array.from([14, 4]);
    expectError(() => plan.run(call), 'RangeError', 'does not fit its place in the arena');
  });
});
