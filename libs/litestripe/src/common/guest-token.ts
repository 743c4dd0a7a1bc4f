import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A guest access token: `lsg_<selector>.<verifier>`. The selector (128 random bits) finds the
 * stored row; the verifier (256 random bits) is kept only as its SHA-256 and compared in constant
 * time, so neither a database read nor response timing reveals a usable token.
 */
const TOKEN = /^lsg_([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export interface NewGuestToken {
  /** Shown once, to the host; never stored. */
  token: string;
  selector: string;
  verifierHash: Buffer;
}

export function newGuestToken(): NewGuestToken {
  const selector = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  return { token: `lsg_${selector}.${verifier}`, selector, verifierHash: hashVerifier(verifier) };
}

/** The token's parts, or null when it is not shaped like one. */
export function parseGuestToken(token: unknown): { selector: string; verifier: string } | null {
  if (typeof token !== 'string' || token.length > 100) return null;
  const match = TOKEN.exec(token);
  return match ? { selector: match[1], verifier: match[2] } : null;
}

export function verifierMatches(verifier: string, storedHash: Uint8Array): boolean {
  const given = hashVerifier(verifier);
  return given.length === storedHash.length && timingSafeEqual(given, storedHash);
}

function hashVerifier(verifier: string): Buffer {
  return createHash('sha256').update(verifier).digest();
}
