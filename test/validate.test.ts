/**
 * One rule for bad arguments, everywhere: a value of the wrong type is a TypeError, a value of
 * the right type that is not allowed (not an integer, out of range, not in the set) a RangeError.
 */
import { GruOp, layers, loadOnnx, optimizers, seq2seq, sequential } from '../lib';
import { gemm } from '../lib/ops/gemm';
import { RnnTrainer } from '../lib/ops/trainer';
import { direction, flag, fraction, integer, layout, nonNegativeInt, oneOf, positiveInt } from '../lib/validate';
import { makeCase } from './helpers/cases';

const { weights } = makeCase({ cell: 'GRU', T: 2, B: 1, I: 3, H: 4, seed: 1 });

/** Every place a positive integer is asked for, as a function of the value given. */
const positiveIntegers: Record<string, (v: unknown) => unknown> = {
  'layers.gru units': (v) => layers.gru({ units: v as number }),
  'layers.dense units': (v) => layers.dense({ units: v as number }),
  'layers.embedding outputDim': (v) => layers.embedding({ inputDim: 5, outputDim: v as number }),
  'GruOp hiddenSize': (v) => new GruOp(weights, { hiddenSize: v as number }),
  'GruOp threads': (v) => new GruOp(weights, { threads: v as number }),
  'RnnTrainer hiddenSize': (v) => new RnnTrainer({ cell: 'GRU', hiddenSize: v as number, inputSize: 3 }),
  'seq2seq units': (v) => seq2seq({ cell: 'gru', srcVocab: 5, tgtVocab: 5, embedDim: 2, units: v as number }),
  'gemm threads': (v) =>
    gemm({ M: 1, N: 1, K: 1, A: new Float32Array(1), B: new Float32Array(1), C: new Float32Array(1), threads: v as number }),
};

describe('the same wrong value gets the same error class everywhere', () => {
  for (const [name, make] of Object.entries(positiveIntegers)) {
    test(name, () => {
      expect(() => make(1.5)).toThrow(RangeError);
      expect(() => make(0)).toThrow(RangeError);
      expect(() => make(-2)).toThrow(RangeError);
      expect(() => make(NaN)).toThrow(RangeError);
      expect(() => make('3')).toThrow(TypeError);
      expect(() => make(null)).toThrow(TypeError);
      expect(() => make(4)).not.toThrow(); // 4 matches the weights' hidden size
    });
  }

  test('direction and layout: a GruOp and an RnnTrainer agree', () => {
    const op = (attrs: object) => () => new GruOp(weights, attrs);
    const trainer = (attrs: object) => () => new RnnTrainer({ cell: 'GRU', hiddenSize: 4, inputSize: 3, ...attrs });
    for (const make of [op, trainer]) {
      expect(make({ direction: 'sideways' })).toThrow(RangeError);
      expect(make({ direction: 2 })).toThrow(TypeError);
      expect(make({ layout: 2 })).toThrow(RangeError);
      expect(make({ layout: '1' })).toThrow(TypeError);
      expect(make({ linearBeforeReset: 2 })).toThrow(RangeError);
      expect(make({ linearBeforeReset: 'yes' })).toThrow(TypeError);
    }
  });

  test('names from a set: a string outside it is a RangeError, another type a TypeError', () => {
    expect(() => layers.dense({ units: 2, activation: 'gelu' as never })).toThrow(RangeError);
    expect(() => layers.dense({ units: 2, activation: 3 as never })).toThrow(TypeError);
    expect(() => new GruOp(weights, { precision: 'fp8' as never })).toThrow(RangeError);
    expect(() => new GruOp(weights, { device: 'gpu' as never })).toThrow(RangeError);
    expect(() => seq2seq({ cell: 'simpleRnn' as never, srcVocab: 5, tgtVocab: 5, embedDim: 2, units: 2 })).toThrow(RangeError);
    expect(() => seq2seq({ cell: 'gru', srcVocab: 5, tgtVocab: 5, embedDim: 2, units: 2, attention: 'bahdanau' as never })).toThrow(
      RangeError,
    );
    expect(() => seq2seq({ cell: 'gru', srcVocab: 5, tgtVocab: 5, embedDim: 2, units: 2, attention: 1 as never })).toThrow(TypeError);
    expect(() => layers.dropout({ rate: 1.5 })).toThrow(RangeError);
    expect(() => layers.dropout({ rate: '0.5' as never })).toThrow(TypeError);
    expect(() => optimizers.adam({ learningRate: -1 })).toThrow(RangeError);
    expect(() => optimizers.adam({ learningRate: '0.1' as never })).toThrow(TypeError);
  });

  test('asynchronous APIs reject by the same rule', async () => {
    await expect(loadOnnx(new Uint8Array(0), { threads: 1.5 })).rejects.toThrow(RangeError);
    await expect(loadOnnx(new Uint8Array(0), { threads: '2' as never })).rejects.toThrow(TypeError);
    const model = sequential([layers.dense({ units: 1 })]);
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(model.fit([[1]], [[1]], { epochs: 1, batchSize: 0.5, verbose: 0 })).rejects.toThrow(RangeError);
    await expect(model.fit([[1]], [[1]], { epochs: 1, batchSize: '2' as never, verbose: 0 })).rejects.toThrow(TypeError);
  });
});

describe('lib/validate.ts', () => {
  test('messages keep the house shape', () => {
    expect(() => positiveInt('f', 'n', 1.5)).toThrow('f: expected n to be a positive integer, but received 1.5 of type number');
    expect(() => positiveInt('f', 'n', '3')).toThrow('f: expected n to be a positive integer, but received "3" of type string');
    expect(() => positiveInt('f', 'n', 9, 8)).toThrow('f: expected n to be at most 8, but received 9 of type number');
    expect(() => nonNegativeInt('f', 'n', -1)).toThrow('f: expected n to be a non-negative integer, but received -1 of type number');
    expect(() => integer('f', 'opset', 30, 7, 22, 'an integer from 7 to 22')).toThrow(
      'f: expected opset to be an integer from 7 to 22, but received 30',
    );
    expect(() => oneOf('f', 'mode', 'x', ['a', 'b'])).toThrow(`f: expected mode to be 'a', 'b', but received "x" of type string`);
    expect(() => fraction('f', 'rate', 1)).toThrow('f: expected rate to be a number in [0, 1), but received 1 of type number');
  });

  test('defaults and accepted values', () => {
    expect(direction('f', undefined)).toBe('forward');
    expect(direction('f', 'reverse')).toBe('reverse');
    expect(layout('f', undefined)).toBe(0);
    expect(layout('f', 1)).toBe(1);
    expect(flag('f', 'x', undefined)).toBe(false);
    expect(flag('f', 'x', 1)).toBe(true);
    expect(flag('f', 'x', false)).toBe(false);
    expect(nonNegativeInt('f', 'n', 0)).toBe(0);
    expect(oneOf('f', 'x', 0, [0, 1, true])).toBe(0);
    expect(() => oneOf('f', 'x', false, [0, 1, true])).toThrow(RangeError);
    expect(() => oneOf('f', 'x', 'no', [0, 1, true])).toThrow(TypeError);
  });
});
