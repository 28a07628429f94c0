// Markdown for the reports: numbers to three significant figures, tables, and tables as HTML.
import { escapeXml } from './svg';

/** A number to about three significant figures; exponent notation outside [1e-3, 1e6); 'n/a' when not finite. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

/** A number with its sign, + included. */
export const signedNumber = (x: number) => (x >= 0 ? '+' : '') + formatNumber(x);

/** A cell's text with its pipes escaped. */
export function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** A markdown table: the head row, the rule, and the rows with their cells' pipes escaped. */
export function mdTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

/**
 * A markdown table (as mdTable writes it) as an HTML table, its text escaped; `tdAttributes` adds
 * attributes to a body cell from its row's cells and its index.
 */
export function mdTableToHtml(md: string, tdAttributes: (cells: readonly string[], i: number) => string = () => ''): string {
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
      return `<tr>${cs.map((c, i) => `<td${tdAttributes(cs, i)}>${c}</td>`).join('')}</tr>`;
    })
    .join('')}</tbody></table>`;
}
