// Renders scenario screens to PNG with sharp, text drawn as outlines of the bundled fonts
// (render/text.ts), so the bytes never depend on the machine that renders them.
import { suiteError } from '../lib/errors.js';
import { loadSharp } from '../lib/sharp.js';
import { labelPaths, loadFonts, textPaths } from '../render/text.js';
import type { CanvasImage, FormImage, Raster, ScenarioDefinition, SlideImage } from './schema.js';
import { defined } from '../lib/defined.js';

const svgDocument = (width: number, height: number, parts: string[]) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;

/** The SVG of a form screen: a title, a rule, then label/value rows (the layout of the seed bench). */
export function formSvg(form: FormImage, width: number, height: number): string {
  const fonts = loadFonts();
  const titleSize = form['title-size'];
  const ruleY = titleSize + 32;
  const parts = [
    `<rect width="${width}" height="${height}" fill="${form.background}"/>`,
    textPaths(fonts.bold, form.title, 20, titleSize + 20, titleSize, form.ink),
    `<rect x="20" y="${ruleY}" width="${width - 40}" height="2" fill="${form.ink}"/>`,
  ];
  form.rows.forEach(([label, value], index) => {
    const baseline = ruleY + 46 + index * form['row-height'];
    parts.push(textPaths(fonts.regular, label, 30, baseline, form['font-size'], form.ink));
    if (value) parts.push(textPaths(fonts.regular, value, form['value-x'], baseline, form['font-size'], '#1f2937'));
  });
  return svgDocument(width, height, parts);
}

type Box = SlideImage['boxes'][number];

/** Where the segment from a box's centre towards (x, y) leaves the box. */
function boxEdge(box: Box, towardsX: number, towardsY: number): [number, number] {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const dx = towardsX - cx;
  const dy = towardsY - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const scale = Math.min(
    dx === 0 ? Infinity : box.width / 2 / Math.abs(dx),
    dy === 0 ? Infinity : box.height / 2 / Math.abs(dy),
  );
  return [cx + dx * scale, cy + dy * scale];
}

const fixed = (value: number) => value.toFixed(2);

