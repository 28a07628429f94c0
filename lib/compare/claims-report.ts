// The claims report: the verdict table, one SVG chart per claim, the commands that reproduce each
// row, and results.json with every per-seed value; report.md, report.html and the charts' .svg
// files (drawn by claims-charts.ts), written atomically into one folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeAtomicSync } from '../util/atomic-write';
import { CLAIM_IDS, CLAIM_STATEMENTS, type ClaimId, type ClaimRow, type ClaimsResults, lagAtHalf } from './claims';
import type { Cell } from './params';
import { formatNumber, mdCell, mdTableToHtml } from './markdown';
import { clampToUnit, meanInterval, summarize } from './stats';
import { claimCharts } from './claims-charts';
import { escapeXml } from './svg';

export { claimCharts, xyChartSvg } from './claims-charts';

const CELLS: Cell[] = ['gru', 'lstm'];

/** Mean of a row's values for one cell in the measure's units (a geometric mean for log rows). */
function cellValue(r: ClaimRow, cell: Cell): string {
  const s = summarize(r[cell]);
  if (r.scale === 'log') return `${formatNumber(Math.exp(s.mean))} ${r.unit}`.trim();
  const pct = r.unit === '' && r.gru.concat(r.lstm).every((v) => v >= 0 && v <= 1);
  return pct ? `${formatNumber(s.mean * 100)}%` : `${formatNumber(s.mean)} ${r.unit}`.trim();
}

const isShare = (r: ClaimRow) => r.scale === 'linear' && r.unit === '' && r.gru.concat(r.lstm).every((v) => v >= 0 && v <= 1);

function amount(r: ClaimRow, x: number, signed = true): string {
  const sign = signed && x > 0 ? '+' : '';
  return isShare(r) ? `${sign}${formatNumber(x * 100)} pts` : `${sign}${formatNumber(x)}${r.unit ? ` ${r.unit}` : ''}`;
}

/** GRU − LSTM with its 95% interval; for log rows the GRU/LSTM ratio. */
export function differenceText(r: ClaimRow): string {
  const e = r.evidence;
  if (!e) {
    const d = summarize(r.gru).mean - summarize(r.lstm).mean;
    return r.scale === 'log' ? `×${formatNumber(Math.exp(d))}` : amount(r, d);
  }
  if (r.scale === 'log')
    return `×${formatNumber(Math.exp(e.estimate))} [${formatNumber(Math.exp(e.low))}, ${formatNumber(Math.exp(e.high))}]`;
  return `${amount(r, e.estimate)} [${amount(r, e.low)}, ${amount(r, e.high)}]`;
}

export function marginText(r: ClaimRow): string {
  return r.scale === 'log' ? `±${formatNumber((Math.exp(r.margin) - 1) * 100)}%` : `±${amount(r, r.margin, false)}`;
}

export function verdictText(r: ClaimRow): string {
  switch (r.verdict) {
    case 'invalid':
      return `invalid: ${r.invalid}`;
    case 'inconclusive':
      return `inconclusive${r.seedsNeeded ? ` (about ${r.seedsNeeded} ${r.units} per cell would settle it)` : ''}`;
    case undefined:
      return 'not judged';
    default:
      return `${r.verdict} (Holm p ${r.decision!.p < 0.001 ? '< 0.001' : `= ${formatNumber(r.decision!.p)}`})`;
  }
}

const direction = (r: ClaimRow) => `${r.favours.toUpperCase()} ${r.higherIsBetter ? 'higher' : 'lower'}`;

/** claim | experiment | measure | GRU | LSTM | Δ [95% interval] | seeds | margin | verdict */
export function claimsTable(rows: readonly ClaimRow[]): string {
  const lines = [
    '| claim | experiment | measure (claimed) | GRU | LSTM | Δ GRU − LSTM [95% interval] | seeds | margin | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${mdCell(`${r.claim}: ${r.label}`)} | ${mdCell(r.experiment)} | ${mdCell(`${r.measure} (${direction(r)})`)} | ${mdCell(cellValue(r, 'gru'))} | ${mdCell(cellValue(r, 'lstm'))} | ${mdCell(differenceText(r))} | ${r.gru.length}${r.units === 'rounds' ? ' rounds' : ''} | ${mdCell(marginText(r))} | ${mdCell(verdictText(r))} |`,
    );
  }
  return lines.join('\n');
}

