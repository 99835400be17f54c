/**
 * Keys that name a member of `Object.prototype`, plus `prototype`. A body or query string using
 * one is never legitimate here, and class-transformer trips over them (`constructor` crashes it,
 * `__proto__` can swap an object's prototype), so they are refused before validation runs.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);

/**
 * The first prototype key found anywhere in `value` (object keys at any depth, inside arrays too),
 * or undefined. Recursive: callers bound the depth first (see `jsonNestingDepth`).
 */
export function findPrototypeKey(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findPrototypeKey(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    if (PROTOTYPE_KEYS.has(key)) return key;
    const found = findPrototypeKey(item);
    if (found !== undefined) return found;
  }
  return undefined;
}
