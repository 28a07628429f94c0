// Argument checks with one rule, Node's own (validateInteger and friends in node core): a value
// of the wrong type (not a number, not a string, not a boolean) is a TypeError; a value of the
// right type that is not allowed (a number that is not an integer or is out of range, a string
// outside the allowed set) is a RangeError. Messages keep the shape of errors.ts.
import { describe, rangeError, typeError } from './errors';

/** The largest int32: sizes, counts and thread numbers that reach native code fit in it. */
export const INT32_MAX = 0x7fffffff;

function checkInteger(where: string, name: string, value: unknown, min: number, max: number, expected: string, overMax: string): number {
  if (typeof value !== 'number') throw typeError(where, name, expected, value);
  if (!Number.isInteger(value) || value < min) throw rangeError(where, name, expected, describe(value));
  if (value > max) throw rangeError(where, name, overMax, describe(value));
  return value;
}

/** An integer in [min, max]; `expected` says so in messages, e.g. 'an integer from 7 to 22'. */
export function integer(where: string, name: string, value: unknown, min: number, max: number, expected: string): number {
  return checkInteger(where, name, value, min, max, expected, expected);
}

/** An integer in [1, max]. */
export function positiveInt(where: string, name: string, value: unknown, max = INT32_MAX): number {
  return checkInteger(where, name, value, 1, max, 'a positive integer', `at most ${max}`);
}

/** An integer in [0, max]. */
export function nonNegativeInt(where: string, name: string, value: unknown, max = INT32_MAX): number {
  return checkInteger(where, name, value, 0, max, 'a non-negative integer', `at most ${max}`);
}

/** A finite number in [min, max]; `expected` names it in messages (default: 'a finite number'). */
export function finite(where: string, name: string, value: unknown, min = -Infinity, max = Infinity, expected = 'a finite number'): number {
  if (typeof value !== 'number') throw typeError(where, name, expected, value);
  if (!Number.isFinite(value) || value < min || value > max) throw rangeError(where, name, expected, describe(value));
  return value;
}

/** A number in [0, 1): a rate or a fraction of the data. */
export function fraction(where: string, name: string, value: unknown): number {
  const expected = 'a number in [0, 1)';
  if (typeof value !== 'number') throw typeError(where, name, expected, value);
  if (!(value >= 0 && value < 1)) throw rangeError(where, name, expected, describe(value));
  return value;
}

export function boolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(where, name, 'a boolean', value);
  return value;
}

/** One of `allowed`: a value of none of their types is a TypeError, any other value a RangeError. */
export function oneOf<T>(where: string, name: string, value: unknown, allowed: readonly T[], expected?: string): T {
  if (allowed.includes(value as T)) return value as T;
  const want = expected ?? allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ');
  if (!allowed.some((a) => typeof a === typeof value)) throw typeError(where, name, want, value);
  throw rangeError(where, name, want, describe(value));
}

/** An ONNX-style flag: 0, 1, true or false; absent is false. */
export function flag(where: string, name: string, value: unknown): boolean {
  if (value === undefined) return false;
  return Boolean(oneOf(where, name, value, [0, 1, true, false], '0, 1, true or false'));
}

export type Direction = 'forward' | 'reverse' | 'bidirectional';

/** A recurrent direction; absent is 'forward'. */
export function direction(where: string, value: unknown): Direction {
  if (value === undefined) return 'forward';
  return oneOf(where, 'direction', value, ['forward', 'reverse', 'bidirectional'] as const, "'forward', 'reverse' or 'bidirectional'");
}

/** An ONNX recurrent layout: 0 is [seq, batch, feature], 1 is [batch, seq, feature]; absent is 0. */
export function layout(where: string, value: unknown): 0 | 1 {
  if (value === undefined) return 0;
  return oneOf(where, 'layout', value, [0, 1] as const, '0 or 1');
}

/** A non-null object. */
export function object<T extends object>(where: string, name: string, value: unknown, expected: string): T {
  if (value === null || typeof value !== 'object') throw typeError(where, name, expected, value);
  return value as T;
}
