import { createHash, createHmac } from 'node:crypto';

const EMAIL_LIKE = /\S+@\S+/;

/**
 * How a `client_reference_id` that could not be linked is kept on its orphan: as given, unless it
 * looks like an email (a host that put emails there, or a payer who typed one into a payment link's
 * URL). That is stored only as a keyed hash, so support can still find the orphan by the email
 * (`listOrphanedPayments({ rejectedReference })`) while the table holds no readable address.
 * The key is derived from the Stripe secret key: rolling the key makes older hashes unmatchable.
 */
export function storedRejectedReference(reference: unknown, secretKey: string): string | null {
  if (typeof reference !== 'string' || reference === '') return null;
  if (!EMAIL_LIKE.test(reference)) return reference.slice(0, 500);
  const key = createHash('sha256').update(`litestripe:rejected-reference:${secretKey}`).digest();
  return `hmac-sha256:${createHmac('sha256', key).update(reference.trim().toLowerCase()).digest('hex')}`;
}
