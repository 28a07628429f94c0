// The claims report: the verdict table, one SVG chart per claim, the commands that reproduce each
// row, and results.json with every per-seed value; report.md, report.html and the charts' .svg
// files, written atomically into one folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeAtomicSync } from '../util/atomic-write';
import { CLAIM_IDS, CLAIM_STATEMENTS, type ClaimId, type ClaimRow, type ClaimsResults, lagAtHalf } from './claims';
import type { Cell } from './params';
import { formatNumber, mdCell } from './markdown';
import { studentTQuantile, summarize } from './stats';
import { barChartSvg, COLORS, escapeXml, niceTicks } from './svg';

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
        const b = clamp01(band(seeds.map((s) => at(lag, s))));
        return `${pct(b.y)}%${Number.isFinite(b.low) ? ` [${pct(b.low)}, ${pct(b.high)}]` : ''}`;
      });
      const half = seeds.map((s) =>
        lagAtHalf(
          lags,
          lags.map((l) => at(l, s)),
        ),
      );
      const b = band(half.map((h) => Math.log(h.lag)));
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
// Charts

interface XyPoint {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

interface XySeries {
  name: string;
  color: string;
  dashed?: boolean;
  thin?: boolean;
  points: XyPoint[];
}

interface XyChart {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  series: XySeries[];
  /** Reference lines. */
  hLine?: number;
  vLine?: { x: number; label: string };
  yRange?: [number, number];
}

const W = 520;
const H = 320;
const M = { left: 64, right: 150, top: 40, bottom: 48 };

/** Lines with optional shaded interval bands over numeric (or log) x. */
export function xyChartSvg(c: XyChart): string {
  const pts = c.series.flatMap((s) => s.points);
  const xs = pts.map((p) => p.x);
  const ys = pts.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]).filter(Number.isFinite);
  if (c.hLine !== undefined) ys.push(c.hLine);
  const fx = (v: number) => (c.logX ? Math.log10(v) : v);
  const x0 = fx(Math.min(...xs));
  const x1 = fx(Math.max(...xs));
  const yt = niceTicks(c.yRange?.[0] ?? Math.min(...ys), c.yRange?.[1] ?? Math.max(...ys));
  const x = (v: number) => M.left + ((fx(v) - x0) / Math.max(1e-12, x1 - x0)) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - ((v - yt[0]) / (yt[yt.length - 1] - yt[0])) * (H - M.top - M.bottom);
  let body = yt
    .map(
      (v) =>
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${M.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${formatNumber(v)}</text>`,
    )
    .join('');
  body += `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/><line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`;
  const xTicks = c.logX
    ? [...new Set(xs)].sort((a, b) => a - b)
    : niceTicks(Math.min(...xs), Math.max(...xs), 6).filter((v) => v >= Math.min(...xs) && v <= Math.max(...xs));
  body += xTicks
    .map((v) => `<text x="${x(v).toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">${formatNumber(v)}</text>`)
    .join('');
  if (c.hLine !== undefined)
    body += `<line x1="${M.left}" x2="${W - M.right}" y1="${y(c.hLine).toFixed(1)}" y2="${y(c.hLine).toFixed(1)}" stroke="#555" stroke-dasharray="2 2"/>`;
  if (c.vLine)
    body += `<line x1="${x(c.vLine.x).toFixed(1)}" x2="${x(c.vLine.x).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#555" stroke-dasharray="2 2"/><text x="${(x(c.vLine.x) + 3).toFixed(1)}" y="${M.top + 10}">${escapeXml(c.vLine.label)}</text>`;
  const legend: XySeries[] = [];
  for (const s of c.series) {
    const banded = s.points.filter((p) => p.low !== undefined && p.high !== undefined && Number.isFinite(p.low) && Number.isFinite(p.high));
    if (banded.length > 1) {
      const up = banded.map((p) => `${x(p.x).toFixed(1)},${y(p.high!).toFixed(1)}`);
      const down = [...banded].reverse().map((p) => `${x(p.x).toFixed(1)},${y(p.low!).toFixed(1)}`);
      body += `<polygon points="${[...up, ...down].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`;
    }
    const line = s.points.filter((p) => Number.isFinite(p.y)).map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`);
    if (line.length > 1)
      body += `<polyline fill="none" stroke="${s.color}" stroke-width="${s.thin ? 1 : 2}"${s.thin ? ' stroke-opacity="0.6"' : ''}${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${line.join(' ')}"/>`;
    if (line.length === 1 || !s.thin)
      for (const p of line) body += `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="${s.thin ? 1.5 : 2.5}" fill="${s.color}"/>`;
    if (!legend.some((l) => l.name === s.name)) legend.push(s);
  }
  legend.forEach((s, k) => {
    const lx = W - M.right + 12;
    const ly = M.top + 4 + k * 15;
    body += `<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${lx + 25}" y="${ly + 4}">${escapeXml(s.name)}</text>`;
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(c.title)}</text>` +
    `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(c.xLabel)}</text>` +
    `<text x="14" y="${M.top + (H - M.top - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})">${escapeXml(c.yLabel)}</text>` +
    body +
    `</svg>`
  );
}

/** Mean and 95% t interval of values (the interval NaN for fewer than two). */
function band(values: readonly number[]): { y: number; low: number; high: number } {
  const s = summarize(values);
  if (s.n < 2) return { y: s.mean, low: NaN, high: NaN };
  const h = studentTQuantile(0.975, s.n - 1) * (s.std / Math.sqrt(s.n));
  return { y: s.mean, low: s.mean - h, high: s.mean + h };
}

const clamp01 = (b: { y: number; low: number; high: number }) => ({ y: b.y, low: Math.max(0, b.low), high: Math.min(1, b.high) });

const TASK_NAMES: Record<string, string> = { adding: 'adding', recall: 'recall', copy: 'copy' };

/** One chart per claim that ran, keyed by claim. */
export function claimCharts(results: ClaimsResults): Partial<Record<ClaimId, string>> {
  const { raw, plan, rows } = results;
  const out: Partial<Record<ClaimId, string>> = {};
  if (raw.speed) {
    const { configs, result } = raw.speed;
    const series: XySeries[] = [];
    for (const match of ['units', 'params'] as const) {
      for (const batch of plan.speed.batches) {
        const points = configs
          .map((c, i) => ({ c, i }))
          .filter(({ c }) => c.match === match && c.batch === batch)
          .map(({ c, i }) => {
            const b = band(result.trainMs.gru[i].map((g, r) => Math.log(g / result.trainMs.lstm[i][r])));
            return { x: c.hidden, y: Math.exp(b.y), low: Math.exp(b.low), high: Math.exp(b.high) };
          });
        series.push({
          name: `equal ${match}, B = ${batch}`,
          color: match === 'units' ? COLORS.gru : COLORS.lstm,
          dashed: batch !== plan.speed.batches[0],
          points,
        });
      }
    }
    out.speed = xyChartSvg({
      title: 'speed: GRU / LSTM training time per sample',
      xLabel: 'hidden size H (LSTM units)',
      yLabel: 'time ratio GRU / LSTM (< 1: GRU faster)',
      logX: true,
      series,
      hLine: 1,
    });
  }
  if (raw.memory) {
    const series: XySeries[] = [];
    for (const task of plan.memory.tasks) {
      for (const cell of CELLS) {
        const points = plan.memory.lags.map((lag) => ({
          x: lag,
          ...clamp01(band(raw.memory!.filter((m) => m.task === task && m.cell === cell && m.lag === lag).map((m) => m.result.success))),
        }));
        series.push({
          name: `${cell.toUpperCase()} ${TASK_NAMES[task]}`,
          color: COLORS[cell],
          dashed: task !== plan.memory.tasks[0],
          points,
        });
      }
    }
    out.memory = xyChartSvg({
      title: 'memory: success against lag (95% bands)',
      xLabel: 'lag (steps)',
      yLabel: 'success rate',
      logX: true,
      series,
      hLine: 0.5,
      yRange: [0, 1],
    });
  }
  if (raw.expressive) {
    const e = plan.expressive;
    const series: XySeries[] = CELLS.map((cell) => {
      const runs = raw.expressive!.filter((r) => r.cell === cell);
      return {
        name: `${cell.toUpperCase()} (${runs.length} seeds)`,
        color: COLORS[cell],
        points: Array.from({ length: e.testMaxN }, (_, k) => ({
          x: k + 1,
          y: runs.filter((r) => r.result.exactUpTo >= k + 1).length / runs.length,
        })),
      };
    });
    out.expressive = xyChartSvg({
      title: 'expressive: aⁿbⁿ, exact on every n′ ≤ n',
      xLabel: 'n',
      yLabel: 'share of seeds',
      series,
      vLine: { x: e.trainMaxN, label: 'trained' },
      yRange: [0, 1],
    });
  }
  if (raw.smallData) {
    const sizes = [...new Set(raw.smallData.map((r) => r.size))].sort((a, b) => a - b);
    const diff = (pick: (r: NonNullable<ClaimsResults['raw']['smallData']>[number]) => number) =>
      sizes.map((size) => {
        const at = raw.smallData!.filter((r) => r.size === size);
        const seedList = [...new Set(at.map((r) => r.seed))];
        return {
          x: size,
          ...band(
            seedList.map(
              (s) => pick(at.find((r) => r.seed === s && r.cell === 'gru')!) - pick(at.find((r) => r.seed === s && r.cell === 'lstm')!),
            ),
          ),
        };
      });
    out['small-data'] = xyChartSvg({
      title: 'small-data: GRU − LSTM against training size',
      xLabel: 'training examples',
      yLabel: 'GRU − LSTM (95% band)',
      logX: true,
      hLine: 0,
      series: [
        { name: 'test accuracy', color: COLORS.gru, points: diff((r) => r.result.testAccuracy) },
        { name: 'val − train loss', color: COLORS.lstm, dashed: true, points: diff((r) => r.result.gap) },
      ],
    });
  }
  if (raw.budget) {
    const series: XySeries[] = raw.budget.map((r) => ({
      name: r.cell.toUpperCase(),
      color: COLORS[r.cell],
      thin: true,
      points: r.result.seconds.map((s, k) => ({ x: s, y: r.result.validationAccuracy[k] })),
    }));
    out.budget = xyChartSvg({
      title: 'budget: validation accuracy against training seconds',
      xLabel: 'training seconds (one line per seed)',
      yLabel: 'validation accuracy',
      series,
      hLine: plan.budget.target,
    });
  }
  const taskRows = rows.filter((r) => r.claim === 'tasks' && r.evidence);
  if (taskRows.length) {
    // Oriented so that a positive bar is the claimed cell ahead, in units of the row's margin.
    out.tasks = barChartSvg({
      title: 'tasks: claimed cell ahead by (in margins)',
      yLabel: 'advantage of the claimed cell / margin',
      bars: taskRows.map((r) => {
        const e = r.evidence!;
        const sign = (r.favours === 'gru' ? 1 : -1) * (r.higherIsBetter ? 1 : -1);
        return {
          name: r.label.split(' → ')[0],
          value: (sign * e.estimate) / r.margin,
          error: (e.high - e.low) / 2 / r.margin,
          color: COLORS[r.favours],
        };
      }),
    });
  }
  return out;
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

function mdTableToHtml(md: string): string {
  const rows = md.split('\n').filter((_, i) => i !== 1);
  const cells = (l: string) =>
    l
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => escapeXml(c.trim().replace(/\\\|/g, '|')));
  const [head, ...body] = rows;
  return `<table><thead><tr>${cells(head)
    .map((c) => `<th>${c}</th>`)
    .join('')}</tr></thead><tbody>${body
    .map((r) => {
      const cs = cells(r);
      const v = cs[cs.length - 1].split(/[ :(]/)[0];
      return `<tr>${cs.map((c, i) => `<td${i === cs.length - 1 ? ` class="v-${v}"` : ''}>${c}</td>`).join('')}</tr>`;
    })
    .join('')}</tbody></table>`;
}

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
<h2>Verdicts</h2>${mdTableToHtml(claimsTable(results.rows))}
${memoryTable(results) ? `<h2>Memory: success per lag (%, 95% interval over seeds)</h2>${mdTableToHtml(memoryTable(results)!)}` : ''}
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
