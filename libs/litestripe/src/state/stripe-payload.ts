/**
 * Readers for Stripe objects as they arrive in webhooks, in any API version. Payloads are typed
 * loosely on purpose: the endpoint's API version may be older than the installed types.
 */
import { PayloadRangeError } from '../errors/payload-range.error.js';

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

/** The last second of year 9999: later than any Stripe timestamp, and within what PostgreSQL stores. */
const MAX_TIMESTAMP = 253402300799;

/** A number, or null for anything else; `field` names it when it is out of range. */
export function numberOf(value: unknown, field = 'a number'): number | null {
  if (typeof value !== 'number') return null;
  if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) throw new PayloadRangeError(`${field} is out of range (${value})`);
  return value;
}

/** Stripe timestamps are unix seconds. */
export function timestampOf(value: unknown, field = 'a timestamp'): number | null {
  const seconds = numberOf(value, field);
  if (seconds !== null && (seconds < 0 || seconds > MAX_TIMESTAMP)) throw new PayloadRangeError(`${field} is out of range (${seconds})`);
  return seconds;
}

export function dateOf(value: unknown, field = 'a timestamp'): Date | null {
  const seconds = timestampOf(value, field);
  return seconds === null ? null : new Date(seconds * 1000);
}

export function stringRecordOf(value: unknown): Record<string, string> {
  const record = objectOf(value) ?? {};
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * The subscription of an invoice, in either shape: since API version 2025-03-31
 * `parent.subscription_details.subscription`, before it the top-level `subscription`; either may be
 * expanded. Typed loosely so that a webhook payload and a `Stripe.Invoice` alike can be read.
 */
export function invoiceSubscriptionId(invoice: object): string | null {
  const payload = invoice as StripePayload;
  const details = objectOf(objectOf(payload.parent)?.subscription_details);
  return idOf(details?.subscription) ?? idOf(payload.subscription);
}

/** `data` of a Stripe list object (`{ object: 'list', data: [...] }`). */
export function listOf(value: unknown): StripePayload[] {
  const data = objectOf(value)?.data;
  return Array.isArray(data) ? data.filter((item): item is StripePayload => objectOf(item) !== null) : [];
}
