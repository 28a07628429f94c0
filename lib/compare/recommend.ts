// A recommendation per task computed from the measured numbers only: is the metric difference
// outside its uncertainty, how do speed and size compare, and what does the user care about.
import { typeError } from '../errors';
import { Cell } from './params';
import { BaselineResult, CellResult, ComparisonResults, MetricSpec, Priority, TaskResult } from './results';
import { quantile, summarize, Summary, welchInterval, DifferenceInterval } from './stats';

export const PRIORITIES: readonly Priority[] = ['accuracy', 'latency', 'size'];

export interface RecommendOptions {
  priority?: Priority;
  /** A speed or size ratio within 1 ± tolerance counts as a tie (default 0.05). */
  tolerance?: number;
  /** Confidence level of the metric difference's interval (default 0.95). */
  level?: number;
}

export interface MetricComparison {
  metric: MetricSpec;
  gru: Summary;
  lstm: Summary;
  /** Interval of mean(GRU) - mean(LSTM). */
  interval: DifferenceInterval;
  /** The better cell when the interval excludes 0, else null. */
  better: Cell | null;
}

/**
 * GRU value / LSTM value of the median over seeds; below 1 means GRU's number is smaller. Costs
 * are timings: one seed timed in a slow minute of a shared machine moves a mean (a batch-1
 * latency of 0.117 ms among 0.044 and 0.046 turned a tie into "1.45x faster"), not a median.
 */
export interface CostRatios {
  latencyP50: number;
  latencyP99: number;
  throughputBatch64: number;
  samplesPerSecond: number;
  trainSecondsPerEpoch: number;
  params: number;
  peakMemory: number;
}

export interface Verdict {
  task: string;
  priority: Priority;
  /** 'neither' when no cell beats the best baseline on the primary metric. */
  choice: Cell | 'either' | 'neither';
  primary: MetricComparison;
  baseline: { name: string; value: number } | null;
  beatsBaseline: { gru: boolean; lstm: boolean } | null;
  ratios: CostRatios;
  /** Lower batch-1 latency by more than the tolerance, else null. */
  faster: Cell | null;
  /** Fewer parameters by more than the tolerance, else null. */
  smaller: Cell | null;
  sentence: string;
}

const other = (c: Cell): Cell => (c === 'gru' ? 'lstm' : 'gru');
const NAME: Record<Cell, string> = { gru: 'GRU', lstm: 'LSTM' };

/** A cost of one cell as compared and reported: the median over its seeds' runs. */
export function medianOf(cell: CellResult, pick: (r: CellResult['runs'][number]) => number): number {
  return quantile(cell.runs.map(pick), 0.5);
}

function costRatios(t: TaskResult): CostRatios {
  const r = (pick: (x: CellResult['runs'][number]) => number) => medianOf(t.cells.gru, pick) / medianOf(t.cells.lstm, pick);
  return {
    latencyP50: r((x) => x.latencyMs.p50),
    latencyP99: r((x) => x.latencyMs.p99),
    throughputBatch64: r((x) => x.throughputBatch64),
    samplesPerSecond: r((x) => x.samplesPerSecond),
    trainSecondsPerEpoch: r((x) => x.trainSecondsPerEpoch),
    params: t.cells.gru.params / t.cells.lstm.params,
    peakMemory: r((x) => x.peakMemoryBytes),
  };
}

/** The best baseline value of a metric, or null when no baseline reports it. */
export function bestBaseline(baselines: readonly BaselineResult[], metric: MetricSpec): { name: string; value: number } | null {
  let best: { name: string; value: number } | null = null;
  for (const b of baselines) {
    const v = b.metrics[metric.name];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (best === null || (metric.higherIsBetter ? v > best.value : v < best.value)) best = { name: b.name, value: v };
  }
  return best;
}

export function compareMetric(t: TaskResult, metric: MetricSpec, level = 0.95): MetricComparison {
  const g = t.cells.gru.runs.map((r) => r.metrics[metric.name]);
  const l = t.cells.lstm.runs.map((r) => r.metrics[metric.name]);
  const interval = welchInterval(g, l, level);
  let better: Cell | null = null;
  if (interval.significant) better = interval.difference > 0 === metric.higherIsBetter ? 'gru' : 'lstm';
  return { metric, gru: summarize(g), lstm: summarize(l), interval, better };
}

function tieBreak(ratio: number, tolerance: number): Cell | null {
  if (!Number.isFinite(ratio)) return null;
  if (ratio < 1 - tolerance) return 'gru';
  if (ratio > 1 / (1 - tolerance)) return 'lstm';
  return null;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : Number(x.toPrecision(3)).toString();
}

function signed(x: number): string {
  return (x >= 0 ? '+' : '') + fmt(x);
}