/** A slide: title bar, bullet lines, then a diagram of labelled boxes joined by labelled arrows. */
export function slideSvg(slide: SlideImage, width: number, height: number): string {
  const fonts = loadFonts();
  const size = slide['font-size'];
  const parts = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<rect width="${width}" height="64" fill="#0b3d91"/>`,
    textPaths(fonts.bold, slide.title, 28, 43, 26, '#ffffff'),
  ];
  slide.bullets.forEach((bullet, index) => {
    parts.push(textPaths(fonts.regular, `• ${bullet}`, 36, 100 + index * size * 1.6, size, '#111827'));
  });
  const boxes = new Map(slide.boxes.map((box) => [box.id, box]));
  for (const arrow of slide.arrows) {
    const from = defined(boxes.get(arrow.from), `box ${arrow.from}`);
    const to = defined(boxes.get(arrow.to), `box ${arrow.to}`);
    const [x1, y1] = boxEdge(from, to.x + to.width / 2, to.y + to.height / 2);
    const [x2, y2] = boxEdge(to, from.x + from.width / 2, from.y + from.height / 2);
    const angle = Math.atan2(y2 - y1, x2 - x1);
    const head = 10;
    const left: [number, number] = [x2 - head * Math.cos(angle - 0.4), y2 - head * Math.sin(angle - 0.4)];
    const right: [number, number] = [x2 - head * Math.cos(angle + 0.4), y2 - head * Math.sin(angle + 0.4)];
    parts.push(
      `<line x1="${fixed(x1)}" y1="${fixed(y1)}" x2="${fixed(x2)}" y2="${fixed(y2)}" stroke="#374151" stroke-width="2"/>`,
    );
    parts.push(
      `<polygon points="${fixed(x2)},${fixed(y2)} ${fixed(left[0])},${fixed(left[1])} ${fixed(right[0])},${fixed(right[1])}" fill="#374151"/>`,
    );
    if (arrow.label) {
      const labelSize = Math.max(10, size - 4);
      const mx = (x1 + x2) / 2;
      const my = (y1 + y2) / 2;
      const labelWidth = arrow.label.length * labelSize * 0.62 + 8;
      parts.push(
        `<rect x="${fixed(mx - labelWidth / 2)}" y="${fixed(my - labelSize)}" width="${fixed(labelWidth)}" height="${fixed(labelSize * 1.4)}" fill="#ffffff"/>`,
      );
      parts.push(labelPaths(fonts.regular, arrow.label, mx, my + labelSize * 0.3, labelSize, '#6b7280', 'middle'));
    }
  }
  for (const box of slide.boxes) {
    parts.push(
      `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="6" fill="${box.fill ?? '#dbeafe'}" stroke="#1e3a8a" stroke-width="2"/>`,
    );
    parts.push(
      labelPaths(
        fonts.bold,
        box.label,
        box.x + box.width / 2,
        box.y + box.height / 2 + size * 0.35,
        size,
        '#0f172a',
        'middle',
      ),
    );
  }
  return svgDocument(width, height, parts);
}

/** A canvas of shapes centred on known points. */
export function canvasSvg(canvas: CanvasImage, width: number, height: number): string {
  const parts = [`<rect width="${width}" height="${height}" fill="${canvas.background}"/>`];
  for (const shape of canvas.shapes) {
    const half = shape.size / 2;
    if (shape.shape === 'circle')
      parts.push(`<circle cx="${shape.x}" cy="${shape.y}" r="${half}" fill="${shape.color}"/>`);
    else if (shape.shape === 'square')
      parts.push(
        `<rect x="${shape.x - half}" y="${shape.y - half}" width="${shape.size}" height="${shape.size}" fill="${shape.color}"/>`,
      );
    else
      parts.push(
        `<polygon points="${shape.x},${shape.y - half} ${shape.x + half},${shape.y + half} ${shape.x - half},${shape.y + half}" fill="${shape.color}"/>`,
      );
  }
  return svgDocument(width, height, parts);
}

export function scenarioSvg(scenario: ScenarioDefinition, size: { width: number; height: number }): string {
  if (scenario.form) return formSvg(scenario.form, size.width, size.height);
  if (scenario.slide) return slideSvg(scenario.slide, size.width, size.height);
  if (scenario.canvas) return canvasSvg(scenario.canvas, size.width, size.height);
  throw suiteError(`Scenario "${scenario.id}" has no rendered image (form, slide or canvas).`);
}

/** Rasterizes with sharp, loaded only here: the action runs committed PNGs of built-in suites. */
export async function renderSvgPng(svg: string, raster?: Raster): Promise<Buffer> {
  const loaded = await loadSharp();
  if (!loaded.sharp) {
    throw suiteError(
      `Rendering images needs the sharp package, which is not installed here (${loaded.reason}). Install model-gate with npm (npm install model-gate) or run from a checkout after npm ci.`,
    );
  }
  const pngOptions = { compressionLevel: raster?.['png-compression'] ?? 9, adaptiveFiltering: false, palette: false };
  const flat = loaded.sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#ffffff' });
  if (!raster || (raster.scale === 1 && raster['jpeg-quality'] === undefined)) return flat.png(pngOptions).toBuffer();
  let image = loaded.sharp(await flat.png({ compressionLevel: 0 }).toBuffer());
  if (raster.scale !== 1) {
    const { width } = await image.metadata();
    image = image.resize({ width: Math.round(width * raster.scale), kernel: 'lanczos3' });
  }
  const quality = raster['jpeg-quality'];
  return quality === undefined
    ? image.png(pngOptions).toBuffer()
    : image.jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
}

export const renderScenarioImage = (scenario: ScenarioDefinition, size: { width: number; height: number }) =>
  renderSvgPng(scenarioSvg(scenario, size), scenario.raster);
