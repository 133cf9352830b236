// sharp, loaded only when an image is to be made. ncc cannot bundle it: the bundle keeps the import
// external and scripts/bundle.mjs ships sharp with its linux-x64 and linux-arm64 libvips in
// dist/node_modules. Where it still cannot load (another platform), callers get null and decide
// what that means (an error for rendering, no PNG for charts).
import type sharpModule from 'sharp';

export type Sharp = typeof sharpModule;

let loading: Promise<{ sharp: Sharp } | { sharp: null; reason: string }> | undefined;

/** Loads once per process; later calls share the answer (no module resolution per run). */
export function loadSharp(): Promise<{ sharp: Sharp } | { sharp: null; reason: string }> {
  loading ??= (async () => {
    try {
      // webpackIgnore keeps this a lazy import in the bundle instead of a static one at load time.
      return { sharp: (await import(/* webpackIgnore: true */ 'sharp')).default };
    } catch (error) {
      return { sharp: null, reason: (error as Error).message.split('\n')[0] ?? 'not installed' };
    }
  })();
  return loading;
}
