// crosscheck: run one model in gatedrnn and in onnxruntime-node on the same inputs and report,
// per output, the largest absolute and relative difference, and the speed ratio (median of a few
// runs each, interleaved, in one process). onnxruntime-node is loaded only here, when asked for.
import { describe, rangeError, typeError } from '../errors';
import { positiveInt } from '../validate';
import { Tensor, type TensorLike, type TensorType } from '../tensor';
import { Rng } from '../rng';
import { median } from '../util/quantile';
import { type DeclaredDim, type ParsedGraph, parseModel } from './graph';
import { type LoadOnnxOptions, OnnxSession, modelBytes } from './session';
import { sizeOf } from './values';

export interface CrosscheckOptions {
  /** Largest allowed |gatedrnn - onnxruntime| per element; default 1e-4. */
  tolerance?: number;
  /** Sizes for symbolic dims of the inputs, by name (e.g. { batch: 8, seq: 50 }). */
  dims?: Record<string, number>;
  /** Timed runs of each engine (after one warm-up); default 5. */
  runs?: number;
  /** Threads for both engines; default each engine's own default. */
  threads?: number;
  /** Seed of the random inputs; default 1. */
  seed?: number;
}

export interface CrosscheckOutput {
  name: string;
  dims: readonly number[];
  maxAbsDiff: number;
  /** Largest |a - b| / max(|b|, 1e-6) over the elements. */
  maxRelDiff: number;
  ok: boolean;
}

export interface CrosscheckReport {
  outputs: CrosscheckOutput[];
  /** Median milliseconds per run. */
  gatedrnnMs: number;
  onnxruntimeMs: number;
  /** onnxruntimeMs / gatedrnnMs: above 1 means gatedrnn is faster. */
  speedRatio: number;
  tolerance: number;
  ok: boolean;
  /** The inputs used (given or generated). */
  feeds: Record<string, Tensor>;
}

type Ort = typeof import('onnxruntime-node');

function loadOrt(): Ort {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('onnxruntime-node') as Ort;
  } catch (e) {
    throw new Error(
      `onnxruntime-node could not be loaded (${(e as Error).message.split('\n')[0]}); install it with npm install onnxruntime-node`,
    );
  }
}

function defaultDim(name: string): number {
  return /batch|^n$|^b$/i.test(name) ? 2 : 6;
}

/**
 * Integer inputs need values the model accepts: indices into a Gather's table (token ids) stay
 * below the table's size; a recurrent node's sequence_lens gets full lengths (filled in later).
 */
function intBounds(graph: ParsedGraph): Map<string, number | 'lengths'> {
  const bounds = new Map<string, number | 'lengths'>();
  for (const n of graph.nodes) {
    if (n.opType === 'Gather' && n.inputs[1]) {
      const table = graph.initializers.get(n.inputs[0]);
      const axisAttr = n.attributes.find((a) => a.name === 'axis');
      const axis = Number(axisAttr?.i ?? 0n);
      if (table) bounds.set(n.inputs[1], table.dims[axis < 0 ? axis + table.dims.length : axis]);
    }
    if ((n.opType === 'GRU' || n.opType === 'LSTM' || n.opType === 'RNN') && n.inputs[4]) bounds.set(n.inputs[4], 'lengths');
  }
  return bounds;
}

/** A size for a dim name the model's inputs do not declare would be ignored: refuse it instead. */
function checkDimNames(where: string, graph: ParsedGraph, dims: Record<string, number>): void {
  const declared = [...new Set(graph.inputs.flatMap((i) => (i.dims ?? []).filter((d): d is string => typeof d === 'string')))];
  for (const name of Object.keys(dims)) {
    if (!declared.includes(name)) {
      const expected =
        declared.length > 0
          ? `keyed by the model's symbolic input dims (${declared.join(', ')})`
          : "empty (the model's inputs declare no symbolic dims)";
      throw rangeError(where, 'options.dims', expected, `a size for '${name}'`);
    }
  }
}

function randomFeeds(graph: ParsedGraph, options: CrosscheckOptions): Record<string, Tensor> {
  const rng = new Rng(options.seed ?? 1);
  const next = (): number => rng.next();
  const bounds = intBounds(graph);
  const sizes = new Map(Object.entries(options.dims ?? {}));
  const resolve = (d: DeclaredDim): number => {
    if (typeof d === 'number') return d;
    const name = d ?? '?';
    if (!sizes.has(name)) sizes.set(name, defaultDim(name));
    return sizes.get(name)!;
  };
  const feeds: Record<string, Tensor> = {};
  for (const input of graph.inputs) {
    if (!input.dims) throw new Error(`input '${input.name}' declares no shape; pass its feeds (--inputs file.json)`);
    const dims = input.dims.map(resolve);
    const n = sizeOf(dims);
    const type: TensorType = input.type === 'int32' || input.type === 'int64' ? input.type : 'float32';
    const bound = bounds.get(input.name);
    // Full lengths: the largest size among the other symbolic dims is the sequence length.
    const lengths = Math.max(...[...sizes.values()], 1);
    const value = (): number => (type === 'float32' ? next() * 2 - 1 : bound === 'lengths' ? lengths : Math.floor(next() * (bound ?? 2)));
    const data = type === 'float32' ? new Float32Array(n) : type === 'int32' ? new Int32Array(n) : new BigInt64Array(n);
    for (let k = 0; k < n; k++) {
      if (type === 'int64') (data as BigInt64Array)[k] = BigInt(value());
      else (data as Float32Array)[k] = value();
    }
    feeds[input.name] = new Tensor(type, data as Float32Array, dims);
  }
  return feeds;
}

