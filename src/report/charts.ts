// Trend charts for the report folder: one SVG per gated metric and target (viewable from the
// artifact in any browser) and, per target, one PNG sheet with every gated metric's trend, rendered
// with sharp (shipped in dist/node_modules for linux-x64 and linux-arm64; on another platform
// without sharp, the SVGs alone). The PNG's text is drawn as outlines of the bundled font, so it
// looks the same on every runner; one sheet instead of a PNG per metric keeps the rasterizing,
// the costly part, to one image per target.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS, type MetricName } from '../metric-catalog.js';
import { labelOutline, loadFonts, type TextAnchor } from '../render/text.js';
import type { Sharp } from '../lib/sharp.js';
import type { Report } from './report.js';
import type { MetricStatus } from '../gate/rules.js';

const INK = '#1f2328';
const AXIS = '#8c959f';
const LINE = '#0969da';
/** The current point's colour says its verdict: red regressed, amber inconclusive, green improved, else the line's. */
const NOW_BY_STATUS: Partial<Record<MetricStatus, string>> = {
  regressed: '#cf222e',
  inconclusive: '#bf8700',
  improved: '#1a7f37',
};
const nowColour = (status: MetricStatus | undefined) => (status ? (NOW_BY_STATUS[status] ?? LINE) : LINE);
const escapeXml = (text: string) => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

type DrawText = (text: string, x: number, y: number, sizePx: number, anchor: TextAnchor) => string;

const svgText: DrawText = (text, x, y, sizePx, anchor) =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${sizePx}" text-anchor="${anchor}" fill="${INK}">${escapeXml(text)}</text>`;

