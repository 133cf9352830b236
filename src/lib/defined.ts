// An invariant the types cannot see (an array's first issue, a map filled just before): checked at
// run time, so that a broken invariant fails with its name instead of a TypeError further on.
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`Internal error: ${what} is missing.`);
  return value;
}