/** One plain sentence per row: what was measured and what it says about the claim. */
export function rowSentence(r: ClaimRow): string {
  const what = `${r.claim} (${r.label})`;
  const fav = r.favours.toUpperCase();
  switch (r.verdict) {
    case 'invalid':
      return `${what}: no verdict; ${r.invalid}.`;
    case 'supported':
      return `${what}: supported; ${fav} is ahead by more than chance (${differenceText(r)}).`;
    case 'contradicted':
      return `${what}: contradicted; ${r.favours === 'gru' ? 'LSTM' : 'GRU'} is ahead (${differenceText(r)}).`;
    case 'equivalent':
      return `${what}: the cells are equivalent within ${marginText(r)} (${differenceText(r)}), so the claimed difference does not matter here.`;
    default:
      return `${what}: inconclusive (${differenceText(r)}); ${r.seedsNeeded ? `about ${r.seedsNeeded} ${r.units} per cell would settle it` : 'more seeds are needed'}.`;
  }
}

/**
 * The memory experiment per task and cell: success at each lag (mean and 95% interval over seeds)
 * and the lag at which success falls to 50% (geometric mean over seeds; '>' when some seed never
 * fell that far within the sweep, '≤' when some seed was below it at the shortest lag).
 */
export function memoryTable(results: ClaimsResults): string | null {
  const raw = results.raw.memory;
  if (!raw) return null;
  const { lags, tasks, seeds } = results.plan.memory;
  const lines = [
    `| task | cell | ${lags.map((l) => `lag ${l}`).join(' | ')} | lag at 50% success |`,
    `| --- | --- | ${lags.map(() => '---').join(' | ')} | --- |`,
  ];
  const pct = (v: number) => (Number.isFinite(v) ? `${formatNumber(v * 100)}` : 'n/a');
  for (const task of tasks) {
    for (const cell of CELLS) {
      const at = (lag: number, seed: number) =>
        raw.find((m) => m.task === task && m.cell === cell && m.lag === lag && m.seed === seed)?.result.success ?? NaN;
      const cols = lags.map((lag) => {
        const b = clampToUnit(meanInterval(seeds.map((s) => at(lag, s))));
        return `${pct(b.y)}%${Number.isFinite(b.low) ? ` [${pct(b.low)}, ${pct(b.high)}]` : ''}`;
      });
      const half = seeds.map((s) =>
        lagAtHalf(
          lags,
          lags.map((l) => at(l, s)),
        ),
      );
      const b = meanInterval(half.map((h) => Math.log(h.lag)));
      const above = half.some((h) => h.censored && h.lag === lags[lags.length - 1]);
      const below = half.some((h) => h.censored && h.lag === lags[0]);
      // A censored seed only bounds its lag, so no interval is printed then.
      const lag50 = above
        ? `> ${formatNumber(lags[lags.length - 1])} (some seeds)`
        : below
          ? `≤ ${formatNumber(lags[0])} (some seeds)`
          : `${formatNumber(Math.exp(b.y))}${Number.isFinite(b.low) ? ` [${formatNumber(Math.exp(b.low))}, ${formatNumber(Math.exp(b.high))}]` : ''}`;
      lines.push(`| ${task} | ${cell.toUpperCase()} | ${cols.join(' | ')} | ${lag50} |`);
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Documents

function machineLine(r: ClaimsResults): string {
  const m = r.machine;
  return `${m.cpuModel} (${m.cpus} CPUs), ${m.platform}-${m.arch}, Node ${m.node}`;
}

function runLine(r: ClaimsResults): string {
  const jobs = Object.entries(r.jobSeconds ?? {}).map(([k, v]) => `${k} ${v.toFixed(0)}`);
  return `${r.settings.full ? 'full' : 'quick'} run of ${r.settings.claims.join(', ')} in ${formatNumber(r.wallSeconds / 60)} minutes, ${r.settings.parallel} one-thread job${r.settings.parallel === 1 ? '' : 's'} side by side; load average at the end ${r.settings.loadAverage.map((v) => v.toFixed(1)).join(', ')}${jobs.length ? `; job seconds by kind ${jobs.join(', ')}` : ''}`;
}

const INTRO =
  "Each row tests one measure of one claim: the cell the claim favours and the direction are fixed in code before the run, as is the practical margin. GRU and LSTM have about the same number of parameters unless the row says equal units. Δ is GRU − LSTM over paired seeds (for times, the GRU/LSTM ratio) with its 95% interval. Verdicts use Holm's correction across all rows: supported or contradicted when the difference is significant in or against the claimed direction, equivalent when two one-sided tests put it inside the margin, inconclusive otherwise. A failed sanity check makes a row invalid instead of giving it a verdict.";

export function claimsMarkdown(results: ClaimsResults, chartFiles: Partial<Record<ClaimId, string>> = {}): string {
  const ran = CLAIM_IDS.filter((c) => results.rows.some((r) => r.claim === c));
  return [
    '# gatedrnn compare --claims: GRU vs LSTM advice, measured',
    '',
    `Measured on ${machineLine(results)} at ${results.createdAt}; ${runLine(results)}.`,
    '',
    INTRO,
    '',
    '## Verdicts',
    '',
    claimsTable(results.rows),
    '',
    '## In words',
    '',
    ...results.rows.map((r) => `- ${rowSentence(r)}`),
    '',
    ...(memoryTable(results) ? ['## Memory: success per lag (%, 95% interval over seeds)', '', memoryTable(results)!, ''] : []),
    '## The claims',
    '',
    ...ran.map((c) => `- **${c}**: ${CLAIM_STATEMENTS[c]}.${chartFiles[c] ? ` Chart: [${chartFiles[c]}](${chartFiles[c]})` : ''}`),
    '',
    '## Reproduce',
    '',
    ...ran.map((c) => `- ${c}: \`${results.rows.find((r) => r.claim === c)!.command.split('   ')[0]}\``),
    ...results.rows
      .filter((r) => r.command.includes('(or:'))
      .map((r) => `- ${r.claim} (${r.label}), one task alone: \`${r.command.split('(or: ')[1].replace(/\)$/, '')}\``),
    '',
    'Seeds are fixed, so a rerun trains the same models; timings and the budget rows move with the load of the machine. Every per-seed value is in results.json (`rows[].gru`, `rows[].lstm`, and `raw`).',
    '',
  ].join('\n');
}

/** The last cell (the verdict) gets the class v-<verdict> that colours it. */
const verdictClass = (cells: readonly string[], i: number): string =>
  i === cells.length - 1 ? ` class="v-${cells[cells.length - 1].split(/[ :(]/)[0]}"` : '';

export function claimsHtml(results: ClaimsResults, charts: Partial<Record<ClaimId, string>>): string {
  const ran = CLAIM_IDS.filter((c) => results.rows.some((r) => r.claim === c));
  const sections = ran.map((c) => {
    const rows = results.rows.filter((r) => r.claim === c);
    return `<section><h3>${escapeXml(c)}</h3><p class="claim">“${escapeXml(CLAIM_STATEMENTS[c])}”</p><div class="chart">${charts[c] ?? ''}</div><ul>${rows.map((r) => `<li>${escapeXml(rowSentence(r))}</li>`).join('')}</ul><p class="cmd">Reproduce: <code>${escapeXml(rows[0].command.split('   ')[0])}</code></p></section>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gatedrnn compare --claims</title>
<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0;font-size:12px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}.v-supported{background:#e6f4e6}.v-contradicted{background:#fbe3e3}.v-equivalent{background:#e8eefb}.v-inconclusive{background:#f6f6f6}.v-invalid{background:#fff3cd}section{display:inline-block;vertical-align:top;width:560px;margin:0 12px 18px 0}.chart svg{border:1px solid #eee}.claim{font-style:italic;color:#444}.cmd{font-size:12px}</style>
</head><body>
<h1>gatedrnn compare --claims: GRU vs LSTM advice, measured</h1>
<p>Measured on ${escapeXml(machineLine(results))} at ${escapeXml(results.createdAt)}; ${escapeXml(runLine(results))}.</p>
<p>${escapeXml(INTRO)}</p>
<h2>Verdicts</h2>${mdTableToHtml(claimsTable(results.rows), verdictClass)}
${memoryTable(results) ? `<h2>Memory: success per lag (%, 95% interval over seeds)</h2>${mdTableToHtml(memoryTable(results)!, verdictClass)}` : ''}
<h2>Claims</h2>
${sections.join('\n')}
</body></html>
`;
}

export interface WrittenClaimsReport {
  dir: string;
  files: { markdown: string; html: string; json: string; charts: string[] };
}

/** Writes report.md, report.html, results.json and claims-<id>.svg into `dir`, each atomically. */
export function writeClaimsReport(results: ClaimsResults, dir: string): WrittenClaimsReport {
  fs.mkdirSync(dir, { recursive: true });
  const charts = claimCharts(results);
  const chartFiles: Partial<Record<ClaimId, string>> = {};
  const written: string[] = [];
  for (const [id, svg] of Object.entries(charts) as [ClaimId, string][]) {
    chartFiles[id] = `claims-${id}.svg`;
    const file = path.join(dir, chartFiles[id]!);
    writeAtomicSync(file, svg);
    written.push(file);
  }
  const files = {
    markdown: path.join(dir, 'report.md'),
    html: path.join(dir, 'report.html'),
    json: path.join(dir, 'results.json'),
    charts: written,
  };
  writeAtomicSync(files.json, JSON.stringify(results, null, 2) + '\n');
  writeAtomicSync(files.markdown, claimsMarkdown(results, chartFiles));
  writeAtomicSync(files.html, claimsHtml(results, charts));
  return { dir, files };
}
