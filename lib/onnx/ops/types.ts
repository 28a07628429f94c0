// The contract between the session and the op modules: an op is created once per node at load
// (attributes read and checked, constant weights packed), then run once per call.
import type { Device } from '../../ops/spec';
import type { RecurrentOp } from '../../ops/recurrent';
import type { Attributes, GraphNode } from '../graph';
import { NodeError, type Value, type ValueType } from '../values';

export interface OpContext {
  node: GraphNode;
  opset: number;
  /** Prefix for messages: "loadOnnx: node 'x' (Op, opset N)". */
  where: string;
  attrs: Attributes;
  /** The node's input k when it is known at load (an initializer or folded), else undefined. */
  constant(k: number): Value | undefined;
  threads: number;
  device: Device;
}

export interface Kernel {
  /** Inputs by position, undefined where absent; returns outputs by position. */
  run(inputs: (Value | undefined)[], where: string): Value[];
  /** Present on kernels whose work belongs off the event loop (the recurrent nodes). */
  runAsync?(inputs: (Value | undefined)[], where: string): Promise<Value[]>;
  dispose?(): void;
  /** False: never evaluated at load even when every input is constant. */
  foldable?: boolean;
  /**
   * A recurrent node's checked attributes and weights when they are known at load: what a native
   * plan packs. The kernel packs its own copy only when it first runs.
   */
  definition?: RecurrentOp<never, never>['definition'];
}

export interface OpDef {
  /** The attribute names the op takes at this opset. */
  attributes(opset: number): readonly string[];
  /** Inputs: required count and most allowed, at this opset. */
  inputs(opset: number): readonly [number, number];
  create(ctx: OpContext): Kernel;
}

/** The input at `k`, which must be present and of one of `types`. */
export function input(where: string, inputs: (Value | undefined)[], k: number, types: readonly ValueType[]): Value {
  const v = inputs[k];
  if (v === undefined) throw new NodeError(`${where}: input ${k} is required but absent`);
  if (!types.includes(v.type)) {
    throw new NodeError(
      `${where}: expected input ${k} to be ${types.join(' or ')}, but received ${v.type} with dims [${v.dims.join(', ')}]`,
    );
  }
  return v;
}

/** An optional input: undefined when absent (or given as an empty name). */
export function optionalInput(where: string, inputs: (Value | undefined)[], k: number, types: readonly ValueType[]): Value | undefined {
  return inputs[k] === undefined ? undefined : input(where, inputs, k, types);
}

export const NUMERIC: readonly ValueType[] = ['float32', 'int32', 'int64'];
export const ANY: readonly ValueType[] = ['float32', 'int32', 'int64', 'bool'];
export const INTS: readonly ValueType[] = ['int32', 'int64'];

/** An op with fixed attributes and input counts at every opset. */
export function simple(attributes: readonly string[], inputs: readonly [number, number], create: (ctx: OpContext) => Kernel): OpDef {
  return { attributes: () => attributes, inputs: () => inputs, create };
}

/** A kernel that is a pure function of its inputs. */
export function pure(run: (inputs: (Value | undefined)[], where: string) => Value[]): Kernel {
  return { run };
}
