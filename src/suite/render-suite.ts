// Renders every rendered scenario image of a suite definition (the build script and `render --fresh`).
import { isRendered } from './load.js';
import type { SuiteFile } from './schema.js';
import { defined } from '../lib/defined.js';

export async function renderSuiteImages(definition: SuiteFile): Promise<Map<string, Buffer>> {
  // Imported when needed, as load.ts does: the bundler then keeps one shared chunk of the renderer.
  const { renderScenarioPng } = await import('./render.js');
  const images = new Map<string, Buffer>();
  for (const scenario of definition.scenarios.filter(isRendered)) {
    images.set(scenario.id, await renderScenarioPng(scenario, defined(definition.image, "the suite's image size")));
  }
  return images;
}
