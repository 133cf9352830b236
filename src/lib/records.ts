// Objects keyed by outside names (scenario ids, score names come from suites and baseline files):
// without a prototype, a key such as "constructor" or "__proto__" is just a key.

export function keyedRecord<T>(entries?: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}
