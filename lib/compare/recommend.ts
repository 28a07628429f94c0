// A recommendation per task, from the measured numbers only, that says what was measured.
//
// Accuracy: GRU − LSTM on the task's primary metric, with a 95% interval over seeds and test
// items together (a hierarchical bootstrap of the per-item scores; a t interval over seeds when a
// trainer reports no items). The verdict is 'gru' or 'lstm' (the interval excludes 0),
// 'equivalent' (two one-sided tests within the task's declared margin) or 'inconclusive' (with
// the seeds that would resolve the margin). p-values are Holm-adjusted across the tasks of a run.
//
// Baselines: a cell beats a baseline only when the interval of its difference to it excludes 0.
//
// Costs: GRU / LSTM ratios with intervals (training time per epoch, batch-1 and batch-64
// inference timed interleaved) and the model's own memory (exact). A cost names a cell only when
// its whole interval lies outside 1 ± tolerance (5%).
//
// The choice combines them by priority: 'accuracy' takes the accuracy winner, else the cost
// winner; 'latency' and 'size' put batch-1 latency or memory first. A cell that does not beat the
// best baseline is not chosen over one that does; when neither does, the choice is 'neither'.
import { typeError } from '../errors';
import { type Cell, CELL_INFO, CELLS } from '../tasks';
import {
  type BaselineResult,
  type CellResult,
  type ComparisonResults,
  type MeasuredRatio,
  type MetricSpec,
  type Priority,
  PRIORITIES,
  type TaskResult,
} from './results';
import { summarize, type Summary } from './stats';
import {
  bootstrapDifference,
  costWinner,
  decideAll,
  type DecisionResult,
  type Evidence,
  pairedDifference,
  welchDifference,
} from './verdict';

export { PRIORITIES };

export interface RecommendOptions {
  priority?: Priority;
  /** A cost ratio whose interval lies within 1 ± tolerance is a tie (default 0.05). */
  tolerance?: number;
  /** Bootstrap resamples of the accuracy interval (default 2000). */
  resamples?: number;
}

export type AccuracyVerdict = Cell | 'equivalent' | 'inconclusive';
/** 'mixed': one cost favours each cell; 'tie': no cost separates them. */
export type CostVerdict = Cell | 'tie' | 'mixed';

/** One cost, GRU / LSTM, and the cell it favours (null: a tie within the tolerance). */
export interface CostComparison {
  ratio: number;
  low: number;
  high: number;
  /** The cell whose number is lower (cheaper) beyond the tolerance. */
  winner: Cell | null;
}

export interface BaselineComparison {
  name: string;
  value: number;
  /** Per cell: cell − baseline on the primary metric, with its interval. */
  difference: Record<Cell, Evidence>;
  /** Per cell: the interval excludes 0 on the better side. */
  beaten: Record<Cell, boolean>;
}

export interface Verdict {
  task: string;
  priority: Priority;
  metric: MetricSpec;
  /** Per-seed values of the primary metric. */
  gru: Summary;
  lstm: Summary;
  /** GRU − LSTM on the primary metric: estimate, 95% interval, p (unadjusted). */
  difference: Evidence;
  /** The practical margin in the metric's units (relative margins resolved). */
  margin: number;
  accuracy: AccuracyVerdict;
  /** Holm-adjusted p of the difference test and of the equivalence test. */
  p: number;
  pEquivalence: number;
  /** When inconclusive: seeds per cell at which a difference of one margin would be detected. */
  seedsNeeded: number | null;
  baseline: BaselineComparison | null;
  costs: {
    trainTime?: CostComparison;
    latency?: CostComparison;
    batch64?: CostComparison;
    memory?: CostComparison;
    params: CostComparison;
  };
  cost: CostVerdict;
  choice: Cell | 'either' | 'neither';
  /** One line: accuracy, costs, then the choice and why. */
  sentence: string;
}

const NAME = (c: Cell) => CELL_INFO[c].name;
const other = (c: Cell): Cell => (c === 'gru' ? 'lstm' : 'gru');

function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : Number(x.toPrecision(3)).toString();
}

function signed(x: number): string {
  return (x >= 0 ? '+' : '') + fmt(x);
}

