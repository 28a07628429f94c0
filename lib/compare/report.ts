// The report: report.md, report.html (the same, with inline SVG charts) and results.json, written
// atomically into one folder. Verdicts come first (one line per task, the forest plot of
// GRU − LSTM against the margin, the cost ratios), the detailed tables after; the terminal prints
// the same sections in the same order.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CELL_INFO, CELLS } from '../tasks';
import { writeAtomicSync } from '../util/atomic-write';
import { gatingVerdicts } from './gating';
import { mdTableToHtml, signedNumber as signed } from './markdown';
import { recommend, type Verdict } from './recommend';
import {
  ACCURACY_WORD,
  baselineTable,
  CHOICE_WORD,
  costRatioTable,
  costTable,
  differenceTable,
  GATING_WORD,
  gatingSection,
  metricsTable,
  tuningTable,
  verdictLines,
} from './report-tables';
import type { ComparisonResults, TaskResult } from './results';
import { summarize } from './stats';
import { barChartSvg, COLORS, escapeXml, forestPlotSvg, lineChartSvg, type LineSeries } from './svg';

export { formatNumber } from './markdown';
export {
  baselineTable,
  costRatioTable,
  costTable,
  differenceTable,
  gatingSection,
  metricsTable,
  tuningTable,
  verdictLines,
} from './report-tables';

const verdictsOf = (results: ComparisonResults) => recommend(results, { priority: results.settings.priority });

function matchLine(r: ComparisonResults): string {
  const sizes = r.tasks
    .map(
      (t) =>
        `${t.meta.id} GRU ${t.cells.gru.units} / LSTM ${t.cells.lstm.units} units, ${t.cells.gru.params} / ${t.cells.lstm.params} parameters`,
    )
    .join('; ');
  return r.settings.match === 'params'
    ? `Match mode: parameters (the GRU widened to the LSTM's parameter count, whole model): ${sizes}.`
    : `Match mode: units (both cells the same width; the GRU has fewer parameters): ${sizes}.`;
}

function settingsLine(r: ComparisonResults): string {
  const s = r.settings;
  const size =
    s.units === null && s.layers === null ? 'task default sizes' : `${s.units ?? 'default'} units × ${s.layers ?? 'default'} layers`;
  return `${s.seeds.length} seeds (${s.seeds.join(', ')}), ${s.epochs ?? 'task default'} epochs${s.budgetSeconds ? `, budget ${s.budgetSeconds} s per model` : ''}, ${size}, priority ${s.priority}${s.full ? ', full datasets' : ', quick defaults'}`;
}

function machineLine(r: ComparisonResults): string {
  const m = r.machine;
  const b = m.backend;
  const engine =
    b && typeof b.isa === 'string' && typeof b.threads === 'number'
      ? `, gatedrnn ${b.isa} with ${b.threads} thread${b.threads === 1 ? '' : 's'}`
      : '';
  const one = `${m.cpuModel} (${m.cpus} CPUs), ${m.platform}-${m.arch}, Node ${m.node}${engine}`;
  const merged = r.merged;
  if (!merged) return one;
  if (merged.machines.length <= 1) return `${one} (merged from ${merged.shards} shards)`;
  const list = merged.machines
    .map((e) => `${e.machine.cpuModel} (${e.machine.cpus} CPUs, ${e.units.length} unit${e.units.length === 1 ? '' : 's'})`)
    .join(', ');
  return `${merged.shards} shards on different machines: ${list}. ${merged.note ?? ''}`.trim();
}

/** Runs cut short, stopped early, or whose best epoch was the last (they may want more epochs). */
function runNotes(results: ComparisonResults): string[] {
  return results.tasks.flatMap((t) =>
    CELLS.flatMap((c) => {
      const cell = t.cells[c];
      const name = `${t.meta.dataset}: ${CELL_INFO[c].name}`;
      const out: string[] = [];
      const cut = cell.runs.filter((r) => r.stoppedByBudget);
      if (cut.length)
        out.push(`- ${name} stopped by the time budget (seed ${cut.map((r) => `${r.seed} after ${r.epochs} epochs`).join(', seed ')})`);
      const early = cell.runs.filter((r) => r.stoppedEarly);
      if (early.length)
        out.push(
          `- ${name} stopped early, validation loss no longer improving (seed ${early.map((r) => `${r.seed} after ${r.epochs} epochs`).join(', seed ')})`,
        );
      const last = cell.runs.filter((r) => !r.stoppedEarly && r.bestEpoch !== undefined && r.bestEpoch >= Math.floor(r.epochs));
      if (last.length)
        out.push(
          `- ${name}: best validation epoch was the last (seed ${last.map((r) => r.seed).join(', ')}): still improving, more epochs may help`,
        );
      return out;
    }),
  );
}

