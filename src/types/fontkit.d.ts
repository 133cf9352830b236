// The few parts of fontkit (no bundled typings) that the renderers use.
declare module 'fontkit' {
  export interface PathCommand {
    command: 'moveTo' | 'lineTo' | 'quadraticCurveTo' | 'bezierCurveTo' | 'closePath';
    args: number[];
  }
  export interface GlyphPath {
    commands: PathCommand[];
    toSVG(): string;
  }
  export interface Glyph {
    id: number;
    advanceWidth: number;
    path: GlyphPath;
  }
  export interface GlyphPosition {
    xAdvance: number;
    yAdvance: number;
    xOffset: number;
    yOffset: number;
  }
  export interface GlyphRun {
    glyphs: Glyph[];
    positions: GlyphPosition[];
  }
  export interface Font {
    unitsPerEm: number;
    layout(text: string): GlyphRun;
    glyphsForString(text: string): Glyph[];
  }
  export function create(buffer: Buffer): Font;
}
