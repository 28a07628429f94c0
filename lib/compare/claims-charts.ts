// The claims report's charts: one SVG per claim, lines over lag, size or time with shaded 95%
// intervals over seeds, and the timing bars.
import { CELLS } from '../tasks';
import type { ClaimId, ClaimsResults } from './claims';
import { formatNumber } from './markdown';
import { clampToUnit, meanInterval } from './stats';
import { barChartSvg, COLORS, escapeXml, niceTicks } from './svg';

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
            const b = meanInterval(result.trainMs.gru[i].map((g, r) => Math.log(g / result.trainMs.lstm[i][r])));
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
          ...clampToUnit(
            meanInterval(raw.memory!.filter((m) => m.task === task && m.cell === cell && m.lag === lag).map((m) => m.result.success)),
          ),
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
          ...meanInterval(
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