/**
 * Median milliseconds per run of each engine, after one warm-up each. The runs alternate, and
 * which engine goes first alternates too, so a slow spell of a busy machine falls on both.
 */
async function timeInterleaved(runs: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  await a();
  await b();
  const times: [number[], number[]] = [[], []];
  const fns = [a, b];
  for (let k = 0; k < runs; k++) {
    for (const j of k % 2 === 0 ? [0, 1] : [1, 0]) {
      const t0 = process.hrtime.bigint();
      await fns[j]();
      times[j].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return [median(times[0]), median(times[1])];
}

function compare(name: string, a: TensorLike, b: TensorLike, tolerance: number): CrosscheckOutput {
  const da = a.data as ArrayLike<number | bigint>;
  const db = b.data as ArrayLike<number | bigint>;
  const sameDims = a.dims.length === b.dims.length && a.dims.every((d, k) => d === b.dims[k]);
  let abs = sameDims && da.length === db.length ? 0 : Infinity;
  let rel = abs;
  if (abs === 0) {
    for (let k = 0; k < da.length; k++) {
      const x = Number(da[k]);
      const y = Number(db[k]);
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      const d = Math.abs(x - y);
      if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
      const r = d / Math.max(Math.abs(y), 1e-6);
      if (!(r <= rel)) rel = Number.isNaN(r) ? Infinity : r;
    }
  }
  return { name, dims: [...a.dims], maxAbsDiff: abs, maxRelDiff: rel, ok: abs <= tolerance };
}

/**
 * Runs a model in gatedrnn and onnxruntime-node on the same feeds (random ones shaped from the
 * model when none are given) and compares every output.
 */
export async function crosscheck(
  model: string | Uint8Array | ArrayBuffer,
  feeds?: Record<string, TensorLike>,
  options: CrosscheckOptions = {},
): Promise<CrosscheckReport> {
  const where = 'crosscheck';
  if (options === null || typeof options !== 'object') throw typeError(where, 'options', 'an object', options);
  const tolerance = options.tolerance ?? 1e-4;
  if (typeof tolerance !== 'number') throw typeError(where, 'options.tolerance', 'a non-negative number', tolerance);
  if (!(tolerance >= 0)) throw rangeError(where, 'options.tolerance', 'a non-negative number', describe(tolerance));
  const runs = positiveInt(where, 'options.runs', options.runs ?? 5);
  for (const [name, size] of Object.entries(options.dims ?? {})) positiveInt(where, `options.dims.${name}`, size);
  const bytes = await modelBytes(where, model);
  const graph = parseModel(where, bytes);
  checkDimNames(where, graph, options.dims ?? {});
  const inputs = feeds ?? randomFeeds(graph, options);

  const ort = loadOrt();
  const loadOptions: LoadOnnxOptions = options.threads ? { threads: options.threads } : {};
  const ours = new OnnxSession(bytes, loadOptions);
  const theirs = await ort.InferenceSession.create(
    bytes,
    options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {},
  );
  try {
    const ortFeeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const [name, t] of Object.entries(inputs)) ortFeeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    const a = await ours.run(inputs);
    const b = await theirs.run(ortFeeds);
    const outputs = ours.outputNames.map((name) => compare(name, a[name], b[name], tolerance));
    const [gatedrnnMs, onnxruntimeMs] = await timeInterleaved(
      runs,
      () => ours.run(inputs),
      () => theirs.run(ortFeeds),
    );
    const fedTensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(inputs))
      fedTensors[name] = t instanceof Tensor ? t : new Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    return {
      outputs,
      gatedrnnMs,
      onnxruntimeMs,
      speedRatio: onnxruntimeMs / gatedrnnMs,
      tolerance,
      ok: outputs.every((o) => o.ok),
      feeds: fedTensors,
    };
  } finally {
    ours.dispose();
    await theirs.release();
  }
}

/** The report as a few lines of text (what the CLI prints). */
export function formatCrosscheck(model: string, report: CrosscheckReport): string {
  const fmt = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));
  const rows = report.outputs.map((o) => [
    o.name,
    `[${o.dims.join(', ')}]`,
    fmt(o.maxAbsDiff),
    fmt(o.maxRelDiff),
    o.ok ? 'ok' : 'OUTSIDE TOLERANCE',
  ]);
  const header = ['output', 'dims', 'max abs diff', 'max rel diff', `within ${report.tolerance}`];
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (r: string[]) =>
    r
      .map((c, k) => c.padEnd(widths[k]))
      .join('  ')
      .trimEnd();
  const inputs = Object.entries(report.feeds)
    .map(([n, t]) => `${n} ${t.type} [${t.dims.join(', ')}]`)
    .join(', ');
  return [
    `${model}: inputs ${inputs}`,
    line(header),
    ...rows.map(line),
    `median per run: gatedrnn ${report.gatedrnnMs.toFixed(3)} ms, onnxruntime-node ${report.onnxruntimeMs.toFixed(3)} ms; speed ratio ${report.speedRatio.toFixed(2)}x (above 1: gatedrnn is faster)`,
    report.ok ? 'PASS' : 'FAIL: outputs differ beyond the tolerance',
  ].join('\n');
}
