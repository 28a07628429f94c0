// A session's graph as native plans (lib/ops/plan.ts, native/plan). At load, the weights the plan
// needs are handed over once: each GEMM/MatMul's constant right-hand side (packed into panels) and
// each recurrent node's weights (packed there, and only there unless the interpreter needs the
// node too). Per distinct set of input shapes the steps are compiled (compile.ts, lower.ts) into
// segments: a native program for the steps the plan covers, up to a node it does not cover, which
// the session runs through the interpreter; the steps after it are a segment of their own, compiled
// per set of shapes of that node's outputs. A graph the plan covers whole is one segment, one
// native call. A segment that fails on the data (a token id out of range) is run again through the
// interpreter, so errors read as the interpreter writes them.
import { flatSpec, ExecutionPlan } from '../ops/plan';
import { COVERED, type CompiledSegment, type PlanParts, type PlanStep, type PlannedRnn, attrs } from './compile';
import type { GraphNode } from './graph';
import { Compiler } from './lower';
import type { Value, ValueType } from './values';

export type { PlanStep } from './compile';

/**
 * A segment whose call takes more CPU time than this (ms) runs on a worker thread in session.run;
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
/** Segments kept after one interpreted node, by the shapes of its outputs. */
const MAX_NEXT = 64;

/** One compiled segment with what its calls have measured, and the segments after it. */
export interface Segment extends CompiledSegment {
  /** The CPU time of a call (ms): a guess from the flops, then measured. */
  inlineMs: number;
  timed: boolean;
  /** Wall times (ms) of recent inline calls on the session's threads [0] and on one thread [1]. */
  wall: [number[], number[]];
  calls: number;
  /** The segments after the interpreted step `stop`, by its outputs' types and dims. */
  next: Map<string, Segment | null>;
}

/**
 * For an inline call: 0 to run on the session's threads, 1 on one thread. Splitting small work
 * across threads pays only when the other cores are free; when other jobs (onnxruntime's
 * spinning threads among them) hold them, a call waits milliseconds for its second thread. So
 * both ways are timed now and then and the faster one is used, as the recurrent kernels do per
 * step.
 */
export function pickThreads(p: Segment): 0 | 1 {
  const k = p.calls++;
  if (k < 6) return (k % 2) as 0 | 1;
  const median = (w: number[]) => [...w].sort((a, b) => a - b)[w.length >> 1];
  const best = median(p.wall[0]) <= median(p.wall[1]) ? 0 : 1;
  return k % 64 === 0 ? ((1 - best) as 0 | 1) : best;
}

export function recordWall(p: Segment, way: 0 | 1, ms: number): void {
  const w = p.wall[way];
  w.push(ms);
  if (w.length > 3) w.shift();
}

/**
 * Folds a call's measured CPU milliseconds into the program's estimate (the first replaces the
 * guess) and into the session's rate, which the guesses for new shapes use.
 */
export function recordTime(plan: SessionPlan, p: Segment, ms: number): void {
  p.inlineMs = p.timed ? 0.8 * p.inlineMs + 0.2 * ms : ms;
  p.timed = true;
  if (p.flops > 0 && ms > 0) plan.flopsPerMs = 0.8 * plan.flopsPerMs + 0.2 * (p.flops / ms);
}

function keyOf(values: readonly (Value | undefined)[]): string {
  return values.map((v) => (v ? `${v.type}[${v.dims.join(',')}]` : '-')).join(';');
}

/** Compiles segments for one session's steps; holds the native plan. */
export class SessionPlan {
  private readonly programs = new Map<string, Segment | null>();
  /** Flops per CPU millisecond of this session's calls so far. */
  flopsPerMs = GUESS_FLOPS_PER_MS;

  private constructor(
    private readonly parts: PlanParts,
    private readonly inputs: readonly { name: string }[],
    readonly native: ExecutionPlan,
  ) {}

