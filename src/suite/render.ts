// Renders scenario screens to PNG with sharp, text drawn as outlines of the bundled fonts
// (render/text.ts), so the bytes never depend on the machine that renders them.
import { suiteError } from '../errors.js';
import { loadSharp } from '../sharp.js';
import { loadFonts, textPaths } from '../render/text.js';
import type { FormImage } from './schema.js';

/** The SVG of a form screen: a title, a rule, then label/value rows (the layout of the seed bench). */
export function formSvg(form: FormImage, width: number, height: number): string {
  const fonts = loadFonts();
  const parts = [
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    textPaths(fonts.bold, form.title, 20, 42, 22, '#000000'),
    `<rect x="20" y="54" width="${width - 40}" height="2" fill="#000000"/>`,
  ];
  form.rows.forEach(([label, value], index) => {
    const baseline = 100 + index * 35;
    parts.push(textPaths(fonts.regular, label, 30, baseline, 18, '#000000'));
    if (value) parts.push(textPaths(fonts.regular, value, 280, baseline, 18, '#1f2937'));
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** Rasterizes with sharp, loaded only here: the action runs committed PNGs and never needs it. */
export async function renderFormPng(form: FormImage, width: number, height: number): Promise<Buffer> {
  const loaded = await loadSharp();
  if (!loaded.sharp) {
    throw suiteError(`Rendering images needs the sharp package, which is not installed here (${loaded.reason}). Install model-gate with npm (npm install model-gate) or run from a checkout after npm ci.`);
  }
  const { sharp } = loaded;
  return sharp(Buffer.from(formSvg(form, width, height)), { density: 72 })
    .flatten({ background: '#ffffff' })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer();
}
