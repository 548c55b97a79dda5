import type { Metric, Target } from './harness.js';

// Prints the results as a plain-text table: one row per metric, Cohort next to its baseline, the ratio, the target
// and whether it is met. The spread column is (max − min) / median of each side's samples, a quick noise gauge.

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  // A count (calls lost, say) reads as one: 0, not 0.00.
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function formatTarget(target: Target, higherIsBetter: boolean, unit: string): string {
  const sign = higherIsBetter ? '≥' : '≤';
  switch (target.kind) {
    case 'ratio':
      return `ratio ${sign} ${target.limit}`;
    case 'absolute':
      return `${sign} ${formatNumber(target.limit)} ${unit}`;
    case 'difference':
      return `≤ baseline + ${formatNumber(target.limit)} ${unit}`;
    case 'none':
      return '(info)';
  }
}

function spread(samples: readonly number[] | null, median: number | null): string {
  if (samples === null || median === null || samples.length < 2 || median === 0) return '–';
  return `${Math.round(((Math.max(...samples) - Math.min(...samples)) / median) * 100)}%`;
}

/** The ratio, and for a difference target the difference itself, which is what the target is about. */
function formatRatio(metric: Metric): string {
  if (metric.ratio === null) return '–';
  const ratio = `${metric.ratio.toFixed(2)}×`;
  if (metric.target.kind !== 'difference' || metric.baseline === null) return ratio;
  const difference = metric.cohort - metric.baseline;
  return `${ratio} (${difference >= 0 ? '+' : '−'}${formatNumber(Math.abs(difference))} ${metric.unit})`;
}

/** One metric's cells: metric, Cohort, baseline or peer, ratio, target, met? (`–` for information only). */
export function metricCells(metric: Metric): string[] {
  const unit = metric.unit;
  const baseline = metric.baseline === null ? '–' : `${formatNumber(metric.baseline)} ${unit}`;
  return [
    `${metric.group}: ${metric.name}`,
    `${formatNumber(metric.cohort)} ${unit}`,
    metric.baselineName === null ? baseline : `${baseline} (${metric.baselineName})`,
    formatRatio(metric),
    formatTarget(metric.target, metric.higherIsBetter, unit),
    metric.target.kind === 'none' ? '–' : metric.met ? 'yes' : 'NO',
  ];
}

function row(metric: Metric): string[] {
  return [
    ...metricCells(metric),
    `${spread(metric.samples.cohort, metric.cohort)} / ${spread(metric.samples.baseline, metric.baseline)}`,
  ];
}

const HEADER = ['metric', 'Cohort', 'baseline / peer', 'ratio', 'target', 'met?', 'spread C / B'];

export function formatTable(metrics: readonly Metric[]): string {
  const rows = [HEADER, ...metrics.map(row)];
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => [...cells[column]!].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell + ' '.repeat(widths[column]! - [...cell].length))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [line(HEADER), rule, ...rows.slice(1).map(line)].join('\n');
}
