// Optimizers against hand-computed steps (Keras's formulas), clipping, schedules, callbacks.
import { callbacks, optimizers, schedules, type Optimizer } from '../../lib';
import type { Param } from '../../lib/layers';

function param(value: number[], grad: number[]): Param {
  return { name: 'w', shape: [value.length], value: Float32Array.from(value), grad: Float32Array.from(grad), rows: null, rowSize: 0 };
}

/** Applies `steps` updates with fixed gradients and returns the values after each. */
function run(opt: Optimizer, w0: number[], grads: number[][]): number[][] {
  const p = param(w0, grads[0]);
  const out: number[][] = [];
  for (const g of grads) {
    p.grad.set(g);
    opt.apply([p]);
    out.push(Array.from(p.value));
  }
  return out;
}

function expectSteps(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6)));
}

const w0 = [1, -2];
const gs = [
  [0.5, -1],
  [0.25, 2],
  [-1, 0.5],
];

describe('optimizers', () => {
  test('sgd: w -= lr g (Keras default lr 0.01)', () => {
    const expected: number[][] = [];
    const w = [...w0];
    for (const g of gs) {
      w[0] -= 0.01 * g[0];
      w[1] -= 0.01 * g[1];
      expected.push([...w]);
    }
    expectSteps(run(optimizers.sgd(), w0, gs), expected);
  });

  test('sgd with momentum and nesterov', () => {
    for (const nesterov of [false, true]) {
      const lr = 0.1;
      const mu = 0.9;
      const w = [...w0];
      const v = [0, 0];
      const expected: number[][] = [];
      for (const g of gs) {
        for (let i = 0; i < 2; i++) {
          v[i] = mu * v[i] - lr * g[i];
          w[i] += nesterov ? mu * v[i] - lr * g[i] : v[i];
        }
        expected.push([...w]);
      }
      expectSteps(run(optimizers.sgd({ learningRate: lr, momentum: mu, nesterov }), w0, gs), expected);
    }
  });

  test('adam: bias-corrected step; first step moves each weight by about lr', () => {
    const lr = 0.01;
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    const w = [...w0];
    const m = [0, 0];
    const v = [0, 0];
    const expected: number[][] = [];
    gs.forEach((g, s) => {
      const t = s + 1;
      const a = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      for (let i = 0; i < 2; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        w[i] -= (a * m[i]) / (Math.sqrt(v[i]) + eps);
      }
      expected.push([...w]);
    });
    const steps = run(optimizers.adam({ learningRate: lr }), w0, gs);
    expectSteps(steps, expected);
    expect(steps[0][0]).toBeCloseTo(1 - 0.01, 5);
    expect(steps[0][1]).toBeCloseTo(-2 + 0.01, 5);
  });

  test('adamw: decoupled decay w -= lr wd w before the Adam step (default wd 0.004)', () => {
    const lr = 0.01;
    const wd = 0.004;
    const w = [...w0];
    const m = [0, 0];
    const v = [0, 0];
    const expected: number[][] = [];
    gs.forEach((g, s) => {
      const t = s + 1;
      const a = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      for (let i = 0; i < 2; i++) {
        w[i] -= lr * wd * w[i];
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        w[i] -= (a * m[i]) / (Math.sqrt(v[i]) + 1e-7);
      }
      expected.push([...w]);
    });
    expectSteps(run(optimizers.adamw({ learningRate: lr }), w0, gs), expected);
  });

  test('rmsprop: plain, with momentum, centered', () => {
    for (const [momentum, centered] of [
      [0, false],
      [0.5, false],
      [0, true],
      [0.5, true],
    ] as const) {
      const lr = 0.01;
      const rho = 0.9;
      const w = [...w0];
      const v = [0, 0];
      const mom = [0, 0];
      const avg = [0, 0];
      const expected: number[][] = [];
      for (const g of gs) {
        for (let i = 0; i < 2; i++) {
          v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
          let denom = v[i] + 1e-7;
          if (centered) {
            avg[i] = rho * avg[i] + (1 - rho) * g[i];
            denom = v[i] - avg[i] * avg[i] + 1e-7;
          }
          const inc = (lr * g[i]) / Math.sqrt(denom);
          if (momentum > 0) {
            mom[i] = momentum * mom[i] + inc;
            w[i] -= mom[i];
          } else w[i] -= inc;
        }
        expected.push([...w]);
      }
      expectSteps(run(optimizers.rmsprop({ learningRate: lr, momentum, centered }), w0, gs), expected);
    }
  });

  test('Keras defaults and string names', () => {
    expect(optimizers.adam().getConfig()).toEqual({
      name: 'adam',
      learningRate: 0.001,
      clipNorm: null,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    });
    expect(optimizers.sgd().getConfig()).toEqual({ name: 'sgd', learningRate: 0.01, clipNorm: null, momentum: 0, nesterov: false });
    expect(optimizers.rmsprop().getConfig()).toEqual({
      name: 'rmsprop',
      learningRate: 0.001,
      clipNorm: null,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
    expect(optimizers.adamw().getConfig().weightDecay).toBe(0.004);
  });

  test('bad arguments name the argument', () => {
    expect(() => optimizers.adam({ learningRate: -1 })).toThrow(
      'optimizers.adam: expected learningRate to be a positive number or a schedule, but received -1',
    );
    expect(() => optimizers.sgd({ momentum: 1 })).toThrow('optimizers.sgd: expected momentum to be a number in [0, 1), but received 1');
    expect(() => optimizers.adam({ clipNorm: 0 })).toThrow('optimizers.adam: expected clipNorm to be a positive number, but received 0');
  });

  test('sparse parameters update only the touched rows', () => {
    const p: Param = {
      name: 'emb',
      shape: [3, 2],
      value: Float32Array.from([1, 1, 2, 2, 3, 3]),
      grad: Float32Array.from([0, 0, 1, 1, 0, 0]),
      rows: Int32Array.from([1]),
      rowSize: 2,
    };
    const opt = optimizers.adam({ learningRate: 0.1 });
    opt.apply([p]);
    expect(Array.from(p.value)).toEqual([1, 1, expect.closeTo(1.9, 5), expect.closeTo(1.9, 5), 3, 3]);
  });
});

describe('clipping', () => {
  test('clipNorm rescales all gradients by their global norm', () => {
    const a = param([0, 0], [3, 0]);
    const b = param([0], [4]);
    optimizers.sgd({ learningRate: 1, clipNorm: 1 }).apply([a, b]);
    // Global norm 5 -> scaled by 1/5.
    expect(Array.from(a.value)).toEqual([expect.closeTo(-0.6, 6), 0]);
    expect(b.value[0]).toBeCloseTo(-0.8, 6);
    const c = param([0], [0.5]);
    optimizers.sgd({ learningRate: 1, clipNorm: 1 }).apply([c]);
    expect(c.value[0]).toBeCloseTo(-0.5, 6);
  });
});

describe('schedules', () => {
  test('stepDecay: lr * rate^floor(step / decaySteps)', () => {
    const s = schedules.stepDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5 });
    expect([0, 1, 2, 3, 4].map((t) => s.at(t))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
  });

  test('cosineDecay from the initial rate to alpha times it', () => {
    const s = schedules.cosineDecay({ initialLearningRate: 1, decaySteps: 4, alpha: 0.1 });
    expect(s.at(0)).toBeCloseTo(1, 10);
    expect(s.at(2)).toBeCloseTo(0.55, 10);
    expect(s.at(4)).toBeCloseTo(0.1, 10);
    expect(s.at(9)).toBeCloseTo(0.1, 10);
  });

  test('an optimizer follows its schedule step by step', () => {
    const opt = optimizers.sgd({ learningRate: schedules.stepDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 }) });
    expectSteps(run(opt, [0], [[1], [1], [1]]), [[-1], [-1.5], [-1.75]]);
  });

  test('reduceLROnPlateau lowers the rate after `patience` epochs without improvement', () => {
    const opt = optimizers.sgd({ learningRate: 0.1 });
    const cb = callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5 });
    cb.setModel({ stopTraining: false, optimizer: opt, getWeights: () => [], setWeights: () => undefined });
    const rates = [1, 0.9, 0.95, 0.96, 0.5, 0.6, 0.7].map((loss, e) => {
      cb.onEpochEnd(e, { loss });
      return opt.learningRate;
    });
    // Keras: with patience 1 every epoch that does not improve lowers the rate.
    expect(rates.map((r) => +(r as number).toPrecision(6))).toEqual([0.1, 0.1, 0.05, 0.025, 0.025, 0.0125, 0.00625]);
  });

  test('earlyStopping stops after patience and restores the best weights', () => {
    let weights: Float32Array[] = [Float32Array.from([0])];
    const model = {
      stopTraining: false,
      optimizer: null,
      getWeights: () => weights.map((w) => Float32Array.from(w)),
      setWeights: (w: Float32Array[]) => (weights = w),
    };
    const cb = callbacks.earlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true });
    cb.setModel(model);
    const losses = [3, 2, 2.5, 2.1];
    for (let e = 0; e < losses.length && !model.stopTraining; e++) {
      weights = [Float32Array.from([e])];
      cb.onEpochEnd(e, { val_loss: losses[e] });
    }
    expect(model.stopTraining).toBe(true);
    expect(cb.stoppedEpoch).toBe(2);
    expect(weights[0][0]).toBe(1);
  });
});
