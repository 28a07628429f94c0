// Inference timing of two models, interleaved: in each round both run the same number of calls,
// in alternating order, so whatever else the machine does in that second touches both alike. The
// per-round ratio of their median call times gives an interval; rounds go on until the interval
// is tight or a time cap is reached. Timings come from a monotonic clock, and each call is
// awaited, so async inference (runAsync on a worker thread) is timed end to end.
import { quantile } from '../util/quantile';
import { ratioInterval } from './verdict';

export interface InterleaveOptions {
  /** Untimed calls of each model first (caches, lazy packing, JIT); default 2. */
  warmup?: number;
  /** Timed calls of each model per round; default 9. */
  callsPerRound?: number;
  /** Rounds before the interval may stop the timing; default 6. */
  minRounds?: number;
  /** Rounds at most; default 60. */
  maxRounds?: number;
  /** Stop once the interval of the ratio is within ×(1 ± this); default 0.02. */
  tightness?: number;
  /** Stop after this many seconds even if the interval is wider (min rounds still run); default 2. */
  maxSeconds?: number;
  /** Milliseconds from a monotonic origin; injectable for tests. */
  clock?: () => number;
}

export interface InterleavedTiming {
  /** Median call time of each model over all rounds, milliseconds. */
  aMs: number;
  bMs: number;
  /** A / B of call times (geometric mean of the per-round ratios) and its 95% interval. */
  ratio: number;
  low: number;
  high: number;
  /** Rounds timed. */
  n: number;
}

const monotonicMs = () => performance.now();

/** Times `a` and `b` (one inference each) interleaved; see the file comment. */
export async function interleavedTiming(a: () => unknown, b: () => unknown, options: InterleaveOptions = {}): Promise<InterleavedTiming> {
  const { warmup = 3, callsPerRound = 9, minRounds = 6, maxRounds = 60, tightness = 0.02, maxSeconds = 2, clock = monotonicMs } = options;
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const timeCalls = async (run: () => unknown): Promise<number> => {
    const times: number[] = [];
    for (let i = 0; i < callsPerRound; i++) {
      const t0 = clock();
      await run();
      times.push(clock() - t0);
    }
    return quantile(times, 0.5);
  };
  const aRounds: number[] = [];
  const bRounds: number[] = [];
  const start = clock();
  for (let r = 0; r < Math.max(2, maxRounds); r++) {
    if (r % 2 === 0) {
      aRounds.push(await timeCalls(a));
      bRounds.push(await timeCalls(b));
    } else {
      bRounds.push(await timeCalls(b));
      aRounds.push(await timeCalls(a));
    }
    if (aRounds.length < Math.max(2, minRounds)) continue;
    const positive = aRounds.every((x) => x > 0) && bRounds.every((x) => x > 0);
    if (!positive) break;
    const iv = ratioInterval(aRounds, bRounds);
    if ((iv.high / iv.ratio <= 1 + tightness && iv.ratio / iv.low <= 1 + tightness) || clock() - start > maxSeconds * 1000) break;
  }
  const aMs = quantile(aRounds, 0.5);
  const bMs = quantile(bRounds, 0.5);
  if (!(aRounds.every((x) => x > 0) && bRounds.every((x) => x > 0)))
    return { aMs, bMs, ratio: NaN, low: NaN, high: NaN, n: aRounds.length };
  const iv = ratioInterval(aRounds, bRounds);
  return { aMs, bMs, ratio: iv.ratio, low: iv.low, high: iv.high, n: aRounds.length };
}
