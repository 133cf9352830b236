// Renders the built-in suites' hand-written scenarios (their smoke size) into committed PNGs, and
// records the fingerprint of each suite at smoke and standard in suites/catalog.json. The action
// runs the committed PNGs and renders generated scenarios as it loads them; a test checks that both
// fingerprints are current, so a change to a suite or a generator is always deliberate.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  builtinSuiteDefinition,
  builtinSuiteIds,
  expandDefinition,
  loadSuite,
  scenarioImagePath,
} from '../src/suite/load.js';
import { builtinSuitesDir } from '../src/lib/resources.js';
import { renderSuiteImages } from '../src/suite/render-suite.js';

const catalog: Record<string, { smoke: string; standard: string }> = {};
for (const id of builtinSuiteIds()) {
  const { definition, dir } = builtinSuiteDefinition(id);
  const smoke = expandDefinition(definition, 'smoke').definition;
  const images = await renderSuiteImages(smoke);
  mkdirSync(join(dir, 'images'), { recursive: true });
  for (const [scenarioId, bytes] of images) writeFileSync(scenarioImagePath(dir, scenarioId), bytes);
  const [atSmoke, atStandard] = [await loadSuite(id, 'smoke'), await loadSuite(id, 'standard')];
  catalog[id] = { smoke: atSmoke.fingerprint, standard: atStandard.fingerprint };
  console.log(
    `${id}: ${images.size} committed images; smoke ${atSmoke.fingerprint}; standard (${atStandard.scenarios.length} scenarios) ${atStandard.fingerprint}`,
  );
}
writeFileSync(join(builtinSuitesDir(), 'catalog.json'), `${JSON.stringify(catalog, null, 2)}\n`);
