// Renders docs/suites-contact-sheet.png: every image of every built-in suite, scaled down, labelled
// with its suite and scenario, so a change to a suite's screens can be looked at in one picture.
import { writeFileSync } from 'node:fs';
import { labelPaths, loadFonts } from '../src/render/text.js';
import { loadSharp } from '../src/lib/sharp.js';
import { builtinSuiteIds, loadBuiltinSuite } from '../src/suite/load.js';

const THUMB_WIDTH = 320;
const COLUMNS = 4;
const LABEL_HEIGHT = 28;
const GAP = 12;

const { sharp } = await loadSharp();
if (!sharp) throw new Error('sharp is needed to draw the contact sheet');
const fonts = loadFonts();
const tiles: { suite: string; scenario: string; png: Buffer; height: number }[] = [];
for (const id of builtinSuiteIds()) {
  for (const scenario of loadBuiltinSuite(id).scenarios) {
    if (!scenario.image) continue;
    const png = await sharp(scenario.image.bytes).resize({ width: THUMB_WIDTH }).png().toBuffer();
    const { height } = await sharp(png).metadata();
    tiles.push({ suite: id, scenario: scenario.id, png, height });
  }
}
const cellHeight = Math.max(...tiles.map((tile) => tile.height)) + LABEL_HEIGHT;
const rows = Math.ceil(tiles.length / COLUMNS);
const width = COLUMNS * (THUMB_WIDTH + GAP) + GAP;
const height = rows * (cellHeight + GAP) + GAP;
const labels = tiles.map((tile, index) => {
  const x = GAP + (index % COLUMNS) * (THUMB_WIDTH + GAP);
  const y = GAP + Math.floor(index / COLUMNS) * (cellHeight + GAP) + tile.height + 18;
  return labelPaths(fonts.regular, `${tile.suite} / ${tile.scenario}`, x, y, 12, '#111827');
});
const frame = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#e5e7eb"/>${labels.join('')}</svg>`,
);
const sheet = await sharp(frame)
  .composite(
    tiles.map((tile, index) => ({
      input: tile.png,
      left: GAP + (index % COLUMNS) * (THUMB_WIDTH + GAP),
      top: GAP + Math.floor(index / COLUMNS) * (cellHeight + GAP),
    })),
  )
  .png({ compressionLevel: 9 })
  .toBuffer();
writeFileSync('docs/suites-contact-sheet.png', sheet);
console.log(`docs/suites-contact-sheet.png: ${tiles.length} images, ${width}x${height}`);
