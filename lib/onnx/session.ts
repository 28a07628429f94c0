// loadOnnx: an ONNX model as a session shaped like onnxruntime-node's InferenceSession.
// Loading decodes and checks the whole file, runs batch-first recurrent nodes batch-major in
// place of the Transposes around them (fuse.ts), creates every node's op (recurrent weights
// packed here), and folds what does not depend on the feeds; a run then walks the remaining nodes in
// order, freeing each intermediate value after its last use.
import { type Device, parseDevice } from '../ops/spec';
import { rangeError, typeError } from '../errors';
import { boolean, positiveInt } from '../validate';
import { modelFileCap, readFileCappedAsync } from '../files';
import { RunBudget, runBytesOption } from '../memory';
import { Tensor, type TensorLike, type TensorType, expectTensor } from '../tensor';
import type { PlanCall } from '../ops/plan';
import { Folder } from './fold';
import { fuseBatchMajorRecurrent } from './fuse';
import { Attributes, type DeclaredDim, type GraphNode, type ParsedGraph, type ValueInfo, parseModel } from './graph';
import { OPS, SUPPORTED_OPS } from './ops';
import type { Kernel } from './ops/types';
import { pickThreads, PLAN_INLINE_MS, recordTime, recordWall, type Segment, SessionPlan } from './plan';
import { NodeError, type Value, type ValueData, type ValueType, sizeOf } from './values';

export interface LoadOnnxOptions {
  /** Threads per operator; default: every hardware thread. */
  threads?: number;
  /** 'cuda' runs the recurrent nodes on an NVIDIA GPU (a CUDA build); default 'cpu'. */
  device?: Device;
  /**
   * The element type of outputs the program relies on, e.g. `{ y: 'float32' }`: checked against
   * the types the model declares when it loads (and against each run's result where it declares
   * none), and what run() and runSync() are typed with.
   */
  outputTypes?: OutputTypes;
  /**
   * Default true: on the CPU, run the whole graph as one native call (a plan) wherever its nodes
   * allow; false runs every node through the interpreter (what the plan is tested against).
   */
  plan?: boolean;
  /**
   * Bytes one run may hold at once (its intermediate and output tensors; not the feeds or the
   * model's weights). Past it a run fails with a RangeError naming the node, before allocating.
   * Default: half the memory the process may use (cgroup limits included), at most 4 GiB.
   */
  maxRunBytes?: number;
}

/** Output names and their element types, as `LoadOnnxOptions.outputTypes` states them. */
export type OutputTypes = Readonly<Record<string, TensorType>>;

/** An input's or output's declared type and shape (onnxruntime's ValueMetadata, roughly). */
export interface OnnxValueMetadata {
  name: string;
  isTensor: true;
  /** undefined when the file does not say. */
  type: TensorType | undefined;
  /** Declared dims: sizes, symbolic names, null where unknown; undefined when no shape is declared. */
  shape: readonly DeclaredDim[] | undefined;
}

export type OnnxFeeds = Record<string, TensorLike>;
/** A tensor of one of the types a session returns; `type` tells which (and narrows `data`). */
export type AnyTensor = Tensor<'float32'> | Tensor<'int32'> | Tensor<'int64'>;
/** A run's outputs by name: those stated in `outputTypes` with their type, the rest as AnyTensor. */
export type OnnxResults<Types extends OutputTypes = Record<never, never>> = {
  [K in keyof Types]: Tensor<Types[K]>;
} & Record<string, AnyTensor>;

interface Step {
  node: GraphNode;
  kernel: Kernel;
  /** Values whose last use is this step (freed after it). */
  frees: string[];
}

function checkOutputTypes(where: string, value: unknown, outputs: readonly OnnxValueMetadata[]): ReadonlyMap<string, TensorType> {
  const types = new Map<string, TensorType>();
  if (value === undefined) return types;
  if (value === null || typeof value !== 'object')
    throw typeError(where, 'options.outputTypes', "an object such as { y: 'float32' }", value);
  for (const [name, type] of Object.entries(value)) {
    const declared = outputs.find((o) => o.name === name);
    if (!declared) {
      throw rangeError(
        where,
        'options.outputTypes',
        `keyed by the model's outputs (${outputs.map((o) => `'${o.name}'`).join(', ')})`,
        `an unknown output '${name}'`,
      );
    }
    if (type !== 'float32' && type !== 'int32' && type !== 'int64')
      throw typeError(where, `options.outputTypes.${name}`, "'float32', 'int32' or 'int64'", type);
    if (declared.type !== undefined && declared.type !== type) {
      throw rangeError(where, `options.outputTypes.${name}`, `'${declared.type}' (the type the model declares)`, `'${type}'`);
    }
    types.set(name, type);
  }
  return types;
}

