/**
 * What a handler read from a payload, as stored in the inbox's `work` column: JSON, with dates kept
 * as dates (`{"$date": ms}`), so the applier gets back exactly what the webhook read.
 */
export function encodeWork(facts: unknown): string {
  return JSON.stringify(facts, function (this: Record<string, unknown>, key: string, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.getTime() } : value;
  });
}

export function decodeWork(json: string): unknown {
  return JSON.parse(json, (_key, value: unknown) => {
    // Metadata values are strings, so a payload's own {"$date": "..."} is never taken for a date.
    const date = value !== null && typeof value === 'object' && Object.keys(value).length === 1 ? (value as { $date?: unknown }).$date : undefined;
    if (typeof date === 'number') return new Date(date);
    return value;
  });
}
