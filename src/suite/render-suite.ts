// Renders every rendered scenario image of a suite definition (generated scenarios, users' suites,
// the build script and `render --fresh`).
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { isRendered, type SuiteFile } from './schema.js';
import { defined } from '../lib/defined.js';

export async function renderSuiteImages(definition: SuiteFile): Promise<Map<string, Buffer>> {
  // Imported when needed, as load.ts does: the bundler then keeps one shared chunk of the renderer.
  const { renderScenarioImage } = await import('./render.js');
  const toRender = definition.scenarios.filter(isRendered);
  if (toRender.length === 0) return new Map();
  const size = defined(definition.image, "the suite's image size");
  // libvips renders on its own threads; a few images at a time keep every core busy.
  const limit = pLimit(availableParallelism());
  const rendered = await Promise.all(
    toRender.map((scenario) => limit(async () => [scenario.id, await renderScenarioImage(scenario, size)] as const)),
  );
  return new Map(rendered);
}
