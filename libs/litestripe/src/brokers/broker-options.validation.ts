import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import { BROKER_NAME } from '../config/brokers-options.validator.js';
/** setTimeout's ceiling: a longer delay fires at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Default bound on one publish's confirmation, in milliseconds. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;
/** Default bound on opening the connection, in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function fail(option: string, problem: string, remedy: string): never {
  throw new LitestripeConfigError(option, problem, remedy);
}

/** The options object itself, refusing keys it does not know (a typo would otherwise be ignored). */
export function optionsObject(raw: unknown, owner: string, known: readonly string[], remedy = `Call ${owner}({ ... }) with the required options.`): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(owner, 'must be an object', remedy);
  const unknown = Object.keys(raw).find((key) => !known.includes(key));
  if (unknown !== undefined) fail(`${owner}.${unknown}`, 'is not an option', `Known: ${known.join(', ')}.`);
  return raw as Record<string, unknown>;
}

/** The broker's name; `fallback` is the default, or null when the name is required. */
export function brokerName(value: unknown, fallback: string | null, option: string): string {
  const remedy = `The outbox keeps its delivered marks under it${fallback === null ? '' : `; leave it out for '${fallback}'`}.`;
  if (value === undefined && fallback !== null) return fallback;
  if (typeof value !== 'string' || !BROKER_NAME.test(value)) {
    fail(option, `must be 1-40 of a-z, 0-9, '-' and '_', starting with a letter or digit (got ${JSON.stringify(value) ?? 'nothing'})`, remedy);
  }
  return value;
}

export function milliseconds(value: unknown, fallback: number, option: string, minimum = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > MAX_TIMEOUT_MS) {
    fail(option, `must be a whole number of milliseconds from ${minimum} to ${MAX_TIMEOUT_MS} (got ${JSON.stringify(value)})`, `Leave it out for ${fallback}.`);
  }
  return value;
}

/** A non-empty list of non-empty strings (one string is a list of one). Entries are not echoed: URLs carry passwords. */
export function stringList(value: unknown, option: string, remedy: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((entry) => typeof entry === 'string' && entry.trim() !== '')) {
    fail(option, 'must be a non-empty list of non-empty strings', remedy);
  }
  return list as string[];
}

export function plainObject<T>(value: unknown, option: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(option, 'must be an object', 'Leave it out for the defaults.');
  }
  return value as T;
}
