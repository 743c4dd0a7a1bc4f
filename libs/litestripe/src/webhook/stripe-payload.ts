/**
 * Readers for Stripe objects as they arrive in webhooks, in any API version. Payloads are typed
 * loosely on purpose: the endpoint's API version may be older than the installed types.
 */
export type StripePayload = Record<string, unknown>;

export function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as StripePayload).id === 'string') return (value as StripePayload).id as string;
  return null;
}

export function objectOf(value: unknown): StripePayload | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as StripePayload) : null;
}

export function stringOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Stripe timestamps are unix seconds. */
export function dateOf(value: unknown): Date | null {
  const seconds = numberOf(value);
  return seconds === null ? null : new Date(seconds * 1000);
}

export function stringRecordOf(value: unknown): Record<string, string> {
  const record = objectOf(value) ?? {};
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** `data` of a Stripe list object (`{ object: 'list', data: [...] }`). */
export function listOf(value: unknown): StripePayload[] {
  const data = objectOf(value)?.data;
  return Array.isArray(data) ? data.filter((item): item is StripePayload => objectOf(item) !== null) : [];
}