const ABOUT =
  "Accuracy: GRU − LSTM on each task's primary metric with a 95% interval over seeds and test items together (hierarchical bootstrap of per-item scores); " +
  '"equivalent" means two one-sided tests place the difference inside the task\'s declared margin; p-values are Holm-adjusted across the tasks of this run. ' +
  'Costs: GRU / LSTM ratios with 95% intervals (training time per epoch over all epochs; inference timed interleaved, after both cells trained); a cost names a cell only when its interval lies outside 1 ± 5%. ' +
  "Model memory is the model's own bytes (weights, packed weights, batch-1 workspace, state), computed from its shapes. Each cell chose its learning rate on validation loss alone; test metrics come from the best validation epoch.";

export function markdownReport(results: ComparisonResults, verdicts: Verdict[] = verdictsOf(results)): string {
  return [
    '# gatedrnn compare: GRU vs LSTM',
    '',
    `Measured on ${machineLine(results)} at ${results.createdAt}; ${settingsLine(results)}. ${matchLine(results)}`,
    '',
    '## Verdicts',
    '',
    verdictLines(verdicts),
    '',
    '## GRU − LSTM on the primary metric',
    '',
    differenceTable(results, verdicts),
    '',
    '## Costs, GRU / LSTM',
    '',
    costRatioTable(results, verdicts),
    '',
    ...gatingSection(results),
    '## Details',
    '',
    ABOUT,
    '',
    '### All metrics (mean ± std over seeds)',
    '',
    metricsTable(results),
    '',
    '### Against the best baseline',
    '',
    baselineTable(results, verdicts),
    '',
    '### Learning rate and best epoch',
    '',
    tuningTable(results),
    '',
    '### Costs per cell',
    '',
    costTable(results),
    '',
    '## Notes',
    '',
    ...results.tasks.flatMap((t) => t.meta.notes.map((n) => `- ${t.meta.dataset}: ${n}`)),
    ...runNotes(results),
    '',
  ].join('\n');
}

