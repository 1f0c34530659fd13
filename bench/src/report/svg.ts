/** Hand-written SVG charts: no dependency, readable in a browser, on GitHub and in diffs. */

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const PALETTE = ['#2f6fdf', '#e8833a', '#3aa65b', '#c9473f', '#8a5cc7', '#6b7280'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A readable number: 12345 → "12,345", 0.456 → "0.456". */
export function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return String(Math.round(value * 1000) / 1000);
}

/** A table cell: the number formatted, or a dash when it was not measured. */
export const cell = (value: number | null | undefined, suffix = '') => (value === null || value === undefined ? '—' : `${formatNumber(value)}${suffix}`);

interface Bar {
  label: string;
  value: number;
}

/** Horizontal bars, one per label, longest first in the order given. */
export function barChart({ title, unit, bars }: { title: string; unit: string; bars: Bar[] }): string {
  const labelWidth = 260;
  const chartWidth = 420;
  const rowHeight = 30;
  const top = 44;
  const height = top + bars.length * rowHeight + 16;
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const rows = bars
    .map((bar, i) => {
      const y = top + i * rowHeight;
      const width = Math.max(1, (bar.value / max) * chartWidth);
      return [
        `<text x="${labelWidth - 8}" y="${y + 19}" text-anchor="end" font-size="13" fill="#111827">${escape(bar.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 5}" width="${width.toFixed(1)}" height="${rowHeight - 10}" rx="3" fill="${PALETTE[i % PALETTE.length]}"/>`,
        `<text x="${labelWidth + width + 6}" y="${y + 19}" font-size="12" fill="#374151">${escape(formatNumber(bar.value))} ${escape(unit)}</text>`,
      ].join('');
    })
    .join('\n');
  return svg(labelWidth + chartWidth + 130, height, title, rows);
}

/** Groups of bars (e.g. latency p50/p90/p99 per system), one colour per series, with a legend. */
export function groupedBarChart({
  title,
  unit,
  series,
  groups,
}: {
  title: string;
  unit: string;
  series: string[];
  groups: { label: string; values: number[] }[];
}): string {
  const labelWidth = 260;
  const chartWidth = 420;
  const barHeight = 12;
  const groupGap = 14;
  const top = 64;
  const groupHeight = series.length * barHeight + groupGap;
  const height = top + groups.length * groupHeight + 10;
  const max = Math.max(...groups.flatMap((g) => g.values), 1e-9);
  const legend = series
    .map((name, i) => `<rect x="${labelWidth + i * 90}" y="34" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${labelWidth + i * 90 + 16}" y="44" font-size="12" fill="#374151">${escape(name)}</text>`)
    .join('');
  const rows = groups
    .map((group, g) => {
      const y0 = top + g * groupHeight;
      const label = `<text x="${labelWidth - 8}" y="${y0 + (series.length * barHeight) / 2 + 4}" text-anchor="end" font-size="13" fill="#111827">${escape(group.label)}</text>`;
      const bars = group.values
        .map((value, i) => {
          const width = Math.max(1, (value / max) * chartWidth);
          const y = y0 + i * barHeight;
          return `<rect x="${labelWidth}" y="${y}" width="${width.toFixed(1)}" height="${barHeight - 2}" fill="${PALETTE[i % PALETTE.length]}"/><text x="${labelWidth + width + 4}" y="${y + 9}" font-size="10" fill="#374151">${escape(formatNumber(value))} ${escape(unit)}</text>`;
        })
        .join('');
      return label + bars;
    })
    .join('\n');
  return svg(labelWidth + chartWidth + 110, height, title, `${legend}\n${rows}`);
}

function svg(width: number, height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="22" font-size="15" font-weight="600" fill="#111827">${escape(title)}</text>
${body}
</svg>
`;
}
