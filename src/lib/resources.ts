// Finds the files that ship with model-gate (built-in suites, fonts) from wherever the code runs:
// src/ under ts-jest or tsx, dist/index.js in the action, dist/cli/index.js from an npm install.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findUpwards(marker: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5; level += 1) {
    if (existsSync(join(dir, marker))) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

export function builtinSuitesDir(): string {
  const root = findUpwards(join('suites', 'catalog.json'));
  if (!root)
    throw new Error(
      'The built-in suites folder (suites/catalog.json) is missing from this installation; reinstall model-gate.',
    );
  return join(root, 'suites');
}

export function fontsDir(): string {
  const root = findUpwards(join('assets', 'fonts', 'DejaVuSans.ttf'));
  if (!root)
    throw new Error('The bundled fonts (assets/fonts) are missing from this installation; reinstall model-gate.');
  return join(root, 'assets', 'fonts');
}
