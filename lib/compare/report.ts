// The report: report.md (tables and verdicts), report.html (the same with inline SVG charts) and
// results.json, written atomically into one folder.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from './atomic';
import { bestBaseline, medianOf, recommend, Verdict } from './recommend';
import { CellResult, ComparisonResults, TaskResult } from './results';
import { summarize } from './stats';
import { barChartSvg, COLORS, escapeXml, lineChartSvg, LineSeries } from './svg';

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

function meanStd(values: number[]): string {
  const s = summarize(values);
  if (s.n === 0) return 'n/a';
  return s.n > 1 ? `${formatNumber(s.mean)} ± ${formatNumber(s.std)}` : formatNumber(s.mean);
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The accuracy table: one row per task and metric, mean ± std over seeds. */
export function metricsTable(results: ComparisonResults): string {
  const lines = ['| dataset | task | metric | GRU | LSTM | baseline |', '| --- | --- | --- | --- | --- | --- |'];
  for (const t of results.tasks) {
    for (const m of t.meta.metrics) {
      const base = bestBaseline(t.baselines, m);
      const arrow = m.higherIsBetter ? '↑' : '↓';
      lines.push(
        `| ${mdCell(t.meta.dataset)} | ${mdCell(t.meta.task)} | ${mdCell(m.label)} ${arrow} | ${meanStd(t.cells.gru.runs.map((r) => r.metrics[m.name]))} | ${meanStd(t.cells.lstm.runs.map((r) => r.metrics[m.name]))} | ${base ? `${formatNumber(base.value)} (${mdCell(base.name)})` : '—'} |`,
      );
    }
  }
  return lines.join('\n');
}

/** The cost table: one row per task and cell, medians over seeds (as the recommendation uses). */
export function costTable(results: ComparisonResults): string {
  const lines = [
    '| dataset | cell | units | params | train s/epoch | train samples/s | latency p50 (ms, batch 1) | latency p99 (ms) | throughput (samples/s, batch 64) | peak memory (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const t of results.tasks) {
    for (const c of [t.cells.gru, t.cells.lstm]) {
      lines.push(
        `| ${mdCell(t.meta.dataset)} | ${c.cell.toUpperCase()} | ${c.units}×${c.layers} | ${c.params} | ${formatNumber(medianOf(c, (r) => r.trainSecondsPerEpoch))} | ${formatNumber(medianOf(c, (r) => r.samplesPerSecond))} | ${formatNumber(medianOf(c, (r) => r.latencyMs.p50))} | ${formatNumber(medianOf(c, (r) => r.latencyMs.p99))} | ${formatNumber(medianOf(c, (r) => r.throughputBatch64))} | ${formatNumber(medianOf(c, (r) => r.peakMemoryBytes) / 2 ** 20)} |`,
      );
    }
  }
  return lines.join('\n');
}

function settingsLine(r: ComparisonResults): string {
  const s = r.settings;
  const size = s.units === null && s.layers === null ? 'task default sizes' : `${s.units ?? 'default'} units × ${s.layers ?? 'default'} layers`;
  return `${s.seeds.length} seeds (${s.seeds.join(', ')}), ${s.epochs ?? 'task default'} epochs${s.budgetSeconds ? `, budget ${s.budgetSeconds} s per model` : ''}, ${size}${s.match === 'params' ? ' (GRU/LSTM units matched by parameter count)' : ''}, priority ${s.priority}${s.full ? ', full datasets' : ', quick defaults'}`;
}

function machineLine(r: ComparisonResults): string {
  const m = r.machine;
  const b = m.backend;
  const engine = b && typeof b.isa === 'string' && typeof b.threads === 'number' ? `, gatedrnn ${b.isa} with ${b.threads} thread${b.threads === 1 ? '' : 's'}` : '';
  return `${m.cpuModel} (${m.cpus} CPUs), ${m.platform}-${m.arch}, Node ${m.node}${engine}`;
}

/** Runs that --budget-seconds cut short: their metrics come from fewer epochs than planned. */
function budgetNotes(results: ComparisonResults): string[] {
  return results.tasks.flatMap((t) =>
    [t.cells.gru, t.cells.lstm]
      .map((c) => ({ c, cut: c.runs.filter((r) => r.stoppedByBudget) }))
      .filter(({ cut }) => cut.length > 0)
      .map(({ c, cut }) => `- ${t.meta.dataset}: ${c.cell.toUpperCase()} stopped by the time budget (seed ${cut.map((r) => `${r.seed} after ${r.epochs} epochs`).join(', seed ')})`),
  );
}

export function markdownReport(results: ComparisonResults, verdicts: Verdict[] = recommend(results, { priority: results.settings.priority })): string {
  const parts = [
    '# gatedrnn compare: GRU vs LSTM',
    '',
    `Measured on ${machineLine(results)} at ${results.createdAt}; ${settingsLine(results)}. Metrics are on the test split, mean ± std over seeds; ↑ higher is better, ↓ lower is better; the baseline column shows the best naive baseline. Costs are medians over seeds.`,
    '',
    '## Accuracy',
    '',
    metricsTable(results),
    '',
    '## Cost',
    '',
    costTable(results),
    '',
    '## Recommendations',
    '',
    ...verdicts.map((v) => `- ${v.sentence}`),
    '',
    '## Notes',
    '',
    ...results.tasks.flatMap((t) => t.meta.notes.map((n) => `- ${t.meta.dataset}: ${n}`)),
    ...budgetNotes(results),
    '',
  ];
  return parts.join('\n');
}

function curvesChart(t: TaskResult): string {
  const series: LineSeries[] = [];
  for (const c of [t.cells.gru, t.cells.lstm]) {
    const color = COLORS[c.cell];
    c.runs.forEach((r) => {
      series.push({ name: `${c.cell.toUpperCase()} training`, color, values: r.curve.loss });
      if (r.curve.valLoss) series.push({ name: `${c.cell.toUpperCase()} validation`, color, dashed: true, values: r.curve.valLoss });
    });
  }
  return lineChartSvg({ title: `${t.meta.dataset}: learning curves`, xLabel: 'epoch', yLabel: 'loss (one line per seed)', series });
}

function metricCharts(t: TaskResult): string[] {
  return t.meta.metrics.map((m) => {
    const s = (c: CellResult) => summarize(c.runs.map((r) => r.metrics[m.name]));
    const g = s(t.cells.gru);
    const l = s(t.cells.lstm);
    const base = bestBaseline(t.baselines, m);
    const bars = [
      { name: 'GRU', value: g.mean, error: g.std, color: COLORS.gru },
      { name: 'LSTM', value: l.mean, error: l.std, color: COLORS.lstm },
    ];
    if (base) bars.push({ name: base.name, value: base.value, error: NaN, color: COLORS.baseline });
    return barChartSvg({ title: `${t.meta.dataset}: ${m.label}`, yLabel: `${m.label} (${m.higherIsBetter ? 'higher' : 'lower'} is better)`, bars });
  });
}

function costCharts(t: TaskResult): string[] {
  const bar = (title: string, unit: string, pick: (r: CellResult['runs'][number]) => number) => {
    const s = (c: CellResult) => summarize(c.runs.map(pick));
    const g = s(t.cells.gru);
    const l = s(t.cells.lstm);
    return barChartSvg({ title: `${t.meta.dataset}: ${title}`, yLabel: unit, bars: [{ name: 'GRU', value: g.mean, error: g.std, color: COLORS.gru }, { name: 'LSTM', value: l.mean, error: l.std, color: COLORS.lstm }] });
  };
  return [
    bar('latency p50, batch 1', 'milliseconds', (r) => r.latencyMs.p50),
    bar('throughput, batch 64', 'samples / second', (r) => r.throughputBatch64),
    bar('training time per epoch', 'seconds', (r) => r.trainSecondsPerEpoch),
    barChartSvg({ title: `${t.meta.dataset}: size`, yLabel: 'parameters', bars: [{ name: 'GRU', value: t.cells.gru.params, color: COLORS.gru }, { name: 'LSTM', value: t.cells.lstm.params, color: COLORS.lstm }] }),
  ];
}

function mdTableToHtml(md: string): string {
  const rows = md.split('\n').filter((_, i) => i !== 1);
  const cells = (l: string) => l.slice(1, -1).split(/(?<!\\)\|/).map((c) => escapeXml(c.trim().replace(/\\\|/g, '|')));
  const [head, ...body] = rows;
  return `<table><thead><tr>${cells(head).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${cells(r).map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function htmlReport(results: ComparisonResults, verdicts: Verdict[] = recommend(results, { priority: results.settings.priority })): string {
  const sections = results.tasks.map((t) => {
    const v = verdicts.find((x) => x.task === t.meta.id);
    return `<section><h2>${escapeXml(t.meta.dataset)}: ${escapeXml(t.meta.task)}</h2>${v ? `<p class="verdict">${escapeXml(v.sentence)}</p>` : ''}<div class="charts">${[curvesChart(t), ...metricCharts(t), ...costCharts(t)].join('\n')}</div></section>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gatedrnn compare: GRU vs LSTM</title>
<style>body{font-family:sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}.charts svg{margin:4px;border:1px solid #eee}.verdict{background:#f6f8fa;padding:8px;border-left:4px solid #1f77b4}</style>
</head><body>
<h1>gatedrnn compare: GRU vs LSTM</h1>
<p>Measured on ${escapeXml(machineLine(results))} at ${escapeXml(results.createdAt)}; ${escapeXml(settingsLine(results))}. Error bars: one standard deviation over seeds.</p>
<h2>Accuracy</h2>${mdTableToHtml(metricsTable(results))}
<h2>Cost</h2>${mdTableToHtml(costTable(results))}
${sections.join('\n')}
</body></html>
`;
}

export interface WrittenReport {
  dir: string;
  files: { markdown: string; html: string; json: string };
}

/** Writes report.md, report.html and results.json into `dir` (created if missing), each atomically. */
export function writeReport(results: ComparisonResults, dir: string): WrittenReport {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new Error(`writeReport: expected ${dir} to be a folder (or a path to create one), but it or a folder above it is a file`);
    throw new Error(`writeReport: could not create the folder ${dir}: ${(err as Error).message}`);
  }
  const verdicts = recommend(results, { priority: results.settings.priority });
  const files = { markdown: path.join(dir, 'report.md'), html: path.join(dir, 'report.html'), json: path.join(dir, 'results.json') };
  writeFileAtomic(files.json, JSON.stringify(results, null, 2) + '\n');
  writeFileAtomic(files.markdown, markdownReport(results, verdicts));
  writeFileAtomic(files.html, htmlReport(results, verdicts));
  return { dir, files };
}
