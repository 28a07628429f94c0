// Small SVG charts rendered as strings: line charts (learning curves) and grouped bars with
// error bars (metrics, speed, size). No browser, no layout engine: fixed margins, nice ticks.

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const COLORS = { gru: '#1f77b4', lstm: '#d62728', baseline: '#7f7f7f' };

const W = 480;
const H = 300;
const M = { left: 64, right: 16, top: 40, bottom: 48 };
// Line charts keep their legend in a wider right margin, clear of the curves.
const LEGEND = 118;

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function tickLabel(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
}

function frame(title: string, xLabel: string, yLabel: string, body: string, right = M.right): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">` +
    `<rect width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>` +
    `<text x="${M.left + (W - M.left - right) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>` +
    `<text x="14" y="${M.top + (H - M.top - M.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${M.top + (H - M.top - M.bottom) / 2})">${escapeXml(yLabel)}</text>` +
    body +
    `</svg>`
  );
}

function yAxis(ticks: number[], y: (v: number) => number, right = M.right): string {
  return (
    ticks
      .map(
        (v) =>
          `<line x1="${M.left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/><text x="${M.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v)}</text>`,
      )
      .join('') +
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/><line x1="${M.left}" x2="${W - right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`
  );
}

export interface LineSeries {
  /** Legend entry; series sharing a name (e.g. one per seed) share one entry. */
  name: string;
  color: string;
  dashed?: boolean;
  /** y per x = 1, 2, ... (epochs). */
  values: readonly number[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
}

export function lineChartSvg(chart: LineChart): string {
  const finite = chart.series.flatMap((s) => s.values.filter(Number.isFinite));
  const maxX = Math.max(1, ...chart.series.map((s) => s.values.length));
  const yt = niceTicks(finite.length ? Math.min(...finite) : 0, finite.length ? Math.max(...finite) : 1);
  const xt = niceTicks(1, maxX, Math.min(maxX, 8)).filter((v) => Number.isInteger(v) && v >= 1);
  const right = M.right + LEGEND;
  const x = (v: number) => M.left + ((v - 1) / Math.max(1, maxX - 1)) * (W - M.left - right);
  const y = (v: number) => H - M.bottom - ((v - yt[0]) / (yt[yt.length - 1] - yt[0])) * (H - M.top - M.bottom);
  let body = yAxis(yt, y, right);
  body += xt
    .filter((v) => v <= maxX)
    .map((v) => `<text x="${x(v).toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">${v}</text>`)
    .join('');
  const legend: LineSeries[] = [];
  for (const s of chart.series) {
    const pts = s.values
      .map((v, i) => (Number.isFinite(v) ? [x(i + 1).toFixed(1), y(v).toFixed(1)] : null))
      .filter((p): p is string[] => p !== null);
    if (pts.length > 1)
      body += `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''} points="${pts.map((p) => p.join(',')).join(' ')}"/>`;
    else if (pts.length === 1) body += `<circle cx="${pts[0][0]}" cy="${pts[0][1]}" r="2.5" fill="${s.color}"/>`;
    if (!legend.some((l) => l.name === s.name)) legend.push(s);
  }
  legend.forEach((s, k) => {
    const lx = W - right + 12;
    const ly = M.top + 4 + k * 14;
    body += `<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/><text x="${lx + 22}" y="${ly + 4}">${escapeXml(s.name)}</text>`;
  });
  return frame(chart.title, chart.xLabel, chart.yLabel, body, right);
}

export interface Bar {
  name: string;
  value: number;
  /** Half-length of the error bar (e.g. one std); omitted or NaN for none. */
  error?: number;
  color: string;
}

export interface BarChart {
  title: string;
  yLabel: string;
  bars: readonly Bar[];
}

/** Bars from 0 (or from the smallest value when some are negative) with optional error bars. */
export function barChartSvg(chart: BarChart): string {
  const tops = chart.bars
    .flatMap((b) => [
      b.value + (Number.isFinite(b.error) ? (b.error as number) : 0),
      b.value - (Number.isFinite(b.error) ? (b.error as number) : 0),
    ])
    .filter(Number.isFinite);
  const yt = niceTicks(Math.min(0, ...tops), Math.max(0, ...tops));
  const y = (v: number) => H - M.bottom - ((v - yt[0]) / (yt[yt.length - 1] - yt[0])) * (H - M.top - M.bottom);
  const slot = (W - M.left - M.right) / Math.max(1, chart.bars.length);
  const bw = Math.min(60, slot * 0.6);
  let body = yAxis(yt, y);
  chart.bars.forEach((b, i) => {
    const cx = M.left + slot * (i + 0.5);
    if (Number.isFinite(b.value)) {
      const y0 = y(0);
      const y1 = y(b.value);
      body += `<rect x="${(cx - bw / 2).toFixed(1)}" y="${Math.min(y0, y1).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.abs(y0 - y1).toFixed(1)}" fill="${b.color}"/>`;
      if (Number.isFinite(b.error) && (b.error as number) > 0) {
        const e = b.error as number;
        const a = y(b.value + e).toFixed(1);
        const c = y(b.value - e).toFixed(1);
        body += `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${a}" y2="${c}" stroke="#000"/><line x1="${(cx - 6).toFixed(1)}" x2="${(cx + 6).toFixed(1)}" y1="${a}" y2="${a}" stroke="#000"/><line x1="${(cx - 6).toFixed(1)}" x2="${(cx + 6).toFixed(1)}" y1="${c}" y2="${c}" stroke="#000"/>`;
      }
      const reach = Number.isFinite(b.error) ? Math.abs(b.error as number) : 0;
      const labelY = Math.min(y0, y(b.value >= 0 ? b.value + reach : b.value - reach), y1) - 4;
      body += `<text x="${cx.toFixed(1)}" y="${labelY.toFixed(1)}" text-anchor="middle">${tickLabel(b.value)}</text>`;
    }
    body += `<text x="${cx.toFixed(1)}" y="${H - M.bottom + 14}" text-anchor="middle">${escapeXml(b.name.length > 28 ? b.name.slice(0, 27) + '…' : b.name)}</text>`;
  });
  return frame(chart.title, '', chart.yLabel, body);
}

export interface ForestRow {
  label: string;
  /** Estimate and interval in the plot's units (here: margins, signed so right is "GRU better"). */
  estimate: number;
  low: number;
  high: number;
  /** Text printed right of the row (e.g. the interval in the metric's own units and the verdict). */
  note: string;
  color: string;
}

/**
 * A forest plot: one row per comparison, a point and its interval on a shared axis, a zero line
 * and the band of ±1 (the practical margin) shaded. Labels on the left, notes on the right.
 */
export function forestPlotSvg(chart: {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel: string;
  rows: readonly ForestRow[];
}): string {
  const width = 960;
  const rowH = 34;
  const top = 58;
  const left = 230;
  const right = 330;
  const height = top + rowH * Math.max(1, chart.rows.length) + 44;
  const finite = chart.rows.flatMap((r) => [r.low, r.high, r.estimate]).filter(Number.isFinite);
  const span = Math.max(2, ...finite.map((v) => Math.abs(v))) * 1.1;
  const ticks = niceTicks(-span, span, 8);
  const lo = ticks[0];
  const hi = ticks[ticks.length - 1];
  const x = (v: number) => left + ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo)) * (width - left - right);
  const bottom = top + rowH * Math.max(1, chart.rows.length);
  let body = `<rect x="${x(-1).toFixed(1)}" y="${top - 6}" width="${(x(1) - x(-1)).toFixed(1)}" height="${bottom - top + 12}" fill="#e8f4e8"/>`;
  body += ticks
    .map(
      (v) =>
        `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top - 6}" y2="${bottom + 6}" stroke="${v === 0 ? '#333' : '#e5e5e5'}"/><text x="${x(v).toFixed(1)}" y="${bottom + 20}" text-anchor="middle">${tickLabel(v)}</text>`,
    )
    .join('');
  body += `<text x="${x(lo).toFixed(1)}" y="${top - 14}" text-anchor="start" fill="#555">← ${escapeXml(chart.leftLabel)}</text><text x="${x(hi).toFixed(1)}" y="${top - 14}" text-anchor="end" fill="#555">${escapeXml(chart.rightLabel)} →</text>`;
  body += `<text x="${((x(-1) + x(1)) / 2).toFixed(1)}" y="${top - 14}" text-anchor="middle" fill="#2a7a2a">margin</text>`;
  chart.rows.forEach((r, i) => {
    const cy = top + rowH * (i + 0.5);
    body += `<text x="${left - 10}" y="${(cy + 4).toFixed(1)}" text-anchor="end">${escapeXml(r.label)}</text>`;
    if (Number.isFinite(r.low) && Number.isFinite(r.high))
      body += `<line x1="${x(r.low).toFixed(1)}" x2="${x(r.high).toFixed(1)}" y1="${cy.toFixed(1)}" y2="${cy.toFixed(1)}" stroke="${r.color}" stroke-width="2.5"/>`;
    if (Number.isFinite(r.estimate))
      body += `<rect x="${(x(r.estimate) - 5).toFixed(1)}" y="${(cy - 5).toFixed(1)}" width="10" height="10" fill="${r.color}"/>`;
    body += `<text x="${width - right + 12}" y="${(cy + 4).toFixed(1)}">${escapeXml(r.note)}</text>`;
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>` +
    `<text x="${x(0).toFixed(1)}" y="${height - 8}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>` +
    body +
    `</svg>`
  );
}
