// The few parts of fontkit (no bundled typings) that the suite renderer uses.
declare module 'fontkit' {
  export interface GlyphPath {
    toSVG(): string;
  }
  export interface Glyph {
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
  }
  export function create(buffer: Buffer): Font;
}
