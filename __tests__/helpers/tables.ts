// Reads the comparison table of a summary.md and checks that each row agrees with itself: its
// Change follows from its own Baseline and Current columns, to the rounding they are shown with;
// and that the trend charts plot what those rows compare.
import { expect } from '@jest/globals';
import type { Report } from '../../src/report/report.js';

const NUMBER = /([−+±-]?)([\d.]+)/;

/** A shown value and how far it may be from the value it was rounded from. */
function shownValue(cell: string): { value: number; slack: number } | null {
  const seconds = /^([\d.]+) s$/.exec(cell);
  if (seconds) return { value: Number(seconds[1]) * 1000, slack: 5 };
  const match = /^([\d.]+)( ms| %)?$/.exec(cell);
  if (!match) return null;
  const decimals = match[1]!.split('.')[1]?.length ?? 0;
  return { value: Number(match[1]), slack: 0.5 * 10 ** -decimals };
}

function shownChange(cell: string): { value: number; unit: 'pts' | '%' } | null {
  const match = new RegExp(`^${NUMBER.source} (pts|%)`).exec(cell);
  if (!match) return null;
  const sign = match[1] === '−' || match[1] === '-' ? -1 : 1;
  return { value: sign * Number(match[2]), unit: match[3] as 'pts' | '%' };
}

/** Checks every compared row of every table in `summary`; returns how many rows were checked. */
export function expectTablesAgree(summary: string): number {
  let checked = 0;
  let columns: { baseline: number; current: number; change: number } | null = null;
  for (const line of summary.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells[1] === 'Metric') {
      const at = (name: string) => cells.indexOf(name);
      columns = at('Change') > 0 ? { baseline: at('Baseline'), current: at('Current'), change: at('Change') } : null;
      continue;
    }
    if (!line.startsWith('|')) columns = null;
    if (!columns || cells[1]?.startsWith('---')) continue;
    const baseline = shownValue(cells[columns.baseline] ?? '');
    const current = shownValue(cells[columns.current] ?? '');
    const change = shownChange(cells[columns.change] ?? '');
    if (!baseline || !current || !change) continue;
    if (change.unit === 'pts') {
      const slack = baseline.slack + current.slack + 0.01;
      const off = Math.abs(change.value - (current.value - baseline.value));
      expect({ row: cells[1], agrees: off <= slack + 0.005 }).toEqual({ row: cells[1], agrees: true });
    } else {
      const low = ((current.value - current.slack) / (baseline.value + baseline.slack) - 1) * 100;
      // A baseline shown as 0 may have been anything up to its slack: no upper bound then.
      const high =
        baseline.value - baseline.slack > 0
          ? ((current.value + current.slack) / (baseline.value - baseline.slack) - 1) * 100
          : Infinity;
      expect({ row: cells[1], agrees: change.value >= low - 0.1 && change.value <= high + 0.1 }).toEqual({
        row: cells[1],
        agrees: true,
      });
    }
    checked += 1;
  }
  return checked;
}

/**
 * Checks that each trend ends at the value its table row shows as Current and, where its baseline
 * points are a latency level's typical calls, that they centre on the row's Baseline (every run
 * measured every scenario); returns how many trends were checked.
 */
export function expectTrendsAgree(report: Report): number {
  let checked = 0;
  for (const target of report.targets)
    for (const [metric, points] of Object.entries(target.trends)) {
      const verdict = report.metricVerdicts.find((each) => each.target === target.name && each.metric === metric)!;
      expect({ metric, now: points.at(-1) }).toEqual({ metric, now: verdict.current });
      if (verdict.baselineRuns) {
        const runs = points.slice(0, -1) as number[];
        const centre = Math.exp(runs.reduce((sum, value) => sum + Math.log(value), 0) / runs.length);
        expect({ metric, off: Math.abs(centre / verdict.baseline! - 1) < 0.005 }).toEqual({ metric, off: true });
      }
      checked += 1;
    }
  return checked;
}