function checkOptions(where: string, options: unknown): { threads: number; device: Device; plan: boolean; maxRunBytes: number } {
  if (options === undefined)
    return { threads: 0, device: 'cpu', plan: true, maxRunBytes: runBytesOption(where, 'options.maxRunBytes', undefined) };
  if (options === null || typeof options !== 'object') throw typeError(where, 'options', 'an object { threads, device }', options);
  const o = options as LoadOnnxOptions;
  if (o.threads !== undefined) positiveInt(where, 'options.threads', o.threads);
  if (o.plan !== undefined) boolean(where, 'options.plan', o.plan);
  return {
    threads: o.threads ?? 0,
    device: parseDevice(where, o.device),
    plan: o.plan ?? true,
    maxRunBytes: runBytesOption(where, 'options.maxRunBytes', o.maxRunBytes),
  };
}

export class OnnxSession<Types extends OutputTypes = Record<never, never>> {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly OnnxValueMetadata[];
  readonly outputMetadata: readonly OnnxValueMetadata[];
  /** The model's default-domain opset and the name of the tool that wrote it. */
  readonly opset: number;
  readonly producer: string;

  private readonly inputs: ReadonlyMap<string, ValueInfo>;
  private readonly outputTypes: ReadonlyMap<string, TensorType>;
  private readonly constants: ReadonlyMap<string, Value>;
  private readonly constantData: ReadonlySet<unknown>;
  private steps: Step[] | null;
  private plan: SessionPlan | null = null;
  private readonly threads: number;
  private readonly maxRunBytes: number;

  /** Use loadOnnx. */
  constructor(bytes: Uint8Array, options?: LoadOnnxOptions) {
    const where = 'loadOnnx';
    const { threads, device, plan, maxRunBytes } = checkOptions(where, options);
    this.threads = threads;
    this.maxRunBytes = maxRunBytes;
    const graph: ParsedGraph = parseModel(where, bytes);
    fuseBatchMajorRecurrent(graph);
    this.opset = graph.opset;
    this.producer = graph.producer;
    this.inputs = new Map(graph.inputs.map((v) => [v.name, v]));
    const meta = (v: ValueInfo): OnnxValueMetadata => ({
      name: v.name,
      isTensor: true,
      type: v.type === 'bool' ? undefined : v.type,
      shape: v.dims,
    });
    this.inputNames = graph.inputs.map((v) => v.name);
    this.outputNames = graph.outputs.map((v) => v.name);
    this.inputMetadata = graph.inputs.map(meta);
    this.outputMetadata = graph.outputs.map(meta);
    this.outputTypes = checkOutputTypes(where, (options as LoadOnnxOptions | undefined)?.outputTypes, this.outputMetadata);

    const constants = new Map(graph.initializers);
    const folder = new Folder(bytes.byteLength, constants, this.inputs);
    const live: Step[] = [];
    const kernels: Kernel[] = [];
    try {
      for (const node of graph.nodes) {
        const at = `${where}: ${node.label}`;
        const def = OPS[node.opType];
        if (def === undefined) {
          throw new NodeError(`${at}: operator ${node.opType} is not supported; gatedrnn supports ${SUPPORTED_OPS.join(', ')}`);
        }
        const [min, max] = def.inputs(graph.opset);
        let count = node.inputs.length;
        while (count > 0 && node.inputs[count - 1] === '') count--;
        if (count < min || count > max) {
          const range = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
          throw new NodeError(`${at}: expected ${range} inputs at opset ${graph.opset}, but the node has ${count}`);
        }
        const kernel = def.create({
          node,
          opset: graph.opset,
          where: at,
          attrs: new Attributes(at, node, def.attributes(graph.opset)),
          constant: (k) => folder.constant(node, k),
          threads,
          device,
        });
        kernels.push(kernel);
        if (!folder.fold(node, kernel, at)) live.push({ node, kernel, frees: [] });
      }
    } catch (e) {
      for (const k of kernels) k.dispose?.();
      throw e;
    }

    // Free each intermediate after the last step that reads it (graph outputs are kept).
    const keep = new Set(this.outputNames);
    const last = new Map<string, number>();
    live.forEach((s, k) => s.node.inputs.forEach((name) => name !== '' && last.set(name, k)));
    for (const [name, k] of last) if (!keep.has(name) && !constants.has(name) && !this.inputs.has(name)) live[k].frees.push(name);
    this.steps = live;
    // Kernels of folded nodes hold nothing native except recurrent ones, which never fold.
    this.constants = constants;
    this.constantData = new Set([...constants.values()].map((v) => v.data));
    if (plan && device === 'cpu') {
      try {
        this.plan = SessionPlan.create({
          steps: live,
          inputs: graph.inputs,
          outputNames: this.outputNames,
          constants,
          opset: graph.opset,
          threads,
        });
      } catch (e) {
        for (const k of kernels) k.dispose?.();
        throw e;
      }
    }
  }

