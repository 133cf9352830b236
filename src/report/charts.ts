// Trend charts for the report folder: one SVG per gated metric and target (viewable from the
// artifact in any browser) and a PNG beside it, rendered with sharp (shipped in dist/node_modules
// for linux-x64 and linux-arm64; on another platform without sharp, the SVGs alone).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC_INFO, type MetricName } from '../measure/metrics.js';
import { loadSharp } from '../sharp.js';
import type { Report } from './report.js';

const WIDTH = 640;
const HEIGHT = 320;
const PAD = { left: 70, right: 36, top: 40, bottom: 40 };

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function trendSvg(title: string, unit: string, values: readonly (number | null)[]): string {
  const points = values.map((value, index) => ({ index, value })).filter((point): point is { index: number; value: number } => point.value !== null);
  const max = Math.max(...points.map((point) => point.value), 0);
  const min = Math.min(...points.map((point) => point.value), max);
  const span = max - min || Math.max(1, Math.abs(max) * 0.1);
  const low = min - span * 0.1;
  const high = max + span * 0.1;
  const x = (index: number) => PAD.left + (values.length === 1 ? 0 : (index / (values.length - 1)) * (WIDTH - PAD.left - PAD.right));
  const y = (value: number) => PAD.top + (1 - (value - low) / (high - low)) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map((point, order) => `${order === 0 ? 'M' : 'L'}${x(point.index).toFixed(1)},${y(point.value).toFixed(1)}`).join(' ');
  const labels = values.map((_, index) => `<text x="${x(index).toFixed(1)}" y="${HEIGHT - 14}" font-size="12" text-anchor="middle">${index === values.length - 1 ? 'now' : `b${index - values.length + 1}`}</text>`);
  const dots = points.map((point) => `<circle cx="${x(point.index).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="4" fill="${point.index === values.length - 1 ? '#cf222e' : '#0969da'}"/>`);
  const ticks = [low, (low + high) / 2, high].map((value) => `<text x="${PAD.left - 8}" y="${(y(value) + 4).toFixed(1)}" font-size="12" text-anchor="end">${Number(value.toPrecision(3))}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="24" font-size="15" text-anchor="middle">${escapeXml(`${title} (${unit})`)}</text>`,
    `<line x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}" stroke="#8c959f"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${HEIGHT - PAD.bottom}" stroke="#8c959f"/>`,
    ...ticks,
    `<path d="${path}" fill="none" stroke="#0969da" stroke-width="2"/>`,
    ...dots,
    ...labels,
    '</svg>',
  ].join('\n');
}

/** Writes charts/<target>-<metric>.svg (and .png with sharp); returns the files written. */
export async function writeTrendCharts(reportDir: string, report: Report): Promise<string[]> {
  const charts = report.targets.flatMap((target) =>
    (Object.entries(target.trends) as [MetricName, (number | null)[]][])
      .filter(([, values]) => values.filter((value) => value !== null).length >= 2)
      .map(([metric, values]) => ({ name: `${target.name}-${metric}`, svg: trendSvg(`${target.name}: ${METRIC_INFO[metric].label}`, METRIC_INFO[metric].unit, values) })),
  );
  if (charts.length === 0) return [];
  const dir = join(reportDir, 'charts');
  mkdirSync(dir, { recursive: true });
  const { sharp } = await loadSharp();
  const written: string[] = [];
  for (const chart of charts) {
    writeFileSync(join(dir, `${chart.name}.svg`), chart.svg);
    written.push(`charts/${chart.name}.svg`);
    if (sharp) {
      writeFileSync(join(dir, `${chart.name}.png`), await sharp(Buffer.from(chart.svg)).png().toBuffer());
      written.push(`charts/${chart.name}.png`);
    }
  }
  return written;
}
