// The CLI built from src/ once per test run (jest's globalSetup). A child started from the build
// loads in about a third of the CPU time that tsx takes to compile src/ on every start, and the
// suite starts the CLI over a hundred times: on a loaded 2-core machine that was most of its time.
// Packages stay external, loaded from node_modules as an installed CLI loads them.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Under node_modules/.cache, so that the shipped files (suites/, assets/) are found upwards from it, as from dist/. */
export const CLI_BUILD = join(ROOT, 'node_modules', '.cache', 'model-gate-test', 'cli.mjs');

export default async function buildCli(): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: CLI_BUILD,
    logLevel: 'warning',
  });
}
