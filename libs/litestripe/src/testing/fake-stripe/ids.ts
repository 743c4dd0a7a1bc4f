import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let token = '';
  for (let i = 0; i < length; i++) token += ALPHABET[bytes[i] % ALPHABET.length];
  return token;
}

/** Ids shaped like Stripe's: a type prefix, an underscore and 24 base62 characters. */
export function stripeId(prefix: string): string {
  return `${prefix}_${randomToken(24)}`;
}

/** Ids of newer resources (features, active entitlements) carry the mode: `feat_test_...`. */
export function testModeId(prefix: string): string {
  return `${prefix}_test_${randomToken(32)}`;
}

export function checkoutSessionId(): string {
  return `cs_test_${randomToken(58)}`;
}

export function requestId(): string {
  return `req_${randomToken(14)}`;
}
