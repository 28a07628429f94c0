// The comparison report's sections as markdown: the verdict lines, GRU − LSTM and the cost
// ratios, does gating matter, and the detail tables. report.ts puts them in order for
// report.md, report.html and the terminal.
import { CELL_INFO, CELLS } from '../tasks';
import { quantile } from '../util/quantile';
import { type GatingAnswer, gatingVerdicts } from './gating';
import { formatNumber, mdTable, signedNumber as signed } from './markdown';
import { type CostComparison, marginText, type Verdict } from './recommend';
import type { CellResult, ComparisonResults } from './results';
import { summarize } from './stats';

function meanStd(values: number[]): string {
  const s = summarize(values);
  if (s.n === 0) return 'n/a';
  return s.n > 1 ? `${formatNumber(s.mean)} ± ${formatNumber(s.std)}` : formatNumber(s.mean);
}

export const ACCURACY_WORD: Record<Verdict['accuracy'], string> = {
  gru: 'GRU better',
  lstm: 'LSTM better',
  equivalent: 'equivalent',
  inconclusive: 'inconclusive',
};
export const CHOICE_WORD = (c: Verdict['choice']) => (c === 'gru' || c === 'lstm' ? CELL_INFO[c].name : c);

/** One line per task: the verdict sentence. */
export function verdictLines(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `- **${v.task}: ${CHOICE_WORD(v.choice)}.** ${v.sentence}`).join('\n');
}

export const GATING_WORD: Record<GatingAnswer['answer'], string> = {
  helps: 'gating helps',
  no: 'gating does not matter',
  rnn: 'the plain RNN does better',
  mixed: 'mixed',
};

/**
 * "Does gating matter here?": each gated cell against the plain RNN on the tasks that ran it
 * (--cells gru,lstm,rnn), one sentence per task and a table of the pairs; no lines when none did.
 */
export function gatingSection(results: ComparisonResults, answers: readonly GatingAnswer[] = gatingVerdicts(results)): string[] {
  if (answers.length === 0) return [];
  const rows = answers.flatMap((a) =>
    a.rows.map((r) => {
      const t = results.tasks.find((x) => x.meta.id === r.task)!;
      return [
        t.meta.dataset,
        `${r.metric.label} ${r.metric.higherIsBetter ? '↑' : '↓'}`,
        `${CELL_INFO[r.gated].name} ${meanStd(t.cells[r.gated].runs.map((x) => x.metrics[r.metric.name]))}`,
        meanStd(t.cells.rnn!.runs.map((x) => x.metrics[r.metric.name])),
        `${signed(r.difference.estimate)} [${signed(r.difference.low)}, ${signed(r.difference.high)}]`,
        marginText(r.metric, r.margin),
        r.verdict === 'rnn'
          ? 'RNN better'
          : r.verdict === 'gru' || r.verdict === 'lstm'
            ? `${CELL_INFO[r.verdict].name} better`
            : r.verdict,
        `${formatNumber(r.p)} / ${formatNumber(r.pEquivalence)}`,
        r.seedsNeeded === null ? '' : String(r.seedsNeeded),
      ];
    }),
  );
  return [
    '## Does gating matter here? GRU and LSTM against the plain tanh RNN',
    '',
    ...answers.map((a) => `- **${a.task}: ${GATING_WORD[a.answer]}.** ${a.sentence}`),
    '',
    mdTable(
      [
        'task',
        'metric',
        'gated cell',
        'RNN',
        'gated − RNN [95% interval]',
        'margin',
        'verdict',
        'Holm p (difference / equivalence)',
        'seeds needed',
      ],
      rows,
    ),
    '',
    'The same rules as GRU − LSTM; the Holm family is the gated-vs-RNN pairs of this run. RNN units: ' +
      answers.map((a) => `${a.task} ${results.tasks.find((x) => x.meta.id === a.task)!.cells.rnn!.units}`).join(', ') +
      '.',
    '',
  ];
}

/** GRU − LSTM on each task's primary metric: the numbers behind the forest plot. */
export function differenceTable(results: ComparisonResults, verdicts: readonly Verdict[]): string {
  return mdTable(
    [
      'task',
      'metric',
      'GRU',
      'LSTM',
      'GRU − LSTM [95% interval]',
      'margin',
      'accuracy verdict',
      'Holm p (difference / equivalence)',
      'seeds needed',
    ],
    verdicts.map((v) => {
      const t = results.tasks.find((x) => x.meta.id === v.task)!;
      return [
        t.meta.dataset,
        `${v.metric.label} ${v.metric.higherIsBetter ? '↑' : '↓'}`,
        meanStd(t.cells.gru.runs.map((r) => r.metrics[v.metric.name])),
        meanStd(t.cells.lstm.runs.map((r) => r.metrics[v.metric.name])),
        `${signed(v.difference.estimate)} [${signed(v.difference.low)}, ${signed(v.difference.high)}]`,
        marginText(v.metric, v.margin),
        ACCURACY_WORD[v.accuracy],
        `${formatNumber(v.p)} / ${formatNumber(v.pEquivalence)}`,
        v.seedsNeeded === null ? '—' : String(v.seedsNeeded),
      ];
    }),
  );
}

function ratioCell(c: CostComparison | undefined, exact = false): string {
  if (!c) return '—';
  const who = c.winner ? ` (${CELL_INFO[c.winner].name} cheaper)` : ' (tie)';
  return exact ? `${formatNumber(c.ratio)}${who}` : `${formatNumber(c.ratio)} [${formatNumber(c.low)}–${formatNumber(c.high)}]${who}`;
}

