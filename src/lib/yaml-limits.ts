// Limits on the YAML files model-gate reads (configs and suites), checked before parsing: the
// parser recurses once per nesting level and would fail deep in its stack with a message that
// names neither the file nor the problem. No library offers a depth limit, hence this scan.

/** Deeper than any real config or suite (a JSON Schema of a nested answer is a dozen levels). */
export const MAX_NESTING = 64;

/** The deepest nesting of flow collections ([ ] and { }) outside quoted strings and comments. */
export function flowNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: '"' | "'" | null = null;
  let comment = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charAt(index);
    if (comment) {
      if (char === '\n') comment = false;
      continue;
    }
    if (quote) {
      if (char === '\\' && quote === '"') index += 1;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(text.charAt(index - 1)))) comment = true;
    else if (char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if ((char === ']' || char === '}') && depth > 0) depth -= 1;
  }
  return deepest;
}

/** One sentence when a YAML text is nested too deeply to be a real config or suite, else null. */
export function nestingProblem(text: string): string | null {
  const depth = flowNestingDepth(text);
  return depth > MAX_NESTING
    ? `nests brackets ${depth} levels deep, more than the ${MAX_NESTING} any config or suite needs; it cannot be a real one`
    : null;
}
