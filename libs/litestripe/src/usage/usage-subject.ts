import { BadRequestException } from '@nestjs/common';
import { accountSubjectKey, isWellFormedAccountReference } from '../common/account-reference.js';

/**
 * Whose use is counted: an account reference (as the guard's `accountResolver` returns it), or
 * `{ account }`. One type for every usage call, so that other kinds of customer join it as new
 * variants rather than as a second API.
 */
export type UsageSubject = string | { account: string };

/** A subject, checked: its kind, its id, and the key its use is stored under. */
export interface ResolvedSubject {
  kind: 'account';
  accountRef: string;
  /** `account:<ref>`: the `subject` column and the Redis key part. */
  key: string;
}

export function resolveSubject(subject: UsageSubject): ResolvedSubject {
  const accountRef = typeof subject === 'string' ? subject : typeof subject === 'object' && subject !== null ? subject.account : undefined;
  if (typeof accountRef !== 'string') throw new BadRequestException(`A usage subject is an account reference or { account } (got ${JSON.stringify(subject)}).`);
  if (!isWellFormedAccountReference(accountRef)) {
    throw new BadRequestException(`Account reference ${JSON.stringify(accountRef)} cannot be stored by Stripe as client_reference_id: use 1 to 200 letters, digits, "_" or "-" (e.g. your user id, not an email).`);
  }
  return { kind: 'account', accountRef, key: accountSubjectKey(accountRef) };
}
