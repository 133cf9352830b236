// Text drawn as vector outlines of the bundled DejaVu fonts: images made from these SVGs look the
// same, byte for byte, on every machine, whatever fonts or fontconfig it has (a runner without
// fonts would otherwise draw empty boxes), and rasterizing outlines skips librsvg's text layout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fontkit from 'fontkit';
import { fontsDir } from '../lib/resources.js';

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
const placedGlyph = (data: string, x: string, y: string, scale: number) =>
  `<path transform="translate(${x} ${y}) scale(${scale.toFixed(6)} ${(-scale).toFixed(6)})" d="${data}"/>`;

/** SVG paths for one shaped line of text with its baseline at (x, y). Fixed decimals keep output stable. */
export function textPaths(
  font: fontkit.Font,
  text: string,
  x: number,
  y: number,
  sizePx: number,
  fill: string,
): string {
  const scale = sizePx / font.unitsPerEm;
  const run = font.layout(text);
  let penX = x;
  const paths: string[] = [];
  run.glyphs.forEach((glyph, index) => {
    const position = run.positions[index]!;
    const data = glyph.path.toSVG();
    if (data)
      paths.push(
        placedGlyph(
          data,
          (penX + position.xOffset * scale).toFixed(3),
          (y - position.yOffset * scale).toFixed(3),
          scale,
        ),
      );
    penX += position.xAdvance * scale;
  });
  return `<g fill="${fill}">${paths.join('')}</g>`;
}

const glyphOutlines = new WeakMap<fontkit.Font, Map<number, string>>();

/** The glyphs of a label straight from the character map, each with its pen position, the label anchored at x. */
function unshapedLabel(
  font: fontkit.Font,
  text: string,
  x: number,
  scale: number,
  anchor: TextAnchor,
): { glyph: fontkit.Glyph; penX: number }[] {
  const glyphs = font.glyphsForString(text);
  const width = glyphs.reduce((sum, glyph) => sum + glyph.advanceWidth, 0) * scale;
  let penX = anchor === 'start' ? x : anchor === 'middle' ? x - width / 2 : x - width;
  return glyphs.map((glyph) => {
    const placed = { glyph, penX };
    penX += glyph.advanceWidth * scale;
    return placed;
  });
}

/** A per-font cache, made on first use. */
function cacheFor<K, V>(caches: WeakMap<fontkit.Font, Map<K, V>>, font: fontkit.Font): Map<K, V> {
  let cache = caches.get(font);
  if (!cache) caches.set(font, (cache = new Map<K, V>()));
  return cache;
}

/**
 * Like textPaths for labels: glyphs straight from the character map with their advance widths, no
 * shaping (no kerning or ligatures, invisible at label sizes), each outline converted once per process.
 * Full shaping costs about 0.3 ms a string, which a chart sheet with dozens of labels would pay per run.
 */
export function labelPaths(
  font: fontkit.Font,
  text: string,
  x: number,
  y: number,
  sizePx: number,
  fill: string,
  anchor: TextAnchor = 'start',
): string {
  const scale = sizePx / font.unitsPerEm;
  const outlines = cacheFor(glyphOutlines, font);
  const paths: string[] = [];
  for (const { glyph, penX } of unshapedLabel(font, text, x, scale, anchor)) {
    let data = outlines.get(glyph.id);
    if (data === undefined) outlines.set(glyph.id, (data = glyph.path.toSVG()));
    if (data) paths.push(placedGlyph(data, penX.toFixed(2), y.toFixed(2), scale));
  }
  return `<g fill="${fill}">${paths.join('')}</g>`;
}

// Glyph outlines in pixels at one size, as relative path commands from the glyph's origin, in
// whole hundredths of a pixel (the deltas of rounded points, so no error adds up along an outline).
const relativeOutlines = new WeakMap<fontkit.Font, Map<string, string>>();

function relativeOutline(glyph: fontkit.Glyph, scale: number): string {
  const at = (value: number) => Math.round(value * scale * 100);
  let current = { x: 0, y: 0 };
  let start = current;
  const parts: string[] = [];
  for (const { command, args } of glyph.path.commands) {
    if (command === 'closePath') {
      parts.push('z');
      current = start;
      continue;
    }
    const points: { x: number; y: number }[] = [];
    for (let index = 0; index + 1 < args.length; index += 2)
      points.push({ x: at(args[index]!), y: -at(args[index + 1]!) });
    const letter = command === 'moveTo' ? 'm' : command === 'lineTo' ? 'l' : command === 'quadraticCurveTo' ? 'q' : 'c';
    parts.push(
      letter + points.map((point) => `${(point.x - current.x) / 100} ${(point.y - current.y) / 100}`).join(' '),
    );
    current = points[points.length - 1]!;
    if (command === 'moveTo') start = current;
  }
  return parts.join('');
}

/**
 * A label as one <path>: every glyph's outline in pixel coordinates, each converted once per
 * process and size. For charts, rasterized on every run: librsvg pays per element and per
 * transform, so one element per label rasterizes about 15 % faster than a <path> per glyph.
 */
export function labelOutline(
  font: fontkit.Font,
  text: string,
  x: number,
  y: number,
  sizePx: number,
  fill: string,
  anchor: TextAnchor = 'start',
): string {
  const scale = sizePx / font.unitsPerEm;
  const outlines = cacheFor(relativeOutlines, font);
  let data = '';
  for (const { glyph, penX } of unshapedLabel(font, text, x, scale, anchor)) {
    const key = `${sizePx}:${glyph.id}`;
    let outline = outlines.get(key);
    if (outline === undefined) outlines.set(key, (outline = relativeOutline(glyph, scale)));
    if (outline) data += `M${penX.toFixed(2)} ${y.toFixed(2)}${outline}`;
  }
  return data ? `<path fill="${fill}" d="${data}"/>` : '';
}