  /** Whether runs of feeds with these dims go through the native plan as a whole (one native call). */
  usesPlan(feeds: OnnxFeeds): boolean {
    const { values, budget } = this.begin('OnnxSession.usesPlan', feeds, undefined);
    const first = this.segmentFor(this.plan?.program(this.feedValues(values)) ?? null, budget);
    return first !== null && first.start === 0 && first.stop === this.steps!.length;
  }

  /**
   * How the last run went: steps run inside native plan calls, and steps run through the
   * interpreter. @internal for tests and the bench.
   */
  lastRunSteps = { planned: 0, interpreted: 0 };

  private feedValues(values: Map<string, Value>): Value[] {
    return [...this.inputs.keys()].map((name) => values.get(name)!);
  }

  /**
   * The segment itself, or null for the interpreter: also when its arena and outputs would not fit
   * the run's budget, so that the interpreter refuses (or completes) the run node by node and names
   * the node that goes over.
   */
  private segmentFor(segment: Segment | null, budget: RunBudget): Segment | null {
    if (!segment) return null;
    const words = segment.call ? segment.call.arenaWords + segment.outputs.reduce((a, o) => a + sizeOf(o.dims), 0) : 0;
    return 4 * words <= budget.limit ? segment : null;
  }

  /**
   * Runs the model off the event loop: each native plan call on a runner thread when its work is
   * worth the hop (else inline), the nodes the plan does not cover through the interpreter with
   * the recurrent ones on a runner thread. Resolves to every output, or those in `fetches`.
   */
  async run(feeds: OnnxFeeds, fetches?: readonly string[]): Promise<OnnxResults<Types>> {
    const it = this.execute('OnnxSession.run', feeds, fetches, true);
    let r = it.next();
    while (!r.done) {
      let v: unknown;
      try {
        v = await r.value;
      } catch (e) {
        r = it.throw(e);
        continue;
      }
      r = it.next(v);
    }
    return r.value;
  }

  /** Runs the model on the calling thread. */
  runSync(feeds: OnnxFeeds, fetches?: readonly string[]): OnnxResults<Types> {
    const r = this.execute('OnnxSession.runSync', feeds, fetches, false).next();
    if (!r.done) throw new Error('OnnxSession.runSync: an asynchronous step in a synchronous run');
    return r.value;
  }

