// Compiles a run of a session's steps into one native plan program (lib/ops/plan.ts) for one set
// of shapes: values that depend only on shapes (Shape, Gather of a shape, ConstantOfShape, ...)
// are computed here, in TypeScript, with the interpreter's own kernels; views (Reshape, Squeeze,
// Unsqueeze, Flatten, Identity) share their input's place in the arena; everything else becomes
// one instruction. Compiling stops at the first node the plan does not cover at these shapes:
// the segment so far is a program, the session runs that node through the interpreter, and the
// steps after it are compiled on their own once its outputs' shapes are known.
import type { PlanCall } from '../ops/plan';
import { Arena, type Known, type Slot, type Sym, Uncovered, arenaType } from './arena';
import { Attributes, type GraphNode } from './graph';
import type { Kernel } from './ops/types';
import { type Value, type ValueType, sizeOf } from './values';

/** One graph node as the session runs it. */
export interface PlanStep {
  node: GraphNode;
  kernel: Kernel;
}

/** A recurrent node's operator in the native plan. */
export interface PlannedRnn {
  index: number;
  spec: { hiddenSize: number; inputSize: number; numDirections: number; layout: number; cell: number };
}

/** What every compile of one session reads. */
export interface PlanParts {
  steps: readonly PlanStep[];
  outputNames: readonly string[];
  constants: ReadonlyMap<string, Value>;
  opset: number;
  /** The last step that reads each name (graph outputs: Infinity). */
  lastUse: ReadonlyMap<string, number>;
  /** GEMM/MatMul nodes whose right-hand side the plan packed. */
  matrices: ReadonlyMap<GraphNode, { index: number; K: number; N: number }>;
  rnns: ReadonlyMap<GraphNode, PlannedRnn>;
}

/** Steps [start, stop) compiled for one set of shapes. */
export interface CompiledSegment {
  start: number;
  /** The step the interpreter runs next (steps.length: none). */
  stop: number;
  /** null when the steps need no instruction (shape arithmetic only). */
  call: Omit<PlanCall, 'inputs' | 'outputs'> | null;
  /** The names copied into the arena, in the order of call.inputSlots. */
  inputs: string[];
  /** The names the call writes out (call.outputSlots), still read at or after `stop`. */
  outputs: { name: string; type: ValueType; dims: number[] }[];
  /** Values computed at compile time (not the model's constants) read at or after `stop`. */
  knowns: Map<string, Value>;
  flops: number;
}

export function attrs(node: GraphNode): Attributes {
  return new Attributes(
    node.label,
    node,
    node.attributes.map((a) => a.name ?? ''),
  );
}

export function toInts(v: Value): number[] {
  return Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x));
}

export const OP = {
  Gather: 1,
  Gemm: 2,
  AddBias: 3,
  Unary: 4,
  Softmax: 5,
  Transpose: 6,
  Slice: 7,
  Concat: 8,
  Rnn: 9,
  EqualScalar: 10,
  WhereScalars: 11,
  ReduceSumInt: 12,
  Load: 14,
} as const;
export const MAX_RANK = 6;
export const UNARY: Record<string, number> = { Relu: 0, Sigmoid: 1, Tanh: 2 };
export const VIEWS = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Dropout']);
/** Ops the plan runs on values computed from the feeds' data. */
export const COVERED = new Set([
  'Gather',
  'Gemm',
  'MatMul',
  'Add',
  'Softmax',
  'Transpose',
  'Slice',
  'Concat',
  'Equal',
  'Where',
  'ReduceSum',
  'Shape',
  'ConstantOfShape',
  'GRU',
  'LSTM',
  'RNN',
  ...Object.keys(UNARY),
  ...VIEWS,
]);

export type Set1 = (k: number, s: Sym) => void;

export abstract class SegmentCompiler {
  private readonly values = new Map<string, Sym>();
  private readonly program: number[] = [];
  private readonly params: number[] = [];
  private readonly consts: (Float32Array | Int32Array)[] = [];
  private readonly constIndex = new Map<unknown, number>();
  private readonly arena = new Arena();
  private readonly inputs: string[] = [];
  private readonly inputSlots: number[] = [];
  protected flops = 0;

  /**
   * `externals`: the values in hand when step `start` runs (the feeds, or what earlier segments
   * and the interpreter computed), copied into the arena when a step reads them; `knowns`: values
   * known at compile time (the model's constants among them).
   */
  constructor(
    protected readonly parts: PlanParts,
    private readonly start: number,
    private readonly externals: ReadonlyMap<string, { type: ValueType; dims: readonly number[] }>,
    knowns: ReadonlyMap<string, Value>,
  ) {
    for (const [name, value] of knowns) this.values.set(name, { kind: 'known', value });
  }

