import { unauthorized } from './api-error.js';

const KEY_SHAPE = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

/** The API key from `Authorization: Bearer …` (or Basic, as curl sends it), or Stripe's 401. */
export function authenticate(header: string | undefined, allowed?: ReadonlySet<string>): string {
  const key = keyFrom(header);
  if (!key) {
    throw unauthorized(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    );
  }
  if (!KEY_SHAPE.test(key) || (allowed && !allowed.has(key))) throw unauthorized(`Invalid API Key provided: ${redact(key)}`);
  return key;
}

function keyFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, credentials] = header.trim().split(/\s+/, 2);
  if (!credentials) return undefined;
  if (scheme.toLowerCase() === 'bearer') return credentials;
  if (scheme.toLowerCase() === 'basic') return Buffer.from(credentials, 'base64').toString('utf8').split(':')[0] || undefined;
  return undefined;
}

function redact(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}
