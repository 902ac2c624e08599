/** Code-unit ordering: the locale-free sort every output order depends on (same on every machine). */

/**
 * Compares two strings by UTF-16 code units (what `<` does), never by locale.
 *
 * @example
 * ['b', 'B', 'a'].sort(compareCodeUnits); // ['B', 'a', 'b']
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A copy of `record` with its keys in code-unit order (JSON output that does not depend on insertion order).
 *
 * @example
 * Object.keys(sortKeys({ b: 1, a: 2 })); // ['a', 'b']
 */
export function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareCodeUnits(a, b)));
}
