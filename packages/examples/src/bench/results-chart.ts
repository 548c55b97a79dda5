import type { Metric } from './harness.js';
import type { BenchResults } from './results-file.js';

// bench-results.svg: every metric that has a baseline, as a bar from 1× to its ratio (Cohort ÷ baseline) on a
// log scale, with its target drawn as a mark at the ratio the target amounts to. Plain SVG written by hand: a
// chart library would be a dependency for forty lines of rectangles.

const WIDTH = 980;
const LABEL_WIDTH = 470;
const PLOT_LEFT = LABEL_WIDTH + 10;
const PLOT_RIGHT = WIDTH - 70;
const ROW_HEIGHT = 42;
const TOP = 78;
const COLORS = {
  met: '#2e7d32',
  missed: '#c62828',
  info: '#9e9e9e',
  target: '#212121',
  grid: '#e0e0e0',
  text: '#212121',
  faint: '#757575',
};

interface Row {
  metric: Metric;
  ratio: number;
  /** The ratio the target amounts to, when the target can be drawn on this axis. */
  targetRatio: number | undefined;
}

/** The target as a ratio to the baseline: a ratio target is one; the others are converted with the baseline. */
function targetAsRatio(metric: Metric): number | undefined {
  const { target, baseline } = metric;
  switch (target.kind) {
    case 'ratio':
      return target.limit;
    case 'difference':
      return baseline === null || baseline === 0 ? undefined : (baseline + target.limit) / baseline;
    case 'absolute':
      return baseline === null || baseline === 0 ? undefined : target.limit / baseline;
    case 'none':
      return undefined;
  }
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function formatRatio(value: number): string {
  if (value >= 100) return `${value.toFixed(0)}×`;
  // One decimal up to 100×: "10×" for 10.3× would read as a target exactly met.
  if (value >= 10) return `${value.toFixed(1)}×`;
  if (value >= 0.1) return `${value.toFixed(2)}×`;
  return `${value.toPrecision(2)}×`;
}

function targetText(metric: Metric): string {
  const sign = metric.higherIsBetter ? '≥' : '≤';
  const { target } = metric;
  switch (target.kind) {
    case 'ratio':
      return `target ${sign} ${target.limit}×`;
    case 'difference':
      return `target ≤ +${target.limit} ${metric.unit}`;
    case 'absolute':
      return `target ${sign} ${target.limit.toLocaleString('en-US')} ${metric.unit}`;
    case 'none':
      return 'information only';
  }
}

export function renderChart(results: BenchResults): string {
  const rows: Row[] = results.metrics
    .filter((metric): metric is Metric & { ratio: number } => metric.ratio !== null && metric.ratio > 0)
    .map((metric) => ({ metric, ratio: metric.ratio, targetRatio: targetAsRatio(metric) }));
  const values = rows.flatMap((row) => (row.targetRatio === undefined ? [row.ratio] : [row.ratio, row.targetRatio]));
  const lowDecade = Math.floor(Math.log10(Math.min(1, ...values)));
  const highDecade = Math.max(lowDecade + 1, Math.ceil(Math.log10(Math.max(1, ...values))));
  const x = (ratio: number): number =>
    PLOT_LEFT + ((Math.log10(ratio) - lowDecade) / (highDecade - lowDecade)) * (PLOT_RIGHT - PLOT_LEFT);
  const height = TOP + rows.length * ROW_HEIGHT + 60;
  const parts: string[] = [];

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="bold" fill="${COLORS.text}">Cohort ÷ baseline, against each target</text>`,
    `<text x="16" y="46" fill="${COLORS.faint}">${escapeXml(
      `${results.date.slice(0, 10)} · node ${results.node} (${results.runtime === 'js' ? 'compiled JS' : 'tsx'}) · ${results.cpu.cores} × ${results.cpu.model} · load ${results.loadAverage.toFixed(2)} at start`,
    )}</text>`,
    `<text x="16" y="64" fill="${COLORS.faint}">Bars from 1× to the ratio (log scale); the black mark is the target. Green: met · red: missed · grey: information only.</text>`,
  );

  for (let decade = lowDecade; decade <= highDecade; decade++) {
    const value = 10 ** decade;
    const at = x(value);
    parts.push(
      `<line x1="${at}" y1="${TOP - 6}" x2="${at}" y2="${TOP + rows.length * ROW_HEIGHT}" stroke="${decade === 0 ? COLORS.faint : COLORS.grid}"/>`,
      `<text x="${at}" y="${TOP + rows.length * ROW_HEIGHT + 16}" text-anchor="middle" fill="${COLORS.faint}">${formatRatio(value)}</text>`,
    );
  }

  rows.forEach((row, index) => {
    const { metric } = row;
    const top = TOP + index * ROW_HEIGHT;
    const middle = top + ROW_HEIGHT / 2;
    const color = metric.target.kind === 'none' ? COLORS.info : metric.met ? COLORS.met : COLORS.missed;
    const from = Math.min(x(1), x(row.ratio));
    const barWidth = Math.max(1, Math.abs(x(row.ratio) - x(1)));
    parts.push(
      `<text x="16" y="${middle - 3}" fill="${COLORS.text}">${escapeXml(`${metric.group}: ${metric.name}`)}</text>`,
      `<text x="16" y="${middle + 12}" fill="${COLORS.faint}" font-size="11">${escapeXml(
        `vs ${metric.baselineName ?? 'baseline'} · ${metric.higherIsBetter ? 'higher' : 'lower'} is better · ${targetText(metric)}`,
      )}</text>`,
      `<rect x="${from}" y="${middle - 8}" width="${barWidth}" height="16" fill="${color}" opacity="0.85"/>`,
    );
    // Past the bar's end, and past the target mark when it is on that side, so the two never overlap.
    const labelRight = row.ratio >= 1;
    const marks = row.targetRatio === undefined ? [x(row.ratio)] : [x(row.ratio), x(row.targetRatio)];
    const labelAt = labelRight ? Math.max(...marks) + 6 : Math.min(...marks) - 6;
    parts.push(
      `<text x="${labelAt}" y="${middle + 4}" text-anchor="${labelRight ? 'start' : 'end'}" fill="${COLORS.text}" font-weight="bold">${formatRatio(row.ratio)}</text>`,
    );
    if (row.targetRatio !== undefined) {
      const at = x(row.targetRatio);
      parts.push(
        `<line x1="${at}" y1="${middle - 13}" x2="${at}" y2="${middle + 13}" stroke="${COLORS.target}" stroke-width="2.5"/>`,
        `<path d="M ${at - 4} ${middle - 17} L ${at + 4} ${middle - 17} L ${at} ${middle - 12} Z" fill="${COLORS.target}"/>`,
      );
    }
  });

  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