  /**
   * One run, for run and runSync: yields the promises of asynchronous work (only when `async`)
   * and takes back their results. Native segments and interpreted steps alternate; a segment that
   * fails (a token id out of range, memory) hands the rest of the run to the interpreter, which
   * reports the error in its words or computes what the plan would not.
   */
  private *execute(
    where: string,
    feeds: OnnxFeeds,
    fetches: readonly string[] | undefined,
    async: boolean,
  ): Generator<Promise<unknown>, OnnxResults<Types>, unknown> {
    const { steps, values, wanted, budget } = this.begin(where, feeds, fetches);
    const counts = { planned: 0, interpreted: 0 };
    const plan = this.plan;
    let segment = plan ? this.segmentFor(plan.program(this.feedValues(values)), budget) : null;
    let at = 0;
    while (at < steps.length) {
      if (segment && segment.start === at) {
        let ok = true;
        if (segment.call) {
          const outputs = segment.outputs.map((o) =>
            o.type === 'float32' ? new Float32Array(sizeOf(o.dims)) : new Int32Array(sizeOf(o.dims)),
          );
          const call: PlanCall = { ...segment.call, inputs: segment.inputs.map((name) => arenaInput(values.get(name)!)), outputs };
          try {
            if (async && segment.inlineMs > PLAN_INLINE_MS) recordTime(plan!, segment, (yield plan!.native.runAsync(call)) as number);
            else this.runInline(plan!, segment, call);
          } catch {
            ok = false;
          }
          if (ok) {
            segment.outputs.forEach((o, k) => {
              const v = fromArena(o.type, outputs[k], o.dims);
              values.set(o.name, v);
              budget.hold(v.data);
            });
          }
        }
        if (ok) {
          for (const [name, v] of segment.knowns) values.set(name, this.outputNames.includes(name) ? { ...v, data: v.data.slice() } : v);
          for (let k = at; k < segment.stop; k++) {
            for (const name of steps[k].frees) {
              const v = values.get(name);
              if (v) budget.drop(v.data);
              values.delete(name);
            }
          }
          counts.planned += segment.stop - at;
          at = segment.stop;
          if (at >= steps.length) break;
        } else segment = null;
      }
      const step = steps[at];
      const label = `${where}: ${step.node.label}`;
      const args = step.node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
      const out =
        async && step.kernel.runAsync
          ? ((yield budget.during(() => step.kernel.runAsync!(args, label))) as Value[])
          : budget.during(() => step.kernel.run(args, label));
      this.finishStep(step, out, values, budget);
      counts.interpreted++;
      // After the segment's interpreted node, the next segment; after a failed one, none.
      segment = segment && segment.stop === at && plan ? this.segmentFor(plan.next(segment, values), budget) : null;
      at++;
    }
    this.lastRunSteps = counts;
    return this.results(where, values, wanted, feeds);
  }

  /** Runs a segment on this thread, on the session's threads or on one, whichever has been faster. */
  private runInline(plan: SessionPlan, segment: Segment, call: PlanCall): void {
    const way = this.threads === 1 ? 0 : pickThreads(segment);
    const t0 = performance.now();
    recordTime(plan, segment, plan.native.run({ ...call, threads: way === 1 ? 1 : 0 }));
    recordWall(segment, way, performance.now() - t0);
  }

  /** Frees packed weights now; later runs throw. Runs in flight finish first. */
  dispose(): void {
    for (const s of this.steps ?? []) s.kernel.dispose?.();
    this.steps = null;
    this.plan?.dispose();
    this.plan = null;
  }

  /** onnxruntime's name for dispose. */
  async release(): Promise<void> {
    this.dispose();
  }

