// Renders the built-in suites' images and records their fingerprints in suites/catalog.json.
// The action runs these committed PNGs, so it never needs sharp; a test checks they are current.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleSuite, builtinSuiteDefinition, builtinSuiteIds, scenarioImagePath } from '../src/suite/load.js';
import { builtinSuitesDir } from '../src/lib/resources.js';
import { renderSuiteImages } from '../src/suite/render-suite.js';

const catalog: Record<string, string> = {};
for (const id of builtinSuiteIds()) {
  const { definition, dir } = builtinSuiteDefinition(id);
  const images = await renderSuiteImages(definition);
  mkdirSync(join(dir, 'images'), { recursive: true });
  for (const [scenarioId, bytes] of images) writeFileSync(scenarioImagePath(dir, scenarioId), bytes);
  catalog[id] = assembleSuite(definition, images).fingerprint;
  console.log(`${id}: ${images.size} images, ${catalog[id]}`);
}
writeFileSync(join(builtinSuitesDir(), 'catalog.json'), `${JSON.stringify(catalog, null, 2)}\n`);
