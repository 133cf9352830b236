import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { trendSheetSvg, trendSvg, writeTrendCharts } from '../src/report/charts.js';

const trends = {
  detectionRatePct: [100, 80, 60],
  falsePositiveRatePct: [0, 0, 25],
  warmLatencyP50Ms: [812, null, 1204],
  errorRatePct: [null, null, 0], // one point: no chart
};

describe('trend charts', () => {
  it('write one SVG per metric with two or more points and one PNG sheet per target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-charts-'));
    const files = await writeTrendCharts(dir, [{ name: 'vlm', trends }], sharp);
    expect(files.sort()).toEqual([
      'charts/vlm-detectionRatePct.svg',
      'charts/vlm-falsePositiveRatePct.svg',
      'charts/vlm-trends.png',
      'charts/vlm-warmLatencyP50Ms.svg',
    ]);
    expect(readdirSync(join(dir, 'charts')).length).toBe(4);
    const png = readFileSync(join(dir, 'charts', 'vlm-trends.png'));
    // Two panels a row: 2 × 360 wide; a 34 px heading and two rows of 190.
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 720, height: 34 + 2 * 190 });
  });

  it('without sharp, the SVGs alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-charts-'));
    expect(
      (await writeTrendCharts(dir, [{ name: 'vlm', trends }], null)).filter((file) => file.endsWith('.png')),
    ).toEqual([]);
  });

  it('draw the sheet from the bundled font, the same bytes every time', async () => {
    const charts = [{ label: 'Detection rate', unit: '%', values: [100, 80, 60] }];
    const first = await sharp(Buffer.from(trendSheetSvg('vlm', charts)))
      .png()
      .toBuffer();
    const second = await sharp(Buffer.from(trendSheetSvg('vlm', charts)))
      .png()
      .toBuffer();
    expect(first.equals(second)).toBe(true);
    expect(trendSheetSvg('vlm', charts)).not.toContain('<text');
  });

  it('colour the current point by its verdict, and like the line when nothing changed', async () => {
    const nowFill = (svg: string) =>
      [...svg.matchAll(/<circle [^>]*fill="(#[0-9a-f]{6})"/g)].map((match) => match[1]).at(-1);
    expect(nowFill(trendSvg('p50', 'ms', [100, 101, 99], 'within-noise'))).toBe('#0969da');
    expect(nowFill(trendSvg('p50', 'ms', [100, 101, 99]))).toBe('#0969da');
    expect(nowFill(trendSvg('p50', 'ms', [100, 101, 160], 'regressed'))).toBe('#cf222e');
    expect(nowFill(trendSvg('p50', 'ms', [100, 101, 130], 'inconclusive'))).toBe('#bf8700');
    expect(nowFill(trendSvg('p50', 'ms', [100, 101, 70], 'improved'))).toBe('#1a7f37');
    // The files a run writes take each metric's status.
    const dir = mkdtempSync(join(tmpdir(), 'model-gate-charts-'));
    await writeTrendCharts(dir, [{ name: 'vlm', trends }], null, (_target, metric) =>
      metric === 'detectionRatePct' ? 'regressed' : 'within-noise',
    );
    expect(nowFill(readFileSync(join(dir, 'charts', 'vlm-detectionRatePct.svg'), 'utf8'))).toBe('#cf222e');
    expect(nowFill(readFileSync(join(dir, 'charts', 'vlm-warmLatencyP50Ms.svg'), 'utf8'))).toBe('#0969da');
  });

  it('keep a percentage axis within 0..100 and escape text', () => {
    const svg = trendSvg('a<b', '%', [0, 0, 25]);
    const ticks = [...svg.matchAll(/text-anchor="end" fill="#1f2328">([^<]+)</g)].map((match) => Number(match[1]));
    expect(Math.min(...ticks)).toBe(0);
    expect(svg).toContain('<title>a&#60;b (%)</title>');
  });
});