function outlineText(bold = false): DrawText {
  const fonts = loadFonts();
  return (text, x, y, sizePx, anchor) =>
    labelOutline(bold ? fonts.bold : fonts.regular, text, x, y, sizePx, INK, anchor);
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One metric's trend in a box: title, axes, three ticks, the line, b-N labels and `now` last. */
function trendPanel(
  draw: DrawText,
  title: string,
  unit: string,
  values: readonly (number | null)[],
  box: Box,
  fontPx: number,
  status?: MetricStatus,
): string[] {
  const pad = { left: 6 * fontPx, right: 3 * fontPx, top: 3 * fontPx, bottom: 3 * fontPx };
  const points = values
    .map((value, index) => ({ index, value }))
    .filter((point): point is { index: number; value: number } => point.value !== null);
  const max = Math.max(...points.map((point) => point.value), 0);
  const min = Math.min(...points.map((point) => point.value), max);
  const span = max - min || Math.max(1, Math.abs(max) * 0.1);
  // A percentage axis stays within 0..100.
  const low = unit === '%' ? Math.max(0, min - span * 0.1) : min - span * 0.1;
  const high = unit === '%' ? Math.min(100, max + span * 0.1) : max + span * 0.1;
  const left = box.x + pad.left;
  const right = box.x + box.width - pad.right;
  const top = box.y + pad.top;
  const bottom = box.y + box.height - pad.bottom;
  const x = (index: number) => left + (values.length === 1 ? 0 : (index / (values.length - 1)) * (right - left));
  const y = (value: number) => top + (1 - (value - low) / (high - low)) * (bottom - top);
  const path = points
    .map((point, order) => `${order === 0 ? 'M' : 'L'}${x(point.index).toFixed(1)},${y(point.value).toFixed(1)}`)
    .join(' ');
  return [
    draw(`${title} (${unit})`, box.x + box.width / 2, box.y + 2 * fontPx, fontPx + 2, 'middle'),
    `<path d="M${left},${top}V${bottom}H${right}" fill="none" stroke="${AXIS}"/>`,
    ...[low, (low + high) / 2, high].map((value) =>
      draw(String(Number(value.toPrecision(3))), left - 8, y(value) + fontPx / 3, fontPx, 'end'),
    ),
    `<path d="${path}" fill="none" stroke="${LINE}" stroke-width="2"/>`,
    ...points.map(
      (point) =>
        `<circle cx="${x(point.index).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="4" fill="${point.index === values.length - 1 ? nowColour(status) : LINE}"/>`,
    ),
    ...values.map((_, index) =>
      draw(
        index === values.length - 1 ? 'now' : `b${index - values.length + 1}`,
        x(index),
        bottom + 1.5 * fontPx,
        fontPx,
        'middle',
      ),
    ),
  ];
}

const svgDocument = (width: number, height: number, title: string, parts: readonly string[]) =>
  [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
  ].join('\n');

/** One metric's chart, with real text (selectable, scalable) for browsers. */
export function trendSvg(
  title: string,
  unit: string,
  values: readonly (number | null)[],
  status?: MetricStatus,
): string {
  return svgDocument(
    640,
    320,
    `${title} (${unit})`,
    trendPanel(svgText, title, unit, values, { x: 0, y: 0, width: 640, height: 320 }, 12, status),
  );
}

const SHEET_PANEL = { width: 360, height: 190 };

/** Every charted metric of one target on one sheet, two panels a row, text as font outlines. */
export function trendSheetSvg(
  targetName: string,
  charts: readonly { label: string; unit: string; values: readonly (number | null)[]; status?: MetricStatus }[],
): string {
  const columns = Math.min(2, charts.length);
  const header = 34;
  const width = columns * SHEET_PANEL.width;
  const height = header + Math.ceil(charts.length / columns) * SHEET_PANEL.height;
  const regular = outlineText();
  const title = `${targetName}: trends`;
  const panels = charts.flatMap((chart, index) =>
    trendPanel(
      regular,
      chart.label,
      chart.unit,
      chart.values,
      {
        x: (index % columns) * SHEET_PANEL.width,
        y: header + Math.floor(index / columns) * SHEET_PANEL.height,
        ...SHEET_PANEL,
      },
      11,
      chart.status,
    ),
  );
  return svgDocument(width, height, title, [outlineText(true)(title, width / 2, 22, 14, 'middle'), ...panels]);
}

/**
 * Writes charts/<target>-<metric>.svg now and, given sharp, starts rendering charts/<target>-trends.png
 * on libuv's thread pool, so the caller can write its other files meanwhile; the promise lists the files.
 */
export function writeTrendCharts(
  reportDir: string,
  trends: readonly Pick<Report['targets'][number], 'name' | 'trends'>[],
  sharp: Sharp | null,
  statusOf: (target: string, metric: MetricName) => MetricStatus | undefined = () => undefined,
): Promise<string[]> {
  try {
    const targets = trends
      .map((target) => ({
        name: target.name,
        charts: (Object.entries(target.trends) as [MetricName, (number | null)[]][])
          .filter(([, values]) => values.filter((value) => value !== null).length >= 2)
          .map(([metric, values]) => ({ metric, ...METRICS[metric], values, status: statusOf(target.name, metric) })),
      }))
      .filter((target) => target.charts.length > 0);
    if (targets.length === 0) return Promise.resolve([]);
    const dir = join(reportDir, 'charts');
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    const rendering: Promise<string>[] = [];
    // The PNG sheets first: they rasterize on libuv's threads while this one writes the SVGs.
    if (sharp) {
      for (const target of targets) {
        const file = `${target.name}-trends.png`;
        rendering.push(
          sharp(Buffer.from(trendSheetSvg(target.name, target.charts)))
            // Fast deflate: a third quicker than the default for a file of about 45 KB instead of 27 KB.
            .png({ compressionLevel: 1 })
            .toBuffer()
            .then((png) => {
              writeFileSync(join(dir, file), png);
              return `charts/${file}`;
            }),
        );
      }
    }
    for (const target of targets) {
      for (const chart of target.charts) {
        const file = `${target.name}-${chart.metric}.svg`;
        writeFileSync(
          join(dir, file),
          trendSvg(`${target.name}: ${chart.label}`, chart.unit, chart.values, chart.status),
        );
        written.push(`charts/${file}`);
      }
    }
    return Promise.all(rendering).then((pngs) => [...written, ...pngs]);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