/** The plain-text summary the CLI prints: the same sections, in the same order, as the report. */
export function terminalReport(results: ComparisonResults, verdicts: Verdict[] = verdictsOf(results)): string {
  return [
    'Verdicts',
    verdicts.map((v) => `- ${v.task}: ${CHOICE_WORD(v.choice)}. ${v.sentence}`).join('\n'),
    '',
    'GRU − LSTM on the primary metric',
    differenceTable(results, verdicts),
    '',
    'Costs, GRU / LSTM',
    costRatioTable(results, verdicts),
    '',
    ...gatingSection(results).map((l) => l.replace(/^## /, '').replace(/\*\*/g, '')),
    'Details: all metrics',
    metricsTable(results),
    '',
    'Details: costs per cell',
    costTable(results),
  ].join('\n');
}

/** Forest plot: GRU − LSTM in units of each task's margin, signed so that right means "GRU better". */
export function forestPlot(results: ComparisonResults, verdicts: readonly Verdict[]): string {
  return forestPlotSvg({
    title: "GRU − LSTM on each task's primary metric, in units of its margin (shaded: ±margin)",
    xLabel: 'difference / margin (95% interval)',
    leftLabel: 'LSTM better',
    rightLabel: 'GRU better',
    rows: verdicts.map((v) => {
      const t = results.tasks.find((x) => x.meta.id === v.task)!;
      const s = (v.metric.higherIsBetter ? 1 : -1) / v.margin;
      const a = v.difference.low * s;
      const b = v.difference.high * s;
      const color =
        v.accuracy === 'gru' ? COLORS.gru : v.accuracy === 'lstm' ? COLORS.lstm : v.accuracy === 'equivalent' ? '#2a7a2a' : '#7f7f7f';
      return {
        label: `${t.meta.dataset} (${v.metric.label})`,
        estimate: v.difference.estimate * s,
        low: Math.min(a, b),
        high: Math.max(a, b),
        note: `${signed(v.difference.estimate)} [${signed(v.difference.low)}, ${signed(v.difference.high)}]: ${ACCURACY_WORD[v.accuracy]}`,
        color,
      };
    }),
  });
}

function curvesChart(t: TaskResult): string {
  const series: LineSeries[] = [];
  for (const c of CELLS) {
    const color = COLORS[c];
    t.cells[c].runs.forEach((r) => {
      series.push({ name: `${CELL_INFO[c].name} training`, color, values: r.curve.loss });
      if (r.curve.valLoss) series.push({ name: `${CELL_INFO[c].name} validation`, color, dashed: true, values: r.curve.valLoss });
    });
  }
  return lineChartSvg({ title: `${t.meta.dataset}: learning curves`, xLabel: 'epoch', yLabel: 'loss (one line per seed)', series });
}

function metricCharts(t: TaskResult): string[] {
  return t.meta.metrics.map((m) => {
    const bars = CELLS.map((c) => {
      const s = summarize(t.cells[c].runs.map((r) => r.metrics[m.name]));
      return { name: CELL_INFO[c].name, value: s.mean, error: s.std, color: COLORS[c] };
    });
    return barChartSvg({
      title: `${t.meta.dataset}: ${m.label}`,
      yLabel: `${m.label} (${m.higherIsBetter ? 'higher' : 'lower'} is better)`,
      bars,
    });
  });
}

function gatingHtml(results: ComparisonResults): string {
  const answers = gatingVerdicts(results);
  if (answers.length === 0) return '';
  const md = gatingSection(results, answers);
  const tableMd = md.filter((l) => l.startsWith('|')).join('\n');
  return `<h2>${escapeXml(md[0].slice(3))}</h2><ul class="verdicts">${answers.map((a) => `<li><b>${escapeXml(a.task)}: ${escapeXml(GATING_WORD[a.answer])}.</b> ${escapeXml(a.sentence)}</li>`).join('')}</ul>${mdTableToHtml(tableMd)}<p class="about">${escapeXml(md[md.length - 2])}</p>`;
}

export function htmlReport(results: ComparisonResults, verdicts: Verdict[] = verdictsOf(results)): string {
  const lines = verdicts
    .map((v) => `<li><b>${escapeXml(v.task)}: ${escapeXml(CHOICE_WORD(v.choice))}.</b> ${escapeXml(v.sentence)}</li>`)
    .join('');
  const sections = results.tasks.map(
    (t) =>
      `<section><h3>${escapeXml(t.meta.dataset)}: ${escapeXml(t.meta.task)}</h3><div class="charts">${[curvesChart(t), ...metricCharts(t)].join('\n')}</div></section>`,
  );
  const notes = [
    ...results.tasks.flatMap((t) => t.meta.notes.map((n) => `${t.meta.dataset}: ${n}`)),
    ...runNotes(results).map((n) => n.slice(2)),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gatedrnn compare: GRU vs LSTM</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}.charts svg{margin:4px;border:1px solid #eee}ul.verdicts li{background:#f6f8fa;padding:6px 8px;border-left:4px solid #1f77b4;margin:6px 0;list-style:none}ul.verdicts{padding:0}.about{font-size:13px;color:#444}</style>
</head><body>
<h1>gatedrnn compare: GRU vs LSTM</h1>
<p>Measured on ${escapeXml(machineLine(results))} at ${escapeXml(results.createdAt)}; ${escapeXml(settingsLine(results))}. ${escapeXml(matchLine(results))}</p>
<h2>Verdicts</h2><ul class="verdicts">${lines}</ul>
<h2>GRU − LSTM on the primary metric</h2>
${forestPlot(results, verdicts)}
${mdTableToHtml(differenceTable(results, verdicts))}
<h2>Costs, GRU / LSTM</h2>${mdTableToHtml(costRatioTable(results, verdicts))}
${gatingHtml(results)}
<h2>Details</h2><p class="about">${escapeXml(ABOUT)}</p>
<h3>All metrics (mean ± std over seeds)</h3>${mdTableToHtml(metricsTable(results))}
<h3>Against the best baseline</h3>${mdTableToHtml(baselineTable(results, verdicts))}
<h3>Learning rate and best epoch</h3>${mdTableToHtml(tuningTable(results))}
<h3>Costs per cell</h3>${mdTableToHtml(costTable(results))}
${sections.join('\n')}
<h2>Notes</h2><ul>${notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>
</body></html>
`;
}

export interface WrittenReport {
  dir: string;
  files: { markdown: string; html: string; json: string };
}

/** Writes report.md, report.html and results.json into `dir` (created if missing), each atomically. */
export function writeReport(results: ComparisonResults, dir: string, verdicts: Verdict[] = verdictsOf(results)): WrittenReport {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new Error(`writeReport: expected ${dir} to be a folder (or a path to create one), but it or a folder above it is a file`);
    throw new Error(`writeReport: could not create the folder ${dir}: ${(err as Error).message}`);
  }
  const files = { markdown: path.join(dir, 'report.md'), html: path.join(dir, 'report.html'), json: path.join(dir, 'results.json') };
  writeAtomicSync(files.json, JSON.stringify(results, null, 2) + '\n');
  writeAtomicSync(files.markdown, markdownReport(results, verdicts));
  writeAtomicSync(files.html, htmlReport(results, verdicts));
  return { dir, files };
}

/** Writes one shard's results.json into `dir` (created if missing); the report waits for the merge. */
export function writeShardResults(results: ComparisonResults, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'results.json');
  writeAtomicSync(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}