/** The margin in the metric's units: absolute as declared, or relative to the cells' mean. */
export function marginOf(metric: MetricSpec, gru: number, lstm: number): number {
  if (!metric.margin) throw new Error(`recommend: the primary metric "${metric.name}" declares no margin`);
  return metric.margin.relative ? metric.margin.value * Math.abs((gru + lstm) / 2) : metric.margin.value;
}

/** How a margin reads: "±1 point" style for absolute shares, "±2%" for relative ones. */
export function marginText(metric: MetricSpec, margin: number): string {
  if (metric.margin?.relative) return `±${fmt(metric.margin.value * 100)}% (${fmt(margin)})`;
  return `±${fmt(margin)}`;
}

const hasItems = (c: CellResult) => c.runs.length > 0 && c.runs.every((r) => r.items && r.items.num.length > 0);

/** GRU − LSTM on `metric`: bootstrap over seeds and items where both have items, else Welch over seeds. */
export function primaryDifference(t: TaskResult, metric: MetricSpec, resamples = 2000): Evidence {
  return cellDifference(t.cells.gru, t.cells.lstm, metric, resamples);
}

/** a − b on `metric`, by the same rule as primaryDifference (also for the plain RNN's pairs). */
export function cellDifference(a: CellResult, b: CellResult, metric: MetricSpec, resamples = 2000): Evidence {
  if (hasItems(a) && hasItems(b) && a.runs[0].items!.num.length === b.runs[0].items!.num.length) {
    return bootstrapDifference(
      a.runs.map((r) => r.items!),
      b.runs.map((r) => r.items!),
      { transform: a.runs[0].items!.transform ?? 'identity', resamples },
    );
  }
  return welchDifference(
    a.runs.map((r) => r.metrics[metric.name]),
    b.runs.map((r) => r.metrics[metric.name]),
  );
}

function baselineComparison(t: TaskResult, metric: MetricSpec, resamples: number): BaselineComparison | null {
  let best: BaselineResult | null = null;
  for (const b of t.baselines) {
    const v = b.metrics[metric.name];
    if (v === undefined || !Number.isFinite(v)) continue;
    if (best === null || (metric.higherIsBetter ? v > best.metrics[metric.name] : v < best.metrics[metric.name])) best = b;
  }
  if (!best) return null;
  const value = best.metrics[metric.name];
  const difference = {} as Record<Cell, Evidence>;
  const beaten = {} as Record<Cell, boolean>;
  for (const c of CELLS) {
    const cell = t.cells[c];
    const items = best.items;
    const e =
      items && hasItems(cell) && cell.runs[0].items!.num.length === items.num.length
        ? bootstrapDifference(
            cell.runs.map((r) => r.items!),
            [items],
            { transform: items.transform ?? 'identity', resamples },
          )
        : pairedDifference(
            cell.runs.map((r) => r.metrics[metric.name]),
            cell.runs.map(() => value),
          );
    difference[c] = e;
    beaten[c] = metric.higherIsBetter ? e.low > 0 : e.high < 0;
  }
  return { name: best.name, value, difference, beaten };
}

function fromRatio(r: MeasuredRatio | undefined, tolerance: number): CostComparison | undefined {
  if (!r || !Number.isFinite(r.ratio)) return undefined;
  const w = costWinner({ ratio: r.ratio, low: r.low, high: r.high, level: 0.95, n: r.n }, tolerance);
  return { ratio: r.ratio, low: r.low, high: r.high, winner: w === 'a' ? 'gru' : w === 'b' ? 'lstm' : null };
}

function exact(ratio: number, tolerance: number): CostComparison {
  return fromRatio({ ratio, low: ratio, high: ratio, n: 1 }, tolerance) ?? { ratio, low: ratio, high: ratio, winner: null };
}

function costComparisons(t: TaskResult, tolerance: number): Verdict['costs'] {
  const c = t.costs ?? {};
  const out: Verdict['costs'] = { params: exact(t.cells.gru.params / t.cells.lstm.params, tolerance) };
  const trainTime = fromRatio(c.trainTime, tolerance);
  const latency = fromRatio(c.latency, tolerance);
  const batch64 = fromRatio(c.batch64, tolerance);
  if (trainTime) out.trainTime = trainTime;
  if (latency) out.latency = latency;
  if (batch64) out.batch64 = batch64;
  if (c.memory) out.memory = exact(c.memory.ratio, tolerance);
  return out;
}

