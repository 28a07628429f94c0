// "Does gating matter here?": each gated cell against the plain tanh RNN on every task that ran
// one (compare --cells gru,lstm,rnn), with the GRU-vs-LSTM verdict's rules: the difference on the
// task's primary metric with a 95% interval over seeds and test items, 'better' when the interval
// excludes 0, 'equivalent' by two one-sided tests within the task's margin, else 'inconclusive'
// with the seeds that would resolve it. The gating rows of a run are one family for Holm.
import { CELL_INFO } from '../tasks';
import { cellDifference, marginOf, marginText } from './recommend';
import type { CellResult, ComparisonResults, MetricSpec, TaskResult } from './results';
import { summarize } from './stats';
import { decideAll, type Evidence } from './verdict';

export type GatedCell = 'gru' | 'lstm';

export interface GatingRow {
  task: string;
  gated: GatedCell;
  metric: MetricSpec;
  /** Means over seeds of the primary metric. */
  gatedMean: number;
  rnnMean: number;
  /** gated − RNN on the primary metric. */
  difference: Evidence;
  margin: number;
  /** The better cell, 'equivalent' or 'inconclusive'. */
  verdict: GatedCell | 'rnn' | 'equivalent' | 'inconclusive';
  /** Holm-adjusted p of the difference test and of the equivalence test. */
  p: number;
  pEquivalence: number;
  seedsNeeded: number | null;
}

export interface GatingAnswer {
  task: string;
  rows: GatingRow[];
  /** 'helps': both gated cells beat the RNN; 'no': both equivalent to it; 'rnn': the RNN beats both; else 'mixed'. */
  answer: 'helps' | 'no' | 'rnn' | 'mixed';
  sentence: string;
}

const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : 'n/a');
const signed = (x: number): string => (x >= 0 ? '+' : '') + fmt(x);

/** One answer per task that ran the plain RNN; none when no task did. */
export function gatingVerdicts(results: ComparisonResults | readonly TaskResult[], options: { resamples?: number } = {}): GatingAnswer[] {
  const resamples = options.resamples ?? 2000;
  const tasks = (Array.isArray(results) ? results : (results as ComparisonResults).tasks) as readonly TaskResult[];
  const pairs: {
    t: TaskResult;
    gated: GatedCell;
    metric: MetricSpec;
    margin: number;
    difference: Evidence;
    a: CellResult;
    b: CellResult;
  }[] = [];
  for (const t of tasks) {
    const rnn = t.cells.rnn;
    if (!rnn || rnn.runs.length === 0) continue;
    const metric = t.meta.metrics.find((m) => m.name === t.meta.primaryMetric)!;
    for (const gated of ['gru', 'lstm'] as const) {
      const a = t.cells[gated];
      const mean = (c: CellResult) => summarize(c.runs.map((r) => r.metrics[metric.name])).mean;
      pairs.push({
        t,
        gated,
        metric,
        a,
        b: rnn,
        margin: marginOf(metric, mean(a), mean(rnn)),
        difference: cellDifference(a, rnn, metric, resamples),
      });
    }
  }
  const decisions = decideAll(
    pairs.map((p) => ({ evidence: p.difference, options: { margin: p.margin, higherIsBetter: p.metric.higherIsBetter } })),
  );
  const rows: GatingRow[] = pairs.map((p, i) => {
    const d = decisions[i];
    const mean = (c: CellResult) => summarize(c.runs.map((r) => r.metrics[p.metric.name])).mean;
    return {
      task: p.t.meta.id,
      gated: p.gated,
      metric: p.metric,
      gatedMean: mean(p.a),
      rnnMean: mean(p.b),
      difference: p.difference,
      margin: p.margin,
      verdict: d.decision === 'a' ? p.gated : d.decision === 'b' ? 'rnn' : d.decision,
      p: d.p,
      pEquivalence: d.pEquivalence,
      seedsNeeded: d.unitsNeeded,
    };
  });
  const out: GatingAnswer[] = [];
  for (const t of tasks) {
    const mine = rows.filter((r) => r.task === t.meta.id);
    if (mine.length === 0) continue;
    const v = mine.map((r) => r.verdict);
    const answer: GatingAnswer['answer'] = v.every((x, k) => x === mine[k].gated)
      ? 'helps'
      : v.every((x) => x === 'equivalent')
        ? 'no'
        : v.every((x) => x === 'rnn')
          ? 'rnn'
          : 'mixed';
    const parts = mine.map((r) => {
      const name = CELL_INFO[r.gated].name;
      const iv = `${name} − RNN ${signed(r.difference.estimate)} [${signed(r.difference.low)}, ${signed(r.difference.high)}]`;
      switch (r.verdict) {
        case 'equivalent':
          return `${name} and RNN equivalent within ${marginText(r.metric, r.margin)} (${iv})`;
        case 'inconclusive':
          return `${name} vs RNN inconclusive (${iv})${r.seedsNeeded ? `, about ${r.seedsNeeded} seeds would resolve ${marginText(r.metric, r.margin)}` : ''}`;
        default:
          return `${r.verdict === 'rnn' ? 'RNN' : name} better (${iv}, Holm p ${fmt(r.p)})`;
      }
    });
    const lead = {
      helps: 'gating helps',
      no: 'gating does not matter here',
      rnn: 'the plain RNN does better than both gated cells',
      mixed: 'no single answer',
    }[answer];
    out.push({
      task: t.meta.id,
      rows: mine,
      answer,
      sentence: `${t.meta.dataset} (${t.meta.task}), ${t.meta.metrics.find((m) => m.name === t.meta.primaryMetric)!.label}: ${lead}: ${parts.join('; ')}.`,
    });
  }
  return out;
}