/** GRU / LSTM cost ratios with their intervals; below 1 means the GRU needs less. */
export function costRatioTable(results: ComparisonResults, verdicts: readonly Verdict[]): string {
  return mdTable(
    ['task', 'training time / epoch', 'batch-1 latency', 'batch-64 time', 'model memory', 'parameters', 'cost verdict'],
    verdicts.map((v) => [
      results.tasks.find((x) => x.meta.id === v.task)!.meta.dataset,
      ratioCell(v.costs.trainTime),
      ratioCell(v.costs.latency),
      ratioCell(v.costs.batch64),
      ratioCell(v.costs.memory, true),
      ratioCell(v.costs.params, true),
      v.cost === 'gru' || v.cost === 'lstm' ? `${CELL_INFO[v.cost].name} cheaper` : v.cost,
    ]),
  );
}

/** The accuracy table: one row per task and metric, mean ± std over seeds, and the best baseline. */
export function metricsTable(results: ComparisonResults): string {
  const rows: string[][] = [];
  for (const t of results.tasks) {
    for (const m of t.meta.metrics) {
      let best: { name: string; value: number } | null = null;
      for (const b of t.baselines) {
        const v = b.metrics[m.name];
        if (v !== undefined && Number.isFinite(v) && (best === null || (m.higherIsBetter ? v > best.value : v < best.value)))
          best = { name: b.name, value: v };
      }
      rows.push([
        t.meta.dataset,
        t.meta.task,
        `${m.label} ${m.higherIsBetter ? '↑' : '↓'}`,
        meanStd(t.cells.gru.runs.map((r) => r.metrics[m.name])),
        meanStd(t.cells.lstm.runs.map((r) => r.metrics[m.name])),
        best ? `${formatNumber(best.value)} (${best.name})` : '—',
      ]);
    }
  }
  return mdTable(['dataset', 'task', 'metric', 'GRU', 'LSTM', 'best baseline'], rows);
}

/** Each cell against the best baseline on the primary metric, with the interval of the difference. */
export function baselineTable(results: ComparisonResults, verdicts: readonly Verdict[]): string {
  const rows: string[][] = [];
  for (const v of verdicts) {
    if (!v.baseline) continue;
    const b = v.baseline;
    const ds = results.tasks.find((x) => x.meta.id === v.task)!.meta.dataset;
    for (const c of CELLS) {
      const d = b.difference[c];
      rows.push([
        ds,
        CELL_INFO[c].name,
        `${b.name} (${formatNumber(b.value)})`,
        `${signed(d.estimate)} [${signed(d.low)}, ${signed(d.high)}]`,
        b.beaten[c] ? 'beats it' : 'does not beat it',
      ]);
    }
  }
  return mdTable(['dataset', 'cell', 'best baseline (primary metric)', 'cell − baseline [95% interval]', 'verdict'], rows);
}

/** The learning rate each cell chose on validation loss, and where training peaked. */
export function tuningTable(results: ComparisonResults): string {
  const rows: string[][] = [];
  for (const t of results.tasks) {
    for (const c of CELLS) {
      const cell = t.cells[c];
      const tuned = cell.runs.find((r) => r.tuning);
      const tried = tuned?.tuning?.map((x) => `${formatNumber(x.learningRate)}: ${formatNumber(x.bestValLoss)}`).join(', ') ?? '—';
      const best = cell.runs
        .map((r) => `${r.bestEpoch ?? '?'}/${r.epochs}${r.bestEpoch !== undefined && r.bestEpoch >= Math.floor(r.epochs) ? ' (last)' : ''}`)
        .join(', ');
      rows.push([t.meta.dataset, CELL_INFO[c].name, formatNumber(cell.runs[0]?.learningRate ?? NaN), tried, best]);
    }
  }
  return mdTable(['dataset', 'cell', 'learning rate', 'tried (rate: best validation loss)', 'best epoch / epochs, per seed'], rows);
}

const median = (c: CellResult, pick: (r: CellResult['runs'][number]) => number) => quantile(c.runs.map(pick), 0.5);

/** Per cell: units, parameters, training speed (medians over seeds), inference times, model bytes. */
export function costTable(results: ComparisonResults): string {
  const rows: string[][] = [];
  for (const t of results.tasks) {
    for (const c of CELLS) {
      const cell = t.cells[c];
      const ms = (k: 'latency' | 'batch64') => (t.costs?.[k] ? formatNumber(c === 'gru' ? t.costs[k]!.gruMs : t.costs[k]!.lstmMs) : '—');
      const mem = cell.runs[0]?.memory;
      rows.push([
        t.meta.dataset,
        CELL_INFO[c].name,
        `${cell.units}×${cell.layers}`,
        String(cell.params),
        formatNumber(median(cell, (r) => r.trainSecondsPerEpoch)),
        formatNumber(median(cell, (r) => r.samplesPerSecond)),
        ms('latency'),
        ms('batch64'),
        mem ? formatNumber(mem.total / 1024) : '—',
      ]);
    }
  }
  return mdTable(
    [
      'dataset',
      'cell',
      'units',
      'params',
      'train s/epoch',
      'train samples/s',
      'latency (ms, batch 1)',
      'batch 64 (ms)',
      'model memory (KiB)',
    ],
    rows,
  );
}