/** The cell every resolved cost favours; 'mixed' when they disagree, 'tie' when none resolves. */
function costVerdict(costs: Verdict['costs']): CostVerdict {
  const winners = new Set(
    [costs.trainTime, costs.latency, costs.batch64, costs.memory ?? costs.params].map((x) => x?.winner).filter((w): w is Cell => !!w),
  );
  if (winners.size === 0) return 'tie';
  return winners.size === 1 ? [...winners][0] : 'mixed';
}

const COST_WORDS: Record<'trainTime' | 'latency' | 'batch64' | 'memory' | 'params', string> = {
  trainTime: 'trains',
  latency: 'answers one sample',
  batch64: 'runs a batch of 64',
  memory: 'needs',
  params: 'has',
};

/** "GRU trains 1.3× faster [1.2–1.4]", "GRU needs 23% less memory", or the tie. */
function costPhrase(key: keyof typeof COST_WORDS, c: CostComparison): string {
  if (key === 'memory' || key === 'params') {
    if (!c.winner) return key === 'memory' ? 'model memory about equal' : 'parameter counts about equal';
    const share = c.winner === 'gru' ? 1 - c.ratio : 1 - 1 / c.ratio;
    return `${NAME(c.winner)} ${COST_WORDS[key]} ${Math.round(share * 100)}% ${key === 'memory' ? 'less memory' : 'fewer parameters'}`;
  }
  const range = `[${fmt(c.low)}–${fmt(c.high)}]`;
  if (!c.winner)
    return `${key === 'trainTime' ? 'training time' : key === 'latency' ? 'batch-1 latency' : 'batch-64 time'} ratio ${fmt(c.ratio)} ${range}: a tie within ±5%`;
  const x = c.winner === 'gru' ? 1 / c.ratio : c.ratio;
  const lo = c.winner === 'gru' ? 1 / c.high : c.low;
  const hi = c.winner === 'gru' ? 1 / c.low : c.high;
  return `${NAME(c.winner)} ${COST_WORDS[key]} ${fmt(x)}× faster [${fmt(lo)}–${fmt(hi)}]`;
}

function accuracyPhrase(v: Omit<Verdict, 'sentence' | 'choice' | 'cost' | 'costs' | 'baseline' | 'task' | 'priority'>): string {
  const d = v.difference;
  const iv = Number.isFinite(d.low)
    ? `GRU − LSTM ${signed(d.estimate)} [${signed(d.low)}, ${signed(d.high)}]`
    : `GRU − LSTM ${signed(d.estimate)}, no interval`;
  const m = marginText(v.metric, v.margin);
  switch (v.accuracy) {
    case 'equivalent':
      return `No measurable ${v.metric.label} difference (equivalent within ${m}; ${iv})`;
    case 'inconclusive':
      return `${v.metric.label}: inconclusive (${iv}; margin ${m})${v.seedsNeeded ? `: about ${v.seedsNeeded} seeds would resolve ${m}` : ''}`;
    default:
      return `${NAME(v.accuracy)} has the better ${v.metric.label} (${iv}, Holm p ${fmt(v.p)})`;
  }
}