  compile(): CompiledSegment {
    const { steps, lastUse, constants } = this.parts;
    let stop = this.start;
    for (; stop < steps.length; stop++) {
      const mark = { program: this.program.length, params: this.params.length, flops: this.flops, bound: [] as string[] };
      try {
        this.step(steps[stop], mark.bound);
      } catch (e) {
        // Not covered here (or the interpreter's kernel refused the shapes: the interpreter
        // reports it): undone, and left to the interpreter.
        if (!(e instanceof Uncovered) && !(e instanceof Error)) throw e;
        this.program.length = mark.program;
        this.params.length = mark.params;
        this.flops = mark.flops;
        for (const n of mark.bound) this.values.delete(n);
        break;
      }
      // After the step: release what no later step reads (its last inputs, outputs nobody reads).
      for (const n of new Set([...steps[stop].node.inputs, ...steps[stop].node.outputs])) {
        if (n !== '' && (lastUse.get(n) ?? stop) === stop) this.release(n);
      }
    }
    const live = (name: string) => (lastUse.get(name) ?? -1) >= stop;
    const outputs: CompiledSegment['outputs'] = [];
    const outputSlots: number[] = [];
    const knowns = new Map<string, Value>();
    for (const [name, s] of this.values) {
      if (!live(name)) continue;
      if (s.kind === 'known') {
        if (!constants.has(name)) knowns.set(name, s.value);
      } else if (!(this.externals.has(name) && this.inputs.includes(name) && this.isInput(name, s))) {
        outputs.push({ name, type: s.as, dims: s.dims });
        outputSlots.push(s.slot, sizeOf(s.dims));
      }
    }
    const call =
      this.program.length === 0 && outputs.length === 0
        ? null
        : {
            program: Int32Array.from(this.program),
            params: Float32Array.from(this.params),
            consts: this.consts,
            arenaWords: this.arena.words,
            inputSlots: Int32Array.from(this.inputSlots),
            outputSlots: Int32Array.from(outputSlots),
          };
    return { start: this.start, stop, call, inputs: call ? this.inputs : [], outputs, knowns, flops: this.flops };
  }

  /** Whether the name still holds the value copied in for it (so the caller has it already). */
  private isInput(name: string, s: Slot): boolean {
    const k = this.inputs.indexOf(name);
    return (
      this.inputSlots[2 * k] === s.slot &&
      sizeOf(s.dims) === this.inputSlots[2 * k + 1] &&
      s.type === arenaType(this.externals.get(name)!.type)
    );
  }

  protected alloc(dims: readonly number[], type: Slot['type'], as: ValueType = type): Slot {
    return this.arena.alloc(dims, type, as);
  }

  /** Names a value; a value in the arena keeps its region while a name for it is live. */
  private bind(name: string, s: Sym, bound?: string[]): void {
    if (this.values.has(name)) return;
    this.values.set(name, s);
    bound?.push(name);
    if (s.kind === 'slot') this.arena.hold(s);
  }

  private release(name: string): void {
    const s = this.values.get(name);
    if (s && s.kind === 'slot') this.arena.drop(s);
  }

  protected constant(data: Float32Array | Int32Array): number {
    let k = this.constIndex.get(data);
    if (k === undefined) {
      k = this.consts.length;
      this.consts.push(data);
      this.constIndex.set(data, k);
    }
    return k;
  }

  protected emit(...words: number[]): void {
    for (const w of words) if (!Number.isInteger(w) || w < -(2 ** 31) || w >= 2 ** 31) throw new Uncovered();
    this.program.push(...words);
  }

  protected param(v: number): number {
    this.params.push(v);
    return this.params.length - 1;
  }

  /** A value as a slot: known values are copied into the arena from a constant. */
  protected slotOf(s: Sym): Slot {
    if (s.kind === 'slot') return s;
    const v = s.value;
    let data: Float32Array | Int32Array;
    if (v.type === 'float32') data = v.data as Float32Array;
    else if (v.type === 'int32') data = v.data as Int32Array;
    else {
      const ints = toInts(v);
      if (ints.some((x) => x < -(2 ** 31) || x >= 2 ** 31)) throw new Uncovered();
      data = Int32Array.from(ints);
    }
    const out = this.alloc(v.dims, arenaType(v.type), v.type);
    this.emit(OP.Load, out.slot, this.constant(data), sizeOf(v.dims));
    return out;
  }

  /** A name's value: an external one is copied into the arena the first time a step reads it. */
  private get(name: string): Sym | undefined {
    if (name === '') return undefined;
    let s = this.values.get(name);
    if (!s) {
      const e = this.externals.get(name);
      if (!e) throw new Uncovered();
      s = this.arena.alloc(e.dims, arenaType(e.type), e.type, true);
      this.inputs.push(name);
      this.inputSlots.push(s.slot, sizeOf(e.dims));
      this.bind(name, s);
    }
    return s;
  }

  private step({ node, kernel }: PlanStep, bound: string[]): void {
    const set: Set1 = (k, s) => node.outputs[k] !== undefined && node.outputs[k] !== '' && this.bind(node.outputs[k], s, bound);
    if (node.opType === 'Shape') {
      // Dims only: an external value is not copied in for its shape.
      const x = this.values.get(node.inputs[0]);
      const dims = x ? (x.kind === 'slot' ? x.dims : [...x.value.dims]) : this.externals.get(node.inputs[0])?.dims;
      if (!dims) throw new Uncovered();
      const a = attrs(node);
      const r = dims.length;
      const clamp = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
      const part = dims.slice(clamp(a.int('start', 0)), clamp(a.int('end', r)));
      set(0, { kind: 'known', value: { type: 'int64', data: BigInt64Array.from(part.map(BigInt)), dims: [part.length] } });
      return;
    }
    const recurrent = node.opType === 'GRU' || node.opType === 'LSTM' || node.opType === 'RNN';
    const known = (n: string) => n === '' || this.values.get(n)?.kind === 'known';
    if (!recurrent && node.inputs.every(known)) {
      const ins = node.inputs.map((n) => (n === '' ? undefined : (this.values.get(n) as Known).value));
      const out = kernel.run(ins, node.label);
      out.forEach((v, k) => v && set(k, { kind: 'known', value: v }));
      return;
    }
    if (!COVERED.has(node.opType)) throw new Uncovered();
    const ins = node.inputs.map((n) => this.get(n));
    this.lower(node, kernel, ins, set);
  }

  /** Emits a covered node's instructions, or throws Uncovered. */
  protected abstract lower(node: GraphNode, kernel: Kernel, ins: (Sym | undefined)[], set: Set1): void;
}
