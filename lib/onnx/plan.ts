// A session's graph as one native plan (lib/ops/plan.ts, native/plan). At load, the weights the
// plan needs are handed over once: each GEMM/MatMul's constant right-hand side (packed into
// panels) and each recurrent node's packed weights. Per distinct set of input shapes, the nodes
// are compiled once into a program over one arena: values that depend only on shapes (Shape,
// Gather of a shape, ConstantOfShape, ...) are computed here, in TypeScript, with the
// interpreter's own kernels; views (Reshape, Squeeze, Unsqueeze, Flatten, Identity) share their
// input's place; everything else becomes one instruction. A node the plan does not cover makes
// that shape's program null, and the session then runs it through the interpreter, as it does
// when the plan fails on the data (so errors read as the interpreter writes them).
import { flatSpec, ExecutionPlan, PlanCall } from '../ops/plan';
import { Attributes, GraphNode } from './graph';
import type { Kernel } from './ops/types';
import { Value, sizeOf } from './values';

/** One graph node as the session runs it. */
export interface PlanStep {
  node: GraphNode;
  kernel: Kernel;
}

/**
 * A program whose call takes more CPU time than this (ms) runs on a worker thread in session.run;
 * smaller ones run inline. The hop to a worker and back costs tens of microseconds on an idle
 * machine and milliseconds when other jobs hold the cores (the worker waits to be scheduled),
 * while blocking the event loop for under a millisecond does no harm to a server.
 */
export const PLAN_INLINE_MS = 1;

/** Before any call is timed: flops per CPU millisecond, a low guess for one core. */
const GUESS_FLOPS_PER_MS = 2e7;

/**
 * Distinct input shapes whose programs are kept (a program is a few KiB); past this the oldest
 * is dropped. A server batching requests of every length meets hundreds of shapes.
 */
const MAX_PROGRAMS = 1024;

// Opcodes (native/plan/plan.h: PlanOp).
const OP = { Gather: 1, Gemm: 2, AddBias: 3, Unary: 4, Softmax: 5, Transpose: 6, Slice: 7, Concat: 8, Rnn: 9, EqualScalar: 10, WhereScalars: 11, ReduceSumInt: 12, Load: 14 } as const;
const MAX_RANK = 6;
const UNARY: Record<string, number> = { Relu: 0, Sigmoid: 1, Tanh: 2 };
const VIEWS = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Dropout']);

/**
 * A value held in the arena: 4-byte words from `slot` on (bool and int64 are held as int32),
 * inside `region`, which views of it share.
 */
interface Slot {
  kind: 'slot';
  slot: number;
  dims: number[];
  type: 'float32' | 'int32' | 'bool';
  region: number;
}
/** A value known when the program is compiled. */
interface Known {
  kind: 'known';
  value: Value;
}
type Sym = Slot | Known;

/** One input shape's compiled program, with what a call needs besides the feeds. */
export interface Program {
  call: Omit<PlanCall, 'inputs' | 'outputs'>;
  outputs: { name: string; type: 'float32'; dims: number[] }[];
  flops: number;
  /** The CPU time of a call (ms): a guess from the flops, then measured. */
  inlineMs: number;
  timed: boolean;
  /** Wall times (ms) of recent inline calls on the session's threads [0] and on one thread [1]. */
  wall: [number[], number[]];
  calls: number;
}

/**
 * For an inline call: 0 to run on the session's threads, 1 on one thread. Splitting small work
 * across threads pays only when the other cores are free; when other jobs (onnxruntime's
 * spinning threads among them) hold them, a call waits milliseconds for its second thread. So
 * both ways are timed now and then and the faster one is used, as the recurrent kernels do per
 * step.
 */
export function pickThreads(p: Program): 0 | 1 {
  const k = p.calls++;
  if (k < 6) return (k % 2) as 0 | 1;
  const median = (w: number[]) => [...w].sort((a, b) => a - b)[w.length >> 1];
  const best = median(p.wall[0]) <= median(p.wall[1]) ? 0 : 1;
  return k % 64 === 0 ? ((1 - best) as 0 | 1) : best;
}

