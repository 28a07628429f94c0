// Memory budgets for a run: how much memory the process may really use, and the per-run count of
// the bytes that a run holds at once (an ONNX session's run, a model's predict, an operator's
// call), checked before each allocation so that a graph or input that asks for too much is a
// RangeError that names the node, not a process the OS kills. Kept apart from the callers: they
// call `claim` before an allocation and `hold`/`drop` as values live and die.
import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { rangeError, typeError } from './errors';

/** The default per-run budget never exceeds this, whatever the machine holds. */
export const DEFAULT_RUN_CAP = 4 * 2 ** 30;

let available: { bytes: number; source: string } | undefined;

/** A limit in a cgroup file ('max' or a sentinel near 2^63 means none). */
function cgroupLimit(file: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    const n = Number(text);
    return Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The memory this process may really use: the least of process.constrainedMemory() (Node 19.6+),
 * the cgroup v2 and v1 limits, and the machine's total memory. os.totalmem() alone ignores a
 * container's limit, where going over it gets the process killed, not refused.
 */
export function availableMemory(): { bytes: number; source: string } {
  if (available) return available;
  let best = { bytes: os.totalmem(), source: 'os.totalmem()' };
  const consider = (bytes: number | undefined, source: string): void => {
    if (bytes !== undefined && Number.isFinite(bytes) && bytes > 0 && bytes < best.bytes) best = { bytes, source };
  };
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  consider(constrained !== undefined && constrained < 2 ** 60 ? constrained : undefined, 'process.constrainedMemory()');
  consider(cgroupLimit('/sys/fs/cgroup/memory.max'), 'the cgroup limit (memory.max)');
  consider(cgroupLimit('/sys/fs/cgroup/memory/memory.limit_in_bytes'), 'the cgroup limit (memory.limit_in_bytes)');
  return (available = best);
}

/** The default budget of one run: half the memory the process may use, at most DEFAULT_RUN_CAP. */
export function defaultRunBytes(): number {
  return Math.min(availableMemory().bytes / 2, DEFAULT_RUN_CAP);
}

/** The largest single array Node can allocate, in bytes. */
export const MAX_ARRAY_BYTES = constants.MAX_LENGTH;

/** Checks a maxRunBytes option: undefined gives the default. */
export function runBytesOption(where: string, name: string, value: unknown): number {
  if (value === undefined) return defaultRunBytes();
  if (typeof value !== 'number' || Number.isNaN(value)) throw typeError(where, name, 'a positive number of bytes', value);
  if (!(value > 0)) throw rangeError(where, name, 'a positive number of bytes', String(value));
  return value;
}

export function showBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(n)} bytes`;
}

let current: RunBudget | null = null;

/** The bytes one run holds at once, against its limit. */
export class RunBudget {
  /** Bytes of the values the run holds between steps. */
  private held = 0;
  /** Bytes claimed within the current step (its outputs and temporaries). */
  private stepBytes = 0;
  private peakBytes = 0;
  private readonly live = new Map<ArrayBufferLike, { bytes: number; refs: number }>();

  /**
   * `limit`: bytes; `exempt`: arrays that are not the run's to count (the model's constants, the
   * caller's feeds).
   */
  constructor(
    readonly limit: number,
    private readonly exempt: (data: ArrayBufferView) => boolean = () => false,
  ) {}

  get peak(): number {
    return this.peakBytes;
  }

  /**
   * Runs one step with its allocations counted against this run: the synchronous part of fn (an
   * asynchronous kernel claims its outputs before it leaves the thread).
   */
  during<T>(fn: () => T): T {
    const outer = current;
    current = this;
    this.stepBytes = 0;
    try {
      return fn();
    } finally {
      current = outer;
      this.stepBytes = 0;
    }
  }

  /** Before an allocation of `bytes` at `where`: throws when the run would hold more than its limit. */
  claim(where: string, bytes: number): void {
    const total = this.held + this.stepBytes + bytes;
    if (!(total <= this.limit)) {
      throw new RangeError(
        `${where}: this run would hold ${showBytes(total)} at once (${showBytes(bytes)} for this output), ` +
          `over its budget of ${showBytes(this.limit)}; raise it with the maxRunBytes option if the machine has the memory`,
      );
    }
    this.stepBytes += bytes;
    this.peakBytes = Math.max(this.peakBytes, total);
  }

  /** A value the run now holds (a step's output); the same memory under two names counts once. */
  hold(data: ArrayBufferView): void {
    if (this.exempt(data)) return;
    const e = this.live.get(data.buffer);
    if (e) e.refs++;
    else {
      this.live.set(data.buffer, { bytes: data.buffer.byteLength, refs: 1 });
      this.held += data.buffer.byteLength;
    }
  }

  /** A value the run no longer holds. */
  drop(data: ArrayBufferView): void {
    const e = this.live.get(data.buffer);
    if (!e || --e.refs > 0) return;
    this.live.delete(data.buffer);
    this.held -= e.bytes;
  }
}

/**
 * Called before an allocation of `bytes` at `where`. Inside a run's step the run's budget counts
 * it; outside any (an operator called on its own) the call is a run of its own, under the default
 * budget.
 */
export function claim(where: string, bytes: number): void {
  if (current) {
    current.claim(where, bytes);
    return;
  }
  const limit = defaultRunBytes();
  if (!(bytes <= limit)) {
    throw new RangeError(
      `${where}: this call would allocate ${showBytes(bytes)} at once, over the default budget of ${showBytes(limit)} ` +
        `(half of ${availableMemory().source}, at most ${showBytes(DEFAULT_RUN_CAP)})`,
    );
  }
}

/**
 * Checks, before a call allocates anything, what each of its stages will hold at once (a model's
 * predict: the result, and one layer's input and output for a batch).
 */
export function checkStages(where: string, stages: readonly { label: string; bytes: number }[], limit: number): void {
  for (const s of stages) {
    if (!(s.bytes <= limit)) {
      throw new RangeError(
        `${where}: ${s.label} would hold ${showBytes(s.bytes)} at once, over the budget of ${showBytes(limit)}; raise it with the maxRunBytes option if the machine has the memory`,
      );
    }
  }
}