function verdictFor(
  t: TaskResult,
  decision: DecisionResult,
  difference: Evidence,
  margin: number,
  metric: MetricSpec,
  priority: Priority,
  tolerance: number,
  resamples: number,
): Verdict {
  const gru = summarize(t.cells.gru.runs.map((r) => r.metrics[metric.name]));
  const lstm = summarize(t.cells.lstm.runs.map((r) => r.metrics[metric.name]));
  const accuracy: AccuracyVerdict = decision.decision === 'a' ? 'gru' : decision.decision === 'b' ? 'lstm' : decision.decision;
  const baseline = baselineComparison(t, metric, resamples);
  const costs = costComparisons(t, tolerance);
  const cost = costVerdict(costs);
  const accWinner = accuracy === 'gru' || accuracy === 'lstm' ? accuracy : null;
  const costWin = cost === 'gru' || cost === 'lstm' ? cost : null;
  const order: (Cell | null)[] =
    priority === 'accuracy'
      ? [accWinner, costWin]
      : priority === 'latency'
        ? [costs.latency?.winner ?? null, accWinner, costWin]
        : [(costs.memory ?? costs.params).winner, accWinner, costWin];
  let choice: Verdict['choice'] = order.find((c) => c !== null) ?? 'either';
  const seedsNeeded = decision.unitsNeeded;
  const partial = { metric, gru, lstm, difference, margin, accuracy, p: decision.p, pEquivalence: decision.pEquivalence, seedsNeeded };

  let why: string;
  if (baseline && !baseline.beaten.gru && !baseline.beaten.lstm) {
    choice = 'neither';
    why = `neither beats the ${baseline.name} baseline (${fmt(baseline.value)}) beyond the noise → neither`;
  } else if (baseline && choice !== 'either' && !baseline.beaten[choice] && baseline.beaten[other(choice)]) {
    choice = other(choice);
    why = `only ${NAME(choice)} beats the ${baseline.name} baseline (${fmt(baseline.value)}) beyond the noise → ${NAME(choice)}`;
  } else if (choice === 'either') {
    why = `with priority ${priority} nothing measured separates them → either`;
  } else {
    const reason =
      choice === order[0] && priority === 'latency'
        ? 'faster at batch 1'
        : choice === order[0] && priority === 'size'
          ? 'smaller'
          : choice === accWinner
            ? 'more accurate'
            : `costs favour ${NAME(choice)}`;
    why = `${reason} → ${NAME(choice)}`;
    if (accWinner && accWinner !== choice) why += `, at a measurable cost in ${metric.label}`;
  }
  const costParts = (['trainTime', 'latency', 'batch64', 'memory'] as const).filter((k) => costs[k]).map((k) => costPhrase(k, costs[k]!));
  if (!costs.memory) costParts.push(costPhrase('params', costs.params));
  const listed = costParts.join('; ');
  const costText =
    cost === 'tie'
      ? `No cost separates them (${listed})`
      : cost === 'mixed'
        ? `Costs are mixed: ${listed}`
        : listed.charAt(0).toUpperCase() + listed.slice(1);
  const sentence = `${t.meta.dataset} (${t.meta.task}): ${accuracyPhrase(partial)}. ${costText}; ${why}.`;
  return { task: t.meta.id, priority, ...partial, baseline, costs, cost, choice, sentence };
}

/**
 * One verdict per task; see the file comment. The accuracy tests of all tasks form one family
 * for Holm's adjustment.
 */
export function recommend(results: ComparisonResults | readonly TaskResult[], options: RecommendOptions = {}): Verdict[] {
  const { priority = 'accuracy', tolerance = 0.05, resamples = 2000 } = options;
  if (!PRIORITIES.includes(priority))
    throw typeError('recommend', 'options.priority', `one of ${PRIORITIES.map((p) => `'${p}'`).join(', ')}`, priority);
  if (!(tolerance >= 0 && tolerance < 1)) throw typeError('recommend', 'options.tolerance', 'a number in [0, 1)', tolerance);
  const tasks = Array.isArray(results) ? (results as readonly TaskResult[]) : (results as ComparisonResults)?.tasks;
  if (!Array.isArray(tasks))
    throw typeError('recommend', 'results', 'a results object ({ tasks: [...] }) or an array of task results', results);
  const prepared = tasks.map((t) => {
    const metric = t.meta.metrics.find((m: MetricSpec) => m.name === t.meta.primaryMetric);
    if (!metric)
      throw new Error(`recommend: task "${t.meta.id}" names primary metric "${t.meta.primaryMetric}", which is not among its metrics`);
    const mean = (c: CellResult) => summarize(c.runs.map((r) => r.metrics[metric.name])).mean;
    const margin = marginOf(metric, mean(t.cells.gru), mean(t.cells.lstm));
    return { t, metric, margin, difference: primaryDifference(t, metric, resamples) };
  });
  const decisions = decideAll(
    prepared.map((p) => ({ evidence: p.difference, options: { margin: p.margin, higherIsBetter: p.metric.higherIsBetter } })),
  );
  return prepared.map((p, i) => verdictFor(p.t, decisions[i], p.difference, p.margin, p.metric, priority, tolerance, resamples));
}