export function recordWall(p: Program, way: 0 | 1, ms: number): void {
  const w = p.wall[way];
  w.push(ms);
  if (w.length > 3) w.shift();
}

/**
 * Folds a call's measured CPU milliseconds into the program's estimate (the first replaces the
 * guess) and into the session's rate, which the guesses for new shapes use.
 */
export function recordTime(plan: SessionPlan, p: Program, ms: number): void {
  p.inlineMs = p.timed ? 0.8 * p.inlineMs + 0.2 * ms : ms;
  p.timed = true;
  if (p.flops > 0 && ms > 0) plan.flopsPerMs = 0.8 * plan.flopsPerMs + 0.2 * (p.flops / ms);
}

function attrs(node: GraphNode): Attributes {
  return new Attributes(node.label, node, node.attributes.map((a) => a.name ?? ''));
}

function toInts(v: Value): number[] {
  return Array.from(v.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/** Compiles programs for one session's steps; holds the native plan. */
export class SessionPlan {
  private readonly programs = new Map<string, Program | null>();
  /** Flops per CPU millisecond of this session's calls so far. */
  flopsPerMs = GUESS_FLOPS_PER_MS;

  private constructor(
    private readonly steps: readonly PlanStep[],
    private readonly inputs: readonly { name: string }[],
    private readonly outputNames: readonly string[],
    private readonly constants: ReadonlyMap<string, Value>,
    private readonly opset: number,
    /** GEMM/MatMul nodes whose right-hand side the plan packed: node -> [matrix index, K, N, trans]. */
    private readonly matrices: Map<GraphNode, { index: number; K: number; N: number }>,
    /** Recurrent nodes with their operator's index in the plan. */
    private readonly rnns: Map<GraphNode, { index: number; spec: { hiddenSize: number; inputSize: number; numDirections: number; layout: number; cell: number } }>,
    readonly native: ExecutionPlan,
  ) {}

  /**
   * The plan of a session's steps, or null when a node can never be covered (an op outside the
   * plan's set on values computed from the feeds' data, recurrent weights known only at run
   * time), so that making one would only cost memory.
   */
  static create(args: { steps: readonly PlanStep[]; inputs: readonly { name: string }[]; outputNames: readonly string[]; constants: ReadonlyMap<string, Value>; opset: number; threads: number }): SessionPlan | null {
    const covered = new Set(['Gather', 'Gemm', 'MatMul', 'Add', 'Softmax', 'Transpose', 'Slice', 'Concat', 'Equal', 'Where', 'ReduceSum', 'Shape', 'ConstantOfShape', 'GRU', 'LSTM', 'RNN', ...Object.keys(UNARY), ...VIEWS]);
    const matrices = new Map<GraphNode, { index: number; K: number; N: number }>();
    const rnns = new Map<GraphNode, { index: number; spec: { hiddenSize: number; inputSize: number; numDirections: number; layout: number; cell: number } }>();
    const description: { matrices: { B: Float32Array; K: number; N: number; trans: boolean }[]; rnns: { spec: Float64Array; W: Float32Array; R: Float32Array; B?: Float32Array | null; P?: Float32Array | null }[]; threads: number } = { matrices: [], rnns: [], threads: args.threads };
    // Values that depend on the feeds' data (not only on their shapes): an op outside the plan's
    // set can run at compile time on shape-only values, never on these.
    const fromData = new Set(args.inputs.map((i) => i.name));
    for (const { node } of args.steps) {
      if (node.opType === 'Shape' || node.opType === 'Size' || !node.inputs.some((n) => fromData.has(n))) continue;
      if (!covered.has(node.opType)) return null;
      for (const o of node.outputs) if (o !== '') fromData.add(o);
    }
    for (const { node, kernel } of args.steps) {
      if (node.opType === 'Gemm' || node.opType === 'MatMul') {
        const B = args.constants.get(node.inputs[1]);
        if (!B || B.type !== 'float32' || B.dims.length !== 2) continue;
        const trans = node.opType === 'Gemm' && attrs(node).int('transB', 0) === 1;
        const [K, N] = trans ? [B.dims[1], B.dims[0]] : [B.dims[0], B.dims[1]];
        if (K < 1 || N < 1) continue;
        matrices.set(node, { index: description.matrices.length, K, N });
        description.matrices.push({ B: B.data as Float32Array, K, N, trans });
      } else if (node.opType === 'GRU' || node.opType === 'LSTM' || node.opType === 'RNN') {
        if (!kernel.packed) return null;
        const { spec, weights } = kernel.packed.definition;
        rnns.set(node, { index: description.rnns.length, spec });
        description.rnns.push({ spec: flatSpec(spec), W: weights.W, R: weights.R, B: weights.B ?? null, P: weights.P ?? null });
      }
    }
    return new SessionPlan(args.steps, args.inputs, args.outputNames, args.constants, args.opset, matrices, rnns, new ExecutionPlan(description));
  }

  /** The program for feeds of these types and dims (compiled on first sight), or null: use the interpreter. */
  program(feeds: readonly Value[]): Program | null {
    const key = feeds.map((v) => `${v.type}[${v.dims.join(',')}]`).join(';');
    let p = this.programs.get(key);
    if (p === undefined) {
      try {
        p = new Compiler(this, feeds).compile();
      } catch {
        // Shapes the interpreter's kernels refuse: the interpreter reports them.
        p = null;
      }
      if (this.programs.size >= MAX_PROGRAMS) this.programs.delete(this.programs.keys().next().value!);
      this.programs.set(key, p);
    }
    return p;
  }

  /** @internal what the compiler reads. */
  get parts() {
    return { steps: this.steps, inputs: this.inputs, outputNames: this.outputNames, constants: this.constants, opset: this.opset, matrices: this.matrices, rnns: this.rnns };
  }

  dispose(): void {
    this.native.dispose();
  }
}

/** Thrown inside compile for a node or value the plan does not cover at these shapes. */
class Uncovered extends Error {}

class Compiler {
  private readonly values = new Map<string, Sym>();
  private readonly program: number[] = [];
  private readonly params: number[] = [];
  private readonly consts: (Float32Array | Int32Array)[] = [];
  private readonly constIndex = new Map<unknown, number>();
  private words = 0;
  private flops = 0;
  // The arena's regions: a region is reused once no live value (a name a later node reads, or a
  // graph output) is in it, so a call holds about what the interpreter holds at its peak.
  private readonly regions: { base: number; words: number; refs: number }[] = [];
  private readonly free: { base: number; words: number }[] = [];

  constructor(private readonly plan: SessionPlan, private readonly feeds: readonly Value[]) {}

  compile(): Program | null {
    const { steps, inputs, outputNames, constants } = this.plan.parts;
    for (const [name, v] of constants) this.values.set(name, { kind: 'known', value: v });
    const lastUse = new Map<string, number>();
    steps.forEach(({ node }, k) => node.inputs.forEach((n) => n !== '' && lastUse.set(n, k)));
    for (const name of outputNames) lastUse.set(name, Infinity);
    const inputSlots: number[] = [];
    inputs.forEach((info, k) => {
      const v = this.feeds[k];
      const s = this.alloc(v.dims, v.type === 'float32' ? 'float32' : 'int32');
      this.bind(info.name, s);
      inputSlots.push(s.slot, sizeOf(v.dims));
    });
    try {
      steps.forEach((step, k) => {
        this.step(step);
        // After the step: release what no later step reads (its last inputs, outputs nobody reads).
        for (const n of new Set([...step.node.inputs, ...step.node.outputs])) {
          if (n !== '' && (lastUse.get(n) ?? k) === k) this.release(n);
        }
      });
    } catch (e) {
      if (e instanceof Uncovered) return null;
      throw e;
    }
    const outputSlots: number[] = [];
    const outputs: Program['outputs'] = [];
    for (const name of outputNames) {
      const s = this.values.get(name);
      if (!s || s.kind !== 'slot' || s.type !== 'float32' || inputs.some((i) => this.values.get(i.name) === s)) return null;
      outputSlots.push(s.slot, sizeOf(s.dims));
      outputs.push({ name, type: 'float32', dims: s.dims });
    }
    return {
      call: {
        program: Int32Array.from(this.program),
        params: Float32Array.from(this.params),
        consts: this.consts,
        arenaWords: this.words,
        inputSlots: Int32Array.from(inputSlots),
        outputSlots: Int32Array.from(outputSlots),
      },
      outputs,
      flops: this.flops,
      inlineMs: this.flops / this.plan.flopsPerMs,
      timed: false,
      wall: [[], []],
      calls: 0,
    };
  }

  private alloc(dims: readonly number[], type: Slot['type']): Slot {
    const n = sizeOf(dims);
    // Each value starts on a 64-byte line.
    const need = Math.ceil(n / 16) * 16;
    if (!(n < 2 ** 31 && this.words + need < 2 ** 31)) throw new Uncovered();
    let base: number;
    const k = this.free.findIndex((b) => b.words >= need);
    if (k >= 0) {
      const b = this.free[k];
      base = b.base;
      b.base += need;
      b.words -= need;
      if (b.words === 0) this.free.splice(k, 1);
    } else {
      base = this.words;
      this.words += need;
    }
    this.regions.push({ base, words: need, refs: 0 });
    return { kind: 'slot', slot: base, dims: [...dims], type, region: this.regions.length - 1 };
  }

  /** Names a value; a value in the arena keeps its region while a name for it is live. */
  private bind(name: string, s: Sym): void {
    if (this.values.has(name)) return;
    this.values.set(name, s);
    if (s.kind === 'slot') this.regions[s.region].refs++;
  }

  private release(name: string): void {
    const s = this.values.get(name);
    if (!s || s.kind !== 'slot') return;
    const r = this.regions[s.region];
    if (--r.refs > 0 || r.words === 0) return;
    r.refs = -Infinity; // never released twice
    this.free.push({ base: r.base, words: r.words });
    this.free.sort((a, b) => a.base - b.base);
    for (let i = this.free.length - 1; i > 0; i--) {
      const a = this.free[i - 1];
      const b = this.free[i];
      if (a.base + a.words === b.base) {
        a.words += b.words;
        this.free.splice(i, 1);
      }
    }
  }

  private constant(data: Float32Array | Int32Array): number {
    let k = this.constIndex.get(data);
    if (k === undefined) {
      k = this.consts.length;
      this.consts.push(data);
      this.constIndex.set(data, k);
    }
    return k;
  }

  private emit(...words: number[]): void {
    for (const w of words) if (!Number.isInteger(w) || w < -(2 ** 31) || w >= 2 ** 31) throw new Uncovered();
    this.program.push(...words);
  }

  private param(v: number): number {
    this.params.push(v);
    return this.params.length - 1;
  }

  /** A value as a slot: known values are copied into the arena from a constant. */
  private slotOf(s: Sym): Slot {
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
    const out = this.alloc(v.dims, v.type === 'float32' ? 'float32' : v.type === 'bool' ? 'bool' : 'int32');
    this.emit(OP.Load, out.slot, this.constant(data), sizeOf(v.dims));
    return out;
  }

  private get(name: string): Sym | undefined {
    if (name === '') return undefined;
    const s = this.values.get(name);
    if (!s) throw new Uncovered();
    return s;
  }

  private step({ node, kernel }: PlanStep): void {
    const ins = node.inputs.map((n) => this.get(n));
    const set = (k: number, s: Sym) => node.outputs[k] !== undefined && node.outputs[k] !== '' && this.bind(node.outputs[k], s);
    const recurrent = node.opType === 'GRU' || node.opType === 'LSTM' || node.opType === 'RNN';
    if (node.opType === 'Shape') {
      const x = ins[0]!;
      const dims = x.kind === 'slot' ? x.dims : [...x.value.dims];
      const a = attrs(node);
      const r = dims.length;
      const clamp = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
      const part = dims.slice(clamp(a.int('start', 0)), clamp(a.int('end', r)));
      set(0, { kind: 'known', value: { type: 'int64', data: BigInt64Array.from(part.map(BigInt)), dims: [part.length] } });
      return;
    }
    if (!recurrent && ins.every((s) => s === undefined || s.kind === 'known')) {
      const out = kernel.run(ins.map((s) => (s as Known | undefined)?.value), node.label);
      out.forEach((v, k) => v && set(k, { kind: 'known', value: v }));
      return;
    }
    if (VIEWS.has(node.opType)) return this.view(node, kernel, ins, set);
    switch (node.opType) {
      case 'Gather':
        return this.gather(node, ins, set);
      case 'Gemm':
      case 'MatMul':
        return this.gemm(node, ins, set);
      case 'Add':
        return this.add(ins, set);
      case 'Softmax':
        return this.softmax(node, ins, set);
      case 'Transpose':
        return this.transpose(node, ins, set);
      case 'Slice':
        return this.slice(node, ins, set);
      case 'Concat':
        return this.concat(node, ins, set);
      case 'Equal':
        return this.equal(ins, set);
      case 'Where':
        return this.where(ins, set);
      case 'ReduceSum':
        return this.reduceSum(node, ins, set);
      case 'GRU':
      case 'LSTM':
      case 'RNN':
        return this.recurrent(node, ins, set);
      default:
        if (node.opType in UNARY) {
          const x = this.floatSlot(ins[0]);
          const out = this.alloc(x.dims, 'float32');
          this.emit(OP.Unary, out.slot, x.slot, sizeOf(x.dims), UNARY[node.opType]);
          this.flops += sizeOf(x.dims);
          set(0, out);
          return;
        }
        throw new Uncovered();
    }
  }

  private floatSlot(s: Sym | undefined): Slot {
    if (!s) throw new Uncovered();
    const x = this.slotOf(s);
    if (x.type !== 'float32') throw new Uncovered();
    return x;
  }

  /** Reshape and friends: the interpreter's kernel works out the dims from a stand-in of the input. */
  private view(node: GraphNode, kernel: Kernel, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const x = ins[0];
    if (!x || x.kind !== 'slot' || node.outputs.filter((o) => o !== '').length !== 1 || ins.slice(1).some((s) => s && s.kind !== 'known')) throw new Uncovered();
    const standIn = { type: x.type === 'float32' ? 'float32' : x.type === 'bool' ? 'bool' : 'int32', data: { length: sizeOf(x.dims) }, dims: x.dims } as unknown as Value;
    const [out] = kernel.run([standIn, ...ins.slice(1).map((s) => (s as Known | undefined)?.value)], node.label);
    if (!out || sizeOf(out.dims) !== sizeOf(x.dims)) throw new Uncovered();
    set(0, { ...x, dims: [...out.dims] });
  }

  private gather(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const [data, ids] = ins;
    // One index along axis 0 of a value in the arena (the last layer's state, say): a view.
    if (data?.kind === 'slot' && ids?.kind === 'known' && attrs(node).int('axis', 0) === 0 && sizeOf(ids.value.dims) === 1 && ids.value.dims.length <= 1 && data.dims.length >= 1) {
      const d0 = data.dims[0];
      let i = toInts(ids.value)[0];
      if (i < 0) i += d0;
      if (!(i >= 0 && i < d0)) throw new Uncovered();
      const rest = data.dims.slice(1);
      set(0, { ...data, slot: data.slot + i * sizeOf(rest), dims: ids.value.dims.length === 0 ? rest : [1, ...rest] });
      return;
    }
    if (!data || data.kind !== 'known' || data.value.type !== 'float32' || data.value.dims.length !== 2 || attrs(node).int('axis', 0) !== 0) throw new Uncovered();
    if (!ids || ids.kind !== 'slot' || ids.type !== 'int32') throw new Uncovered();
    const [V, D] = data.value.dims;
    const n = sizeOf(ids.dims);
    const out = this.alloc([...ids.dims, D], 'float32');
    this.emit(OP.Gather, out.slot, ids.slot, n, this.constant(data.value.data as Float32Array), V, D);
    set(0, out);
  }

  private gemm(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const m = this.plan.parts.matrices.get(node);
    if (!m) throw new Uncovered();
    const a = this.floatSlot(ins[0]);
    let M: number;
    let outDims: number[];
    let alpha = 1;
    let beta = 1;
    let bias = -1;
    let biasKind = 0;
    if (node.opType === 'MatMul') {
      if (a.dims.length < 2 || a.dims[a.dims.length - 1] !== m.K) throw new Uncovered();
      M = sizeOf(a.dims.slice(0, -1));
      outDims = [...a.dims.slice(0, -1), m.N];
    } else {
      const at = attrs(node);
      if (at.int('transA', 0) !== 0 || a.dims.length !== 2 || a.dims[1] !== m.K) throw new Uncovered();
      alpha = at.float('alpha', 1);
      beta = at.float('beta', 1);
      M = a.dims[0];
      outDims = [M, m.N];
      const c = ins[2];
      if (c) {
        if (c.kind !== 'known' || c.value.type !== 'float32') throw new Uncovered();
        const d = c.value.dims;
        const n = sizeOf(d);
        if (n === m.N && (d.length === 1 || (d.length === 2 && d[0] === 1))) biasKind = 1;
        else if (d.length === 2 && d[0] === M && d[1] === m.N) biasKind = 2;
        else if (n === 1) biasKind = 3;
        else throw new Uncovered();
        bias = this.constant(c.value.data as Float32Array);
      }
    }
    const out = this.alloc(outDims, 'float32');
    this.emit(OP.Gemm, out.slot, a.slot, M, m.N, m.K, m.index, bias, biasKind, this.param(alpha), this.param(beta));
    this.flops += 2 * M * m.N * m.K;
    set(0, out);
  }

  /** A float value plus a constant bias along its last axis. */
  private add(ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const [p, q] = ins;
    const [x, b] = p?.kind === 'slot' ? [p, q] : [q, p];
    if (!x || x.kind !== 'slot' || x.type !== 'float32' || !b || b.kind !== 'known' || b.value.type !== 'float32') throw new Uncovered();
    const N = x.dims[x.dims.length - 1];
    const bd = b.value.dims;
    if (x.dims.length < 1 || sizeOf(bd) !== N || bd.length > x.dims.length || bd.slice(0, -1).some((d) => d !== 1)) throw new Uncovered();
    const out = this.alloc(x.dims, 'float32');
    this.emit(OP.AddBias, out.slot, x.slot, sizeOf(x.dims) / N, N, this.constant(b.value.data as Float32Array));
    this.flops += sizeOf(x.dims);
    set(0, out);
  }

  private softmax(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const x = this.floatSlot(ins[0]);
    const r = x.dims.length;
    const axis = attrs(node).int('axis', this.plan.parts.opset >= 13 ? -1 : 1);
    if (r < 1 || (axis < 0 ? axis + r : axis) !== r - 1) throw new Uncovered();
    const out = this.alloc(x.dims, 'float32');
    const width = x.dims[r - 1];
    this.emit(OP.Softmax, out.slot, x.slot, width === 0 ? 0 : sizeOf(x.dims) / width, width);
    this.flops += 4 * sizeOf(x.dims);
    set(0, out);
  }

  private transposeSlot(x: Slot, perm: number[]): Slot {
    const r = x.dims.length;
    const outDims = perm.map((p) => x.dims[p]);
    // Moving only axes of size 1 keeps the order in memory: a view.
    const moved = perm.filter((p) => x.dims[p] !== 1);
    if (moved.every((p, k) => k === 0 || p > moved[k - 1])) return { ...x, dims: outDims };
    if (r > MAX_RANK) throw new Uncovered();
    const out = this.alloc(outDims, x.type);
    const pad = (a: number[], fill: number) => [...a, ...new Array(MAX_RANK - a.length).fill(fill)];
    this.emit(OP.Transpose, out.slot, x.slot, r, ...pad(x.dims, 1), ...pad(perm, 0));
    this.flops += sizeOf(x.dims);
    return out;
  }

  private transpose(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const x = ins[0];
    if (!x || x.kind !== 'slot') throw new Uncovered();
    const r = x.dims.length;
    const perm = attrs(node).ints('perm') ?? [...Array(r).keys()].reverse();
    if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) throw new Uncovered();
    set(0, this.transposeSlot(x, perm));
  }

  private slice(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const x = ins[0];
    if (!x || x.kind !== 'slot' || x.dims.length > MAX_RANK) throw new Uncovered();
    const r = x.dims.length;
    let starts: number[];
    let ends: number[];
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if (this.plan.parts.opset >= 10) {
      const known = (s: Sym | undefined) => {
        if (s === undefined) return undefined;
        if (s.kind !== 'known') throw new Uncovered();
        return toInts(s.value);
      };
      starts = known(ins[1])!;
      ends = known(ins[2])!;
      axes = known(ins[3]);
      steps = known(ins[4]);
    } else {
      const a = attrs(node);
      starts = a.ints('starts') ?? [];
      ends = a.ints('ends') ?? [];
      axes = a.ints('axes');
    }
    axes ??= starts.map((_, k) => k);
    steps ??= starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw new Uncovered();
    const st = new Array(r).fill(0);
    const sp = new Array(r).fill(1);
    const outDims = [...x.dims];
    axes.forEach((ax0, k) => {
      const ax = ax0 < 0 ? ax0 + r : ax0;
      const d = x.dims[ax];
      const step = steps![k];
      if (ax < 0 || ax >= r || step === 0) throw new Uncovered();
      let s = starts[k] < 0 ? starts[k] + d : starts[k];
      let e = ends[k] < 0 ? ends[k] + d : ends[k];
      let len: number;
      if (step > 0) {
        s = Math.min(d, Math.max(0, s));
        e = Math.min(d, Math.max(0, e));
        len = Math.max(0, Math.ceil((e - s) / step));
      } else {
        s = Math.min(d - 1, Math.max(0, s));
        e = Math.min(d - 1, Math.max(-1, e));
        len = Math.max(0, Math.ceil((s - e) / -step));
      }
      st[ax] = len > 0 ? s : 0;
      sp[ax] = step;
      outDims[ax] = len;
    });
    const out = this.alloc(outDims, x.type);
    const pad = (a: number[], fill: number) => [...a, ...new Array(MAX_RANK - a.length).fill(fill)];
    this.emit(OP.Slice, out.slot, x.slot, r, ...pad(x.dims, 1), ...pad(st, 0), ...pad(sp, 1), ...pad(outDims, 1));
    set(0, out);
  }

  private concat(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    if (ins.length === 0 || ins.some((s) => !s)) throw new Uncovered();
    const parts = ins.map((s) => this.slotOf(s!));
    const r = parts[0].dims.length;
    const ax0 = attrs(node).int('axis', 0);
    const ax = ax0 < 0 ? ax0 + r : ax0;
    if (ax < 0 || ax >= r || parts.some((p) => p.dims.length !== r || p.type !== parts[0].type || p.dims.some((d, k) => k !== ax && d !== parts[0].dims[k]))) throw new Uncovered();
    const outDims = [...parts[0].dims];
    outDims[ax] = parts.reduce((a, p) => a + p.dims[ax], 0);
    const out = this.alloc(outDims, parts[0].type);
    const outer = sizeOf(outDims.slice(0, ax));
    this.emit(OP.Concat, out.slot, outer, parts.length, ...parts.flatMap((p) => [p.slot, sizeOf(p.dims.slice(ax))]));
    set(0, out);
  }

  /** An int32 scalar known at compile time. */
  private scalar(s: Sym | undefined): number {
    if (!s || s.kind !== 'known' || (s.value.type !== 'int32' && s.value.type !== 'int64') || sizeOf(s.value.dims) !== 1) throw new Uncovered();
    const v = toInts(s.value)[0];
    if (v < -(2 ** 31) || v >= 2 ** 31) throw new Uncovered();
    return v;
  }

  private equal(ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const [p, q] = ins;
    const [x, c] = p?.kind === 'slot' ? [p, q] : [q, p];
    if (!x || x.kind !== 'slot' || x.type !== 'int32') throw new Uncovered();
    const v = this.scalar(c);
    const out = this.alloc(x.dims, 'bool');
    this.emit(OP.EqualScalar, out.slot, x.slot, sizeOf(x.dims), v);
    set(0, out);
  }

  private where(ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const [c, a, b] = ins;
    if (!c || c.kind !== 'slot' || c.type !== 'bool') throw new Uncovered();
    const av = this.scalar(a);
    const bv = this.scalar(b);
    if ((a as Known).value.type !== (b as Known).value.type) throw new Uncovered();
    const out = this.alloc(c.dims, 'int32');
    this.emit(OP.WhereScalars, out.slot, c.slot, sizeOf(c.dims), av, bv);
    set(0, out);
  }

  private reduceSum(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const x = ins[0];
    if (!x || x.kind !== 'slot' || x.type !== 'int32') throw new Uncovered();
    const a = attrs(node);
    let axes = a.ints('axes');
    if (this.plan.parts.opset >= 13 && ins[1]) {
      if (ins[1].kind !== 'known') throw new Uncovered();
      axes = toInts(ins[1].value);
    }
    const r = x.dims.length;
    if (!axes || axes.length !== 1 || a.int('noop_with_empty_axes', 0) !== 0) throw new Uncovered();
    const ax = axes[0] < 0 ? axes[0] + r : axes[0];
    if (ax < 0 || ax >= r) throw new Uncovered();
    const keep = a.int('keepdims', 1) === 1;
    const outDims = keep ? x.dims.map((d, k) => (k === ax ? 1 : d)) : x.dims.filter((_, k) => k !== ax);
    const out = this.alloc(outDims, 'int32');
    this.emit(OP.ReduceSumInt, out.slot, x.slot, sizeOf(x.dims.slice(0, ax)), x.dims[ax], sizeOf(x.dims.slice(ax + 1)));
    set(0, out);
  }

  private recurrent(node: GraphNode, ins: (Sym | undefined)[], set: (k: number, s: Sym) => void): void {
    const r = this.plan.parts.rnns.get(node);
    if (!r) throw new Uncovered();
    const { spec } = r;
    const X = this.floatSlot(ins[0]);
    if (X.dims.length !== 3 || X.dims[2] !== spec.inputSize) throw new Uncovered();
    const batchMajor = node.batchMajor !== undefined;
    const layout = spec.layout;
    const [T, B] = layout === 0 ? [X.dims[0], X.dims[1]] : [X.dims[1], X.dims[0]];
    // Empty batches and sequences are the interpreter's to answer.
    if (T < 1 || B < 1) throw new Uncovered();
    const D = spec.numDirections;
    const H = spec.hiddenSize;
    const lstm = node.opType === 'LSTM';
    let lens = -1;
    if (ins[4]) {
      const l = this.slotOf(ins[4]);
      if (l.type !== 'int32' || l.dims.length !== 1 || l.dims[0] !== B) throw new Uncovered();
      lens = l.slot;
    }
    // States: [D, B, H] in the graph; a batch-major node takes and gives [B, D, H].
    const graphState = layout === 1 && !batchMajor ? [B, D, H] : [D, B, H];
    const stateIn = (s: Sym | undefined): number => {
      if (!s) return -1;
      const v = this.floatSlot(s);
      if (v.dims.length !== 3 || v.dims.some((d, k) => d !== graphState[k])) throw new Uncovered();
      return batchMajor ? this.transposeSlot(v, [1, 0, 2]).slot : v.slot;
    };
    const h0 = stateIn(ins[5]);
    const c0 = lstm ? stateIn(ins[6]) : -1;
    const wanted = (k: number) => node.outputs[k] !== undefined && node.outputs[k] !== '';
    const yDims = layout === 0 ? [T, D, B, H] : [B, T, D, H];
    const nativeState = layout === 1 ? [B, D, H] : [D, B, H];
    const Y = wanted(0) ? this.alloc(yDims, 'float32') : null;
    const Yh = wanted(1) ? this.alloc(nativeState, 'float32') : null;
    const Yc = lstm && wanted(2) ? this.alloc(nativeState, 'float32') : null;
    this.emit(OP.Rnn, r.index, X.slot, T, B, lens, h0, c0, Y?.slot ?? -1, Yh?.slot ?? -1, Yc?.slot ?? -1);
    const gates = spec.cell === 0 ? 1 : spec.cell === 1 ? 3 : 4;
    this.flops += 2 * T * B * D * gates * H * (spec.inputSize + H);
    if (Y) set(0, batchMajor && node.batchMajor!.mergeDirections ? { ...Y, dims: [B, T, D * H] } : Y);
    const stateOut = (s: Slot) => (batchMajor ? this.transposeSlot(s, [1, 0, 2]) : s);
    if (Yh) set(1, stateOut(Yh));
    if (Yc) set(2, stateOut(Yc));
  }
}
