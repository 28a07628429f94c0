// The base of the Keras-like layers: per-sample shapes, parameters with their gradients, a
// training forward that keeps what the backward pass needs, and getConfig/fromConfig.
import { rangeError, typeError } from '../errors';
import { MAX_THREADS } from '../ops/recurrent';
import type { Rng } from '../rng';
import type { Param } from '../train/param';
import { integer } from '../validate';

export type { Param } from '../train/param';
export { makeParam } from '../train/param';

/** What flows between layers: a batch-major array and, after a masking embedding, each row's length. */
export interface Activation {
  data: Float32Array | Int32Array;
  dims: number[];
  lengths?: Int32Array;
}

export interface RunContext {
  training: boolean;
  rng: Rng;
}

export type LayerConfig = Record<string, unknown>;

export interface LayerArgs {
  name?: string;
  /**
   * On a model's first layer: the shape of one sample, as Keras's `inputShape`; `null` for a
   * free time axis ([null] token ids, [null, F] features). The model is then built at once.
   */
  inputShape?: (number | null)[];
}

/** A per-sample shape as users write it: -1 (a free axis) shown as null. */
export function showShape(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? 'null' : String(d))).join(', ')}]`;
}

/**
 * Checks a per-sample shape (positive sizes; null, or -1, for a free time axis, which only the
 * first axis may be) and returns it with -1 for free axes.
 */
export function toSampleShape(where: string, key: string, shape: unknown): number[] {
  const ok =
    Array.isArray(shape) &&
    shape.length > 0 &&
    shape.every((d, k) => (Number.isSafeInteger(d) && (d as number) > 0) || (k === 0 && (d === null || d === -1)));
  if (!ok)
    throw typeError(where, key, 'an array of positive integers, with null for a free time axis first (the shape of one sample)', shape);
  return (shape as (number | null)[]).map((d) => (d === null ? -1 : d));
}

export abstract class Layer {
  abstract readonly className: string;
  name: string | undefined;
  inputShape: number[] | undefined;
  outputShape: number[] | undefined;
  params: Param[] = [];

  /** Threads of the layer's native calls (undefined: GATEDRNN_THREADS, else every hardware thread); the model sets it. */
  threads: number | undefined = undefined;

  /** The `inputShape` argument (free axes -1): what a model builds its first layer for. */
  readonly declaredInputShape: number[] | undefined;

  constructor(args: LayerArgs, where: string) {
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === ''))
      throw typeError(where, 'name', 'a non-empty string', args.name);
    this.name = args.name;
    this.declaredInputShape = args.inputShape === undefined ? undefined : toSampleShape(where, 'inputShape', args.inputShape);
  }

  get built(): boolean {
    return this.inputShape !== undefined;
  }

  /** The label errors use: the layer's name once a model has given it one. */
  get label(): string {
    return `layer '${this.name ?? this.className}'`;
  }

  /**
   * Checks the per-sample input shape (-1 for a free axis), creates the parameters and returns
   * the output shape. A shape the layer refuses leaves it as it was.
   */
  build(inputShape: number[], rng: Rng): number[] {
    const params = this.params;
    try {
      const out = this.initialize([...inputShape], rng);
      this.inputShape = [...inputShape];
      this.outputShape = out;
      return out;
    } catch (e) {
      this.params = params;
      throw e;
    }
  }

  /** Forgets the shapes and parameters, as before build (a model whose first call failed). */
  unbuild(): void {
    this.dispose();
    this.inputShape = undefined;
    this.outputShape = undefined;
    this.params = [];
  }

  protected abstract initialize(inputShape: number[], rng: Rng): number[];

  abstract forward(x: Activation, ctx: RunContext): Promise<Activation>;

  /** Takes dLoss/dOutput, stores the parameters' gradients, returns dLoss/dInput (null for integer inputs). */
  abstract backward(dy: Float32Array): Promise<Float32Array | null>;

  /** Sets the threads of the native calls; native resources made for other threads are freed. */
  setThreads(threads: number | undefined): void {
    if (threads === this.threads) return;
    this.threads = threads;
    this.dispose();
  }

  /** Frees native resources; the layer may still be used (they are made again on demand). */
  dispose(): void {}

  /** Keras-style config: the constructor's arguments, defaults filled in. */
  abstract getConfig(): LayerConfig;

  countParams(): number {
    return this.params.reduce((a, p) => a + p.value.length, 0);
  }

  /** Checks a batch against the shape this layer was built for; names the layer and the axis. */
  protected checkInput(x: Activation, dtype: 'float32' | 'int32'): void {
    const shape = this.inputShape!;
    const tag = Object.prototype.toString.call(x.data);
    const want = dtype === 'float32' ? '[object Float32Array]' : '[object Int32Array]';
    if (tag !== want) throw typeError(this.label, 'input', `${dtype} data`, x.data);
    const ok = x.dims.length === shape.length + 1 && shape.every((d, i) => d < 0 || d === x.dims[i + 1]);
    if (!ok) {
      const expected = ['batch', ...shape.map((d) => (d < 0 ? 'steps' : String(d)))].join(', ');
      throw rangeError(this.label, 'input dims', `[${expected}]`, `[${x.dims.join(', ')}]`);
    }
  }
}

/** Reads an optional config value with a type check. */
export function option<T>(where: string, args: object, key: string, fallback: T, ok: (v: unknown) => boolean, expected: string): T {
  const v = (args as Record<string, unknown>)[key];
  if (v === undefined) return fallback;
  if (!ok(v)) throw typeError(where, key, expected, v);
  return v as T;
}

/** A model's `threads` option: undefined (the default), or a positive integer up to MAX_THREADS. */
export function checkThreads(where: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  return integer(where, 'threads', v, 1, MAX_THREADS, `a positive integer up to ${MAX_THREADS}`);
}

export const isBool = (v: unknown): boolean => typeof v === 'boolean';

export function requireArgs(where: string, args: unknown): object {
  if (args === null || typeof args !== 'object') throw typeError(where, 'its argument', 'a config object', args);
  return args;
}
