// Text drawn as vector outlines of the bundled DejaVu fonts: images made from these SVGs look the
// same, byte for byte, on every machine, whatever fonts or fontconfig it has (a runner without
// fonts would otherwise draw empty boxes), and rasterizing outlines skips librsvg's text layout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fontkit from 'fontkit';
import { fontsDir } from '../suite/resources.js';

export interface Fonts {
  regular: fontkit.Font;
  bold: fontkit.Font;
}

let cachedFonts: Fonts | undefined;

export function loadFonts(): Fonts {
  cachedFonts ??= {
    regular: fontkit.create(readFileSync(join(fontsDir(), 'DejaVuSans.ttf'))),
    bold: fontkit.create(readFileSync(join(fontsDir(), 'DejaVuSans-Bold.ttf'))),
  };
  return cachedFonts;
}

export type TextAnchor = 'start' | 'middle' | 'end';

/** One glyph outline placed with its origin at (x, y), font units scaled and flipped to SVG's y-down. */
const placedGlyph = (data: string, x: string, y: string, scale: number) => `<path transform="translate(${x} ${y}) scale(${scale.toFixed(6)} ${(-scale).toFixed(6)})" d="${data}"/>`;

/** SVG paths for one shaped line of text with its baseline at (x, y). Fixed decimals keep output stable. */
export function textPaths(font: fontkit.Font, text: string, x: number, y: number, sizePx: number, fill: string): string {
  const scale = sizePx / font.unitsPerEm;
  const run = font.layout(text);
  let penX = x;
  const paths: string[] = [];
  run.glyphs.forEach((glyph, index) => {
    const position = run.positions[index]!;
    const data = glyph.path.toSVG();
    if (data) paths.push(placedGlyph(data, (penX + position.xOffset * scale).toFixed(3), (y - position.yOffset * scale).toFixed(3), scale));
    penX += position.xAdvance * scale;
  });
  return `<g fill="${fill}">${paths.join('')}</g>`;
}

const glyphOutlines = new WeakMap<fontkit.Font, Map<number, string>>();

/**
 * Like textPaths for labels: glyphs straight from the character map with their advance widths, no
 * shaping (no kerning or ligatures, invisible at label sizes), each outline converted once per process.
 * Full shaping costs about 0.3 ms a string, which a chart sheet with dozens of labels would pay per run.
 */
export function labelPaths(font: fontkit.Font, text: string, x: number, y: number, sizePx: number, fill: string, anchor: TextAnchor = 'start'): string {
  const scale = sizePx / font.unitsPerEm;
  const glyphs = font.glyphsForString(text);
  const width = glyphs.reduce((sum, glyph) => sum + glyph.advanceWidth, 0) * scale;
  let outlines = glyphOutlines.get(font);
  if (!outlines) glyphOutlines.set(font, (outlines = new Map()));
  let penX = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  const paths: string[] = [];
  for (const glyph of glyphs) {
    let data = outlines.get(glyph.id);
    if (data === undefined) outlines.set(glyph.id, (data = glyph.path.toSVG()));
    if (data) paths.push(placedGlyph(data, penX.toFixed(2), y.toFixed(2), scale));
    penX += glyph.advanceWidth * scale;
  }
  return `<g fill="${fill}">${paths.join('')}</g>`;
}
