import { BadRequestException } from '@nestjs/common';
import { isWellFormedAccountReference } from '../common/account-reference.js';

/**
 * Which subscription an action is for: an account (its current subscription), or a subscription
 * id. A plain string starting with `sub_` is a subscription id, any other an account reference; an
 * account reference that itself starts with `sub_` must be given as `{ accountRef }`.
 */
export type SubscriptionTarget = string | { accountRef: string } | { subscriptionId: string };

export function readTarget(target: SubscriptionTarget): { accountRef: string } | { subscriptionId: string } {
  if (typeof target === 'string') return target.startsWith('sub_') ? { subscriptionId: target } : { accountRef: checkedAccountReference(target) };
  if (target && 'subscriptionId' in target && typeof target.subscriptionId === 'string' && target.subscriptionId.startsWith('sub_')) return target;
  if (target && 'accountRef' in target) return { accountRef: checkedAccountReference(target.accountRef) };
  throw new BadRequestException('Name the subscription by account reference, { accountRef }, or { subscriptionId: "sub_..." }.');
}

/** Refuses references Stripe would silently drop from `client_reference_id`. */
export function checkedAccountReference(accountRef: unknown): string {
  if (!isWellFormedAccountReference(accountRef)) {
    throw new BadRequestException(
      `Account reference ${JSON.stringify(accountRef)} cannot be stored by Stripe as client_reference_id: use 1 to 200 letters, digits, "_" or "-" (e.g. your user id, not an email).`,
    );
  }
  return accountRef;
}
