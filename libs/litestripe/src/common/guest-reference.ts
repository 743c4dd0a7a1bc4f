/**
 * A guest (someone who paid without an account) stands in the subscription tables under the
 * reference `guest:<guestId>`. No host account reference and no Stripe `client_reference_id` can
 * hold a `:`, so a guest's reference never names an account, and a payment link cannot claim one.
 */
const PREFIX = 'guest:';

/** What the module generates: 16 random bytes, base64url. */
export const GUEST_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/** The checkout session and subscription metadata key that marks a guest checkout the module created. */
export const GUEST_METADATA_KEY = 'litestripe_guest';

export function guestReference(guestId: string): string {
  return `${PREFIX}${guestId}`;
}

/** The guest id of a guest reference; null for an account reference. */
export function guestIdOf(reference: string): string | null {
  if (!reference.startsWith(PREFIX)) return null;
  const id = reference.slice(PREFIX.length);
  return GUEST_ID_PATTERN.test(id) ? id : null;
}

export function isGuestReference(reference: unknown): reference is string {
  return typeof reference === 'string' && guestIdOf(reference) !== null;
}

/** The guest id a checkout session's or subscription's metadata names, if well-formed. */
export function guestIdInMetadata(metadata: Record<string, unknown> | null | undefined): string | null {
  const value = metadata?.[GUEST_METADATA_KEY];
  return typeof value === 'string' && GUEST_ID_PATTERN.test(value) ? value : null;
}