  /** The plan of a session's steps, or null when it would cover none of them. */
  static create(args: {
    steps: readonly PlanStep[];
    inputs: readonly { name: string }[];
    outputNames: readonly string[];
    constants: ReadonlyMap<string, Value>;
    opset: number;
    threads: number;
  }): SessionPlan | null {
    if (!args.steps.some(({ node }) => COVERED.has(node.opType))) return null;
    const matrices = new Map<GraphNode, { index: number; K: number; N: number }>();
    const rnns = new Map<GraphNode, PlannedRnn>();
    const description: {
      matrices: { B: Float32Array; K: number; N: number; trans: boolean }[];
      rnns: { spec: Float64Array; W: Float32Array; R: Float32Array; B?: Float32Array | null; P?: Float32Array | null }[];
      threads: number;
    } = { matrices: [], rnns: [], threads: args.threads };
    for (const { node, kernel } of args.steps) {
      if (node.opType === 'Gemm' || node.opType === 'MatMul') {
        const B = args.constants.get(node.inputs[1]);
        if (B?.type !== 'float32' || B.dims.length !== 2) continue;
        const trans = node.opType === 'Gemm' && attrs(node).int('transB', 0) === 1;
        const [K, N] = trans ? [B.dims[1], B.dims[0]] : [B.dims[0], B.dims[1]];
        if (K < 1 || N < 1) continue;
        matrices.set(node, { index: description.matrices.length, K, N });
        description.matrices.push({ B: B.data as Float32Array, K, N, trans });
      } else if (kernel.definition) {
        // Weights fed at run time leave the node to the interpreter.
        const { spec, weights } = kernel.definition;
        rnns.set(node, { index: description.rnns.length, spec });
        description.rnns.push({ spec: flatSpec(spec), W: weights.W, R: weights.R, B: weights.B ?? null, P: weights.P ?? null });
      }
    }
    const lastUse = new Map<string, number>();
    args.steps.forEach(({ node }, k) => node.inputs.forEach((n) => n !== '' && lastUse.set(n, k)));
    for (const name of args.outputNames) lastUse.set(name, Infinity);
    const parts: PlanParts = {
      steps: args.steps,
      outputNames: args.outputNames,
      constants: args.constants,
      opset: args.opset,
      lastUse,
      matrices,
      rnns,
    };
    return new SessionPlan(parts, args.inputs, new ExecutionPlan(description));
  }

  /** The first segment for feeds of these types and dims (compiled on first sight). */
  program(feeds: readonly Value[]): Segment | null {
    const key = keyOf(feeds);
    let p = this.programs.get(key);
    if (p === undefined) {
      p = this.compile(0, new Map(this.inputs.map((info, k) => [info.name, feeds[k]])), this.parts.constants);
      if (this.programs.size >= MAX_PROGRAMS) this.programs.delete(this.programs.keys().next().value!);
      this.programs.set(key, p);
    }
    return p;
  }

  /**
   * The segment after `prev`'s interpreted step, given the run's values then (compiled on first
   * sight of its outputs' shapes), or null when `prev` ended the graph.
   */
  next(prev: Segment, values: ReadonlyMap<string, Value>): Segment | null {
    const { steps, constants, lastUse } = this.parts;
    const at = prev.stop;
    if (at >= steps.length - 1) return null;
    const key = keyOf(steps[at].node.outputs.map((n) => values.get(n)));
    let p = prev.next.get(key);
    if (p === undefined) {
      const externals = new Map<string, { type: ValueType; dims: readonly number[] }>();
      for (const [name, v] of values)
        if (!constants.has(name) && !prev.knowns.has(name) && (lastUse.get(name) ?? -1) > at) externals.set(name, v);
      p = this.compile(at + 1, externals, new Map([...constants, ...prev.knowns]));
      if (prev.next.size >= MAX_NEXT) prev.next.delete(prev.next.keys().next().value!);
      prev.next.set(key, p);
    }
    return p;
  }

  /** A segment from step `start`, or null (the interpreter runs the rest) where compiling fails. */
  private compile(
    start: number,
    externals: ReadonlyMap<string, { type: ValueType; dims: readonly number[] }>,
    knowns: ReadonlyMap<string, Value>,
  ): Segment | null {
    let c: CompiledSegment;
    try {
      c = new Compiler(this.parts, start, externals, knowns).compile();
    } catch {
      return null;
    }
    return { ...c, inlineMs: c.flops / this.flopsPerMs, timed: false, wall: [[], []], calls: 0, next: new Map() };
  }

  dispose(): void {
    this.native.dispose();
  }
}
