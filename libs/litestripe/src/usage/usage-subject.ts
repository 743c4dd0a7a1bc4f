import { BadRequestException } from '@nestjs/common';
import { accountSubjectKey, isWellFormedAccountReference } from '../common/account-reference.js';
import { isGuestReference } from '../common/guest-reference.js';
import type { GuestTokenSubject } from '../access/guest-token.reader.js';

/**
 * Whose use is counted: an account reference (as the guard's `accountResolver` returns it),
 * `{ account }`, or a guest by its access token (`{ guestToken, clientKey? }`). A guest's reference
 * (`guest:<guestId>`, an entitlement's `accountRef` for a guest) is taken as a string too.
 */
export type UsageSubject = string | { account: string } | GuestTokenSubject;

/** A subject, checked: its kind, its reference, and the key its use is stored under. */
export interface ResolvedSubject {
  kind: 'account' | 'guest';
  accountRef: string;
  /** `account:<ref>` or `guest:<guestId>`: the `subject` column and the Redis key part. */
  key: string;
}

/** A subject named by reference (a guest's token is resolved by the caller first). */
export function resolveSubject(subject: string | { account: string }): ResolvedSubject {
  const accountRef = typeof subject === 'string' ? subject : typeof subject === 'object' && subject !== null ? subject.account : undefined;
  if (typeof accountRef !== 'string') throw new BadRequestException(`A usage subject is an account reference, { account } or { guestToken } (got ${JSON.stringify(subject)}).`);
  if (isGuestReference(accountRef)) return { kind: 'guest', accountRef, key: accountRef };
  if (!isWellFormedAccountReference(accountRef)) {
    throw new BadRequestException(`Account reference ${JSON.stringify(accountRef)} cannot be stored by Stripe as client_reference_id: use 1 to 200 letters, digits, "_" or "-" (e.g. your user id, not an email).`);
  }
  return { kind: 'account', accountRef, key: accountSubjectKey(accountRef) };
}
