// Renders every scenario image of a suite definition (used by the build script and `render --fresh`).
import type { SuiteFile } from './schema.js';
import { renderFormPng } from './render.js';

export async function renderSuiteImages(definition: SuiteFile): Promise<Map<string, Buffer>> {
  const images = new Map<string, Buffer>();
  for (const scenario of definition.scenarios) {
    images.set(scenario.id, await renderFormPng(scenario.form, definition.image.width, definition.image.height));
  }
  return images;
}
