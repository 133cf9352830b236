// Renders the contact sheets in docs/: every hand-written image of every built-in suite
// (suites-contact-sheet.png), and every record of safety-checks at size standard
// (safety-checks-standard-sheet.png), scaled down and labelled, so a change to a suite's screens
// can be looked at in one picture.
import { writeFileSync } from 'node:fs';
import { labelPaths, loadFonts } from '../src/render/text.js';
import { loadSharp } from '../src/lib/sharp.js';
import { builtinSuiteIds, loadBuiltinSmokeSuite, loadSuite } from '../src/suite/load.js';

const GAP = 12;
const LABEL_HEIGHT = 28;

const loaded = await loadSharp();
if (!loaded.sharp) throw new Error('sharp is needed to draw the contact sheet');
const sharp = loaded.sharp;
const fonts = loadFonts();

async function drawSheet(
  file: string,
  images: { label: string; bytes: Buffer }[],
  layout: { thumbWidth: number; columns: number; fontSize: number },
): Promise<void> {
  const { thumbWidth, columns, fontSize } = layout;
  const tiles: { label: string; png: Buffer; height: number }[] = [];
  for (const image of images) {
    const png = await sharp(image.bytes).resize({ width: thumbWidth }).png().toBuffer();
    const { height } = await sharp(png).metadata();
    tiles.push({ label: image.label, png, height });
  }
  const cellHeight = Math.max(...tiles.map((tile) => tile.height)) + LABEL_HEIGHT;
  const width = columns * (thumbWidth + GAP) + GAP;
  const height = Math.ceil(tiles.length / columns) * (cellHeight + GAP) + GAP;
  const at = (index: number) => ({
    left: GAP + (index % columns) * (thumbWidth + GAP),
    top: GAP + Math.floor(index / columns) * (cellHeight + GAP),
  });
  const labels = tiles.map((tile, index) =>
    labelPaths(fonts.regular, tile.label, at(index).left, at(index).top + tile.height + 18, fontSize, '#111827'),
  );
  const frame = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#e5e7eb"/>${labels.join('')}</svg>`,
  );
  const sheet = await sharp(frame)
    .composite(tiles.map((tile, index) => ({ input: tile.png, ...at(index) })))
    .png({ compressionLevel: 9 })
    .toBuffer();
  writeFileSync(file, sheet);
  console.log(`${file}: ${tiles.length} images, ${width}x${height}`);
}

const handWritten = builtinSuiteIds().flatMap((id) =>
  loadBuiltinSmokeSuite(id).scenarios.flatMap((scenario) =>
    scenario.image ? [{ label: `${id} / ${scenario.id}`, bytes: scenario.image.bytes }] : [],
  ),
);
await drawSheet('docs/suites-contact-sheet.png', handWritten, { thumbWidth: 320, columns: 4, fontSize: 12 });

const standard = await loadSuite('safety-checks', 'standard');
await drawSheet(
  'docs/safety-checks-standard-sheet.png',
  standard.scenarios.map((scenario) => ({
    label: scenario.id.replace(/^record-/, ''),
    bytes: scenario.image?.bytes ?? Buffer.alloc(0),
  })),
  { thumbWidth: 200, columns: 12, fontSize: 9 },
);
