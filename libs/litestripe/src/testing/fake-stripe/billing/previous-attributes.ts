/**
 * Stripe's `data.previous_attributes`: the old value of every changed top-level field;
 * for `metadata`, only the changed keys (null for keys that were added).
 */
export function previousAttributes(before: object, after: object): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  const old = before as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  for (const key of new Set([...Object.keys(old), ...Object.keys(now)])) {
    if (JSON.stringify(old[key]) === JSON.stringify(now[key])) continue;
    previous[key] = key === 'metadata' ? metadataChanges(old[key], now[key]) : (old[key] ?? null);
  }
  return previous;
}

function metadataChanges(before: unknown, after: unknown): Record<string, string | null> {
  const old = (before ?? {}) as Record<string, string>;
  const now = (after ?? {}) as Record<string, string>;
  const changes: Record<string, string | null> = {};
  for (const key of new Set([...Object.keys(old), ...Object.keys(now)])) {
    if (old[key] !== now[key]) changes[key] = old[key] ?? null;
  }
  return changes;
}