function ratioPhrase(cell: Cell, ratio: number, what: string, invert: boolean): string {
  // ratio is GRU/LSTM of a "lower is better" quantity (latency, params): say how the named cell fares.
  const r = cell === 'gru' ? ratio : 1 / ratio;
  const v = invert ? 1 / r : r;
  return `${NAME[cell]} is ${fmt(v)}× ${what}`;
}

function verdictFor(t: TaskResult, priority: Priority, tolerance: number, level: number): Verdict {
  const metric = t.meta.metrics.find((m) => m.name === t.meta.primaryMetric);
  if (!metric) throw new Error(`recommend: task "${t.meta.id}" names primary metric "${t.meta.primaryMetric}", which is not among its metrics`);
  const primary = compareMetric(t, metric, level);
  const ratios = costRatios(t);
  const faster = tieBreak(ratios.latencyP50, tolerance);
  const smaller = tieBreak(ratios.params, tolerance);
  const baseline = bestBaseline(t.baselines, metric);
  const beats = (s: Summary) => (baseline === null ? true : metric.higherIsBetter ? s.mean > baseline.value : s.mean < baseline.value);
  const beatsBaseline = baseline === null ? null : { gru: beats(primary.gru), lstm: beats(primary.lstm) };

  const order: (Cell | null)[] = priority === 'accuracy' ? [primary.better, faster, smaller] : priority === 'latency' ? [faster, primary.better, smaller] : [smaller, primary.better, faster];
  let choice: Verdict['choice'] = order.find((c) => c !== null) ?? 'either';
  if (beatsBaseline && !beatsBaseline.gru && !beatsBaseline.lstm) choice = 'neither';
  else if (beatsBaseline && choice !== 'either' && !beatsBaseline[choice] && beatsBaseline[other(choice)]) choice = other(choice);

  const parts: string[] = [];
  const ci = primary.interval;
  const ciText = Number.isFinite(ci.low) ? `${Math.round(level * 100)}% CI ${signed(ci.low)} to ${signed(ci.high)}` : 'no interval with fewer than 2 seeds per cell';
  parts.push(
    `${metric.label}: GRU ${fmt(primary.gru.mean)} ± ${fmt(primary.gru.std)} vs LSTM ${fmt(primary.lstm.mean)} ± ${fmt(primary.lstm.std)} ` +
      `(GRU − LSTM ${signed(ci.difference)}, ${ciText}: ${primary.better ? `${NAME[primary.better]} is better beyond the noise` : 'within the noise'})`,
  );
  if (baseline) parts.push(`best baseline ${baseline.name} ${fmt(baseline.value)}`);
  parts.push(faster ? ratioPhrase(faster, ratios.latencyP50, 'faster at batch 1', true) : 'batch-1 latency is about equal');
  parts.push(smaller ? ratioPhrase(smaller, ratios.params, 'the size', false) : 'sizes are about equal');
  let why: string;
  if (choice === 'neither') why = `neither model beats the ${baseline?.name} baseline, so the recurrent model adds nothing measurable here`;
  else if (choice === 'either') why = `with priority ${priority} nothing measured separates them`;
  else {
    const reason = choice === primary.better ? 'more accurate' : choice === faster ? 'faster' : 'smaller';
    why = `with priority ${priority}, ${NAME[choice]} (${reason})`;
    if (primary.better && primary.better !== choice) why += `, at a measurable cost in ${metric.label}`;
  }
  const verdictWord = choice === 'neither' ? 'neither' : choice === 'either' ? 'either' : NAME[choice];
  return {
    task: t.meta.id,
    priority,
    choice,
    primary,
    baseline,
    beatsBaseline,
    ratios,
    faster,
    smaller,
    sentence: `${t.meta.dataset} (${t.meta.task}): ${verdictWord}. ${parts.join('; ')}; ${why}.`,
  };
}

/**
 * One verdict per task. Priority 'accuracy' picks the cell whose primary metric is better beyond
 * its confidence interval, and breaks a tie by batch-1 latency, then size; 'latency' and 'size'
 * put their own criterion first. A cell that does not beat the best baseline is not chosen over
 * one that does, and when neither does the verdict is 'neither'.
 */
export function recommend(results: ComparisonResults | readonly TaskResult[], options: RecommendOptions = {}): Verdict[] {
  const { priority = 'accuracy', tolerance = 0.05, level = 0.95 } = options;
  if (!PRIORITIES.includes(priority)) throw typeError('recommend', 'options.priority', `one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}`, priority);
  if (!(tolerance >= 0 && tolerance < 1)) throw typeError('recommend', 'options.tolerance', 'a number in [0, 1)', tolerance);
  const tasks = Array.isArray(results) ? (results as readonly TaskResult[]) : (results as ComparisonResults)?.tasks;
  if (!Array.isArray(tasks)) throw typeError('recommend', 'results', 'a results object ({ tasks: [...] }) or an array of task results', results);
  return tasks.map((t) => verdictFor(t, priority, tolerance, level));
}