  private begin(where: string, feeds: OnnxFeeds, fetches: readonly string[] | undefined) {
    if (this.steps === null) throw new Error(`${where}: this session has been disposed`);
    const wanted = fetches ?? this.outputNames;
    if (!Array.isArray(wanted) || !wanted.every((n) => typeof n === 'string' && this.outputNames.includes(n))) {
      throw typeError(where, 'fetches', `an array of output names (${this.outputNames.map((n) => `'${n}'`).join(', ')})`, fetches);
    }
    const values = new Map<string, Value>(this.constants);
    if (feeds === null || typeof feeds !== 'object') throw typeError(where, 'feeds', 'an object mapping input names to tensors', feeds);
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.has(name)) {
        throw rangeError(
          where,
          'feeds',
          `keyed by the model's inputs (${this.inputNames.map((n) => `'${n}'`).join(', ')})`,
          `an unknown input '${name}'`,
        );
      }
    }
    for (const info of this.inputs.values()) values.set(info.name, this.checkFeed(where, info, feeds[info.name]));
    const fed = new Set<unknown>(Object.values(feeds).map((f) => f.data));
    const budget = new RunBudget(this.maxRunBytes, (data) => this.constantData.has(data) || fed.has(data));
    return { steps: this.steps, values, wanted, budget };
  }

  private checkFeed(where: string, info: ValueInfo, feed: TensorLike | undefined): Value {
    const name = `feeds['${info.name}']`;
    if (feed === undefined) {
      throw typeError(
        where,
        name,
        `a tensor for input '${info.name}' (${info.type ?? 'any type'} [${(info.dims ?? []).map(showDim).join(', ')}])`,
        feed,
      );
    }
    const type = (info.type ?? (feed as { type?: unknown })?.type) as TensorType;
    if (type !== 'float32' && type !== 'int32' && type !== 'int64') {
      throw typeError(where, `${name}.type`, "'float32', 'int32' or 'int64'", (feed as { type?: unknown })?.type);
    }
    const t = expectTensor(where, name, feed, type);
    if (info.dims) {
      const ok = t.dims.length === info.dims.length && info.dims.every((d, k) => typeof d !== 'number' || d === t.dims[k]);
      if (!ok) throw rangeError(where, `${name}.dims`, `[${info.dims.map(showDim).join(', ')}]`, `[${t.dims.join(', ')}]`);
    }
    // A feed in a SharedArrayBuffer is copied: another thread could rewrite it between a node's
    // check of it and its use (indices, shapes, lengths), or between two nodes that read it.
    const data = t.data.buffer instanceof SharedArrayBuffer ? t.data.slice() : t.data;
    return { type, data, dims: [...t.dims] };
  }

  private finishStep(step: Step, out: Value[], values: Map<string, Value>, budget: RunBudget): void {
    step.node.outputs.forEach((name, k) => {
      if (name === '') return;
      if (out[k] === undefined) throw new NodeError(`${step.node.label}: produced no output ${k} ('${name}')`);
      values.set(name, out[k]);
      budget.hold(out[k].data);
    });
    for (const name of step.frees) {
      const v = values.get(name);
      if (v) budget.drop(v.data);
      values.delete(name);
    }
  }

  private results(where: string, values: Map<string, Value>, wanted: readonly string[], feeds: OnnxFeeds): OnnxResults<Types> {
    const fed = new Set(Object.values(feeds).map((f) => f.data));
    const out: Record<string, AnyTensor> = {};
    for (const name of wanted) {
      const v = values.get(name)!;
      if (v.type === 'bool')
        throw new TypeError(`${where}: output '${name}' is a bool tensor; gatedrnn returns float32, int32 and int64 tensors`);
      // A fresh buffer when the value is a constant's or a feed's (an Identity or Reshape of one):
      // the caller may write into its results.
      const data = this.constantData.has(v.data) || fed.has(v.data) ? v.data.slice() : v.data;
      const stated = this.outputTypes.get(name);
      if (stated !== undefined && stated !== v.type) {
        throw new TypeError(`${where}: expected output '${name}' to be ${stated} (options.outputTypes), but the model produced ${v.type}`);
      }
      out[name] = new Tensor(v.type, data as Float32Array, v.dims) as AnyTensor;
    }
    return out as OnnxResults<Types>;
  }
}

/** A value as a plan call takes it: bool as int32. */
function arenaInput(v: Value): Float32Array | Int32Array | BigInt64Array {
  return v.type === 'bool' ? Int32Array.from(v.data as Uint8Array) : (v.data as Float32Array | Int32Array | BigInt64Array);
}

/** A plan call's output as the graph types it (the arena holds int64 and bool as int32). */
function fromArena(type: ValueType, data: Float32Array | Int32Array, dims: number[]): Value {
  let out: ValueData = data;
  if (type === 'int64') out = BigInt64Array.from(data as Int32Array, (x) => BigInt(x));
  else if (type === 'bool') out = Uint8Array.from(data as Int32Array);
  return { type, data: out, dims };
}

function showDim(d: DeclaredDim): string {
  return d === null ? '?' : String(d);
}

/**
 * Loads an ONNX model from a file path or its bytes (Uint8Array, Buffer or ArrayBuffer).
 * Malformed files, unsupported operators or attributes, and graphs that cannot run are errors
 * that say what and where.
 */
export async function loadOnnx<Types extends OutputTypes = Record<never, never>>(
  model: string | Uint8Array | ArrayBuffer,
  options?: LoadOnnxOptions & { outputTypes?: Types },
): Promise<OnnxSession<Types>> {
  return new OnnxSession<Types>(await modelBytes('loadOnnx', model), options);
}

export async function modelBytes(where: string, model: unknown): Promise<Uint8Array> {
  if (typeof model === 'string') return readFileCappedAsync(where, model, modelFileCap());
  const tag = Object.prototype.toString.call(model);
  if (tag === '[object Uint8Array]') return model as Uint8Array;
  if (tag === '[object ArrayBuffer]') return new Uint8Array(model as ArrayBuffer);
  throw typeError(where, 'model', 'a file path, or the ONNX bytes as a Uint8Array (or Buffer) or an ArrayBuffer', model);
}
