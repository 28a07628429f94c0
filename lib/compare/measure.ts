// Cost measurements the trainer reports: batch-1 latency percentiles, batch throughput and peak
// memory. Timings come from a monotonic clock; each call is awaited, so async inference
// (runAsync on a worker thread) is timed end to end.
import { quantile } from './stats';

export interface TimingOptions {
  /** Untimed calls first (caches, lazy packing, JIT). */
  warmup?: number;
  /** Timed calls, at most. */
  iterations?: number;
  /** Stop timing after this many seconds even if fewer iterations ran (at least one runs). */
  maxSeconds?: number;
  /** Milliseconds from a monotonic origin; injectable for tests. */
  clock?: () => number;
}

const monotonicMs = () => performance.now();

async function timeCalls(run: () => unknown, options: TimingOptions, defaults: { warmup: number; iterations: number }): Promise<number[]> {
  const { warmup = defaults.warmup, iterations = defaults.iterations, maxSeconds = 5, clock = monotonicMs } = options;
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  const start = clock();
  while (times.length < Math.max(1, iterations)) {
    const t0 = clock();
    await run();
    times.push(clock() - t0);
    if (clock() - start > maxSeconds * 1000) break;
  }
  return times;
}

export interface LatencyResult {
  p50: number;
  p99: number;
  /** Every timed call, milliseconds. */
  samples: number[];
}

/** Times `run` (one batch-1 inference) repeatedly; percentiles in milliseconds. */
export async function measureLatency(run: () => unknown, options: TimingOptions = {}): Promise<LatencyResult> {
  const samples = await timeCalls(run, options, { warmup: 5, iterations: 200 });
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), samples };
}

/** Samples per second of `run`, one call processing `batchSize` samples (median call time). */
export async function measureThroughput(run: () => unknown, batchSize: number, options: TimingOptions = {}): Promise<number> {
  const samples = await timeCalls(run, options, { warmup: 2, iterations: 20 });
  const median = quantile(samples, 0.5);
  return median > 0 ? (batchSize * 1000) / median : Infinity;
}

/**
 * Peak resident memory over a stretch of work: sampled on a timer (which runs while the event
 * loop is free, e.g. during async training) and at every explicit sample() (call it between
 * epochs when training blocks the loop).
 */
export class PeakMemoryTracker {
  private peak = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly read: () => number;

  constructor(read: () => number = () => process.memoryUsage().rss) {
    this.read = read;
  }

  start(intervalMs = 50): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref?.();
  }

  sample(): number {
    this.peak = Math.max(this.peak, this.read());
    return this.peak;
  }

  /** Stops the timer and returns the peak in bytes. */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.sample();
  }
}
