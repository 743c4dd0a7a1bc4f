/**
 * What Stripe keeps in `client_reference_id`: letters, digits, `_` and `-`, at most 200
 * characters. Stripe silently drops anything else, so a reference outside this set never links.
 */
export const ACCOUNT_REFERENCE_PATTERN = /^[A-Za-z0-9_-]{1,200}$/;

export function isWellFormedAccountReference(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_REFERENCE_PATTERN.test(value);
}

/** Keeps only the allowed metadata keys (all of them when no list is configured). */
export function filterMetadata(metadata: Record<string, string>, allowedKeys: readonly string[] | undefined): Record<string, string> {
  if (!allowedKeys) return metadata;
  return Object.fromEntries(Object.entries(metadata).filter(([key]) => allowedKeys.includes(key)));
}

/** The key an account's usage and credits are stored under (`account:<ref>`). */
export function accountSubjectKey(accountRef: string): string {
  return `account:${accountRef}`;
}
