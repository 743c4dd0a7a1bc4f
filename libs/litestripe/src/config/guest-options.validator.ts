import { LitestripeConfigError } from '../errors/litestripe-config.error.js';
import type { GuestOptions } from './guest-options.interface.js';
import { defaultGuestClientKey, GUEST_DEFAULTS, ResolvedGuestOptions } from './guest-options.js';

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const KNOWN = ['tokenFrom', 'tokenTtlDays', 'tokenAttempts', 'clientKey'];
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** Checks the `guests` option and fills in defaults. */
export function resolveGuestOptions(raw: GuestOptions | undefined): ResolvedGuestOptions {
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    fail('guests', 'must be an object', "Write guests: { tokenFrom: { header: 'x-guest-token' } }, or leave it out.");
  }
  const given = raw ?? {};
  const unknown = Object.keys(given).find((key) => !KNOWN.includes(key));
  if (unknown) fail(`guests.${unknown}`, 'is not an option', `Known: ${KNOWN.join(', ')}.`);
  return {
    tokenFrom: tokenSource(given.tokenFrom),
    tokenTtlDays: ttl(given.tokenTtlDays),
    tokenAttempts: attempts(given.tokenAttempts),
    clientKey: clientKey(given.clientKey),
  };
}

function tokenSource(value: unknown): ResolvedGuestOptions['tokenFrom'] {
  if (value === undefined) return null;
  const remedy = "Give { header: 'x-guest-token' } or { cookie: 'guest_token' }.";
  if (typeof value !== 'object' || value === null) fail('guests.tokenFrom', 'must be { header } or { cookie }', remedy);
  const keys = Object.keys(value);
  const source = value as Record<string, unknown>;
  if (keys.length !== 1 || !('header' in source || 'cookie' in source)) fail('guests.tokenFrom', `must name one header or one cookie (got ${JSON.stringify(value)})`, remedy);
  if ('header' in source) {
    if (typeof source.header !== 'string' || !HEADER_NAME.test(source.header)) fail('guests.tokenFrom.header', `is not a header name (got ${JSON.stringify(source.header)})`, remedy);
    return { header: source.header.toLowerCase() };
  }
  if (typeof source.cookie !== 'string' || !COOKIE_NAME.test(source.cookie)) fail('guests.tokenFrom.cookie', `is not a cookie name (got ${JSON.stringify(source.cookie)})`, remedy);
  return { cookie: source.cookie };
}

function ttl(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail('guests.tokenTtlDays', `must be a number of days > 0, or null (got ${JSON.stringify(value)})`, 'Leave it out (or null) for tokens valid until revoked.');
  }
  return value;
}

function attempts(value: unknown): ResolvedGuestOptions['tokenAttempts'] {
  if (value === false) return false;
  if (value === undefined) return { ...GUEST_DEFAULTS.tokenAttempts };
  if (typeof value !== 'object' || value === null) fail('guests.tokenAttempts', 'must be false or { limit?, windowSeconds? }', 'Leave it out for 10 failed tokens per minute per client.');
  const given = value as { limit?: unknown; windowSeconds?: unknown };
  return {
    limit: positiveInteger('guests.tokenAttempts.limit', given.limit, GUEST_DEFAULTS.tokenAttempts.limit),
    windowSeconds: positiveInteger('guests.tokenAttempts.windowSeconds', given.windowSeconds, GUEST_DEFAULTS.tokenAttempts.windowSeconds),
  };
}

function clientKey(value: unknown): ResolvedGuestOptions['clientKey'] {
  if (value === undefined) return defaultGuestClientKey;
  if (typeof value !== 'function') fail('guests.clientKey', 'must be a function', 'Give (request) => a key per client, e.g. (req) => req.ip.');
  return value as ResolvedGuestOptions['clientKey'];
}

function positiveInteger(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) fail(option, `must be a positive whole number (got ${JSON.stringify(value)})`, `Leave it out for the default, ${fallback}.`);
  return value;
}

function fail(option: string, problem: string, remedy: string): never {
  throw new LitestripeConfigError(option, problem, remedy);
}
