// sharp, loaded only when an image is to be made. ncc cannot bundle it, so the action ships without
// it: callers get null there and decide what that means (an error for rendering, no PNG for charts).
import type sharpModule from 'sharp';

export type Sharp = typeof sharpModule;

export async function loadSharp(): Promise<{ sharp: Sharp } | { sharp: null; reason: string }> {
  try {
    // webpackIgnore keeps this a lazy import in the bundle instead of a static one at load time.
    return { sharp: (await import(/* webpackIgnore: true */ 'sharp')).default };
  } catch (error) {
    return { sharp: null, reason: (error as Error).message.split('\n')[0] ?? 'not installed' };
  }
}
