import { StripeSubscription } from '../entities/stripe-subscription.entity.js';
import { SubscriptionChanges } from './subscription-row.writer.js';
import { STATUS_RANK, SubscriptionSnapshot, TERMINAL_STATUSES } from './subscription-snapshot.js';

/**
 * Pure decisions: what one event may change on a row, given the row as it stands. Each event
 * writes only the fields it carries, so the checkout and subscription events never erase each
 * other, whichever arrives first.
 *
 * The account link is the exception to "the newest event wins": the first link wins, and only an
 * explicit claim or relink moves it. An event naming another account is a link conflict (reported
 * by the caller), never a move.
 */

export function linkedAccount(row: StripeSubscription | null, named: string | null): string | null {
  return row?.accountRef ?? named;
}

/** Whether a subscription snapshot from an event created at `created` (unix s) may replace the row's. */
export function isNewerSnapshot(row: StripeSubscription | null, snapshot: SubscriptionSnapshot, created: number): boolean {
  if (!row || row.eventCreated === null) return true;
  const rowIsTerminal = row.status !== null && TERMINAL_STATUSES.includes(row.status);
  if (rowIsTerminal && !TERMINAL_STATUSES.includes(snapshot.status)) return false;
  if (created !== row.eventCreated) return created > row.eventCreated;
  // Same second: the later lifecycle stage wins; the same stage, the later arrival.
  return STATUS_RANK[snapshot.status] >= (row.statusRank ?? -1);
}

/**
 * Whether a snapshot of the same second as the stored one disagrees with it, so that the order of
 * the two cannot be known from the events themselves (the `refetch: 'on-conflict'` trigger).
 */
export function isSameSecondConflict(row: StripeSubscription | null, snapshot: SubscriptionSnapshot, created: number): boolean {
  if (!row || row.eventCreated !== created || row.status === null || TERMINAL_STATUSES.includes(snapshot.status)) return false;
  return (
    row.status !== snapshot.status ||
    row.cancelAtPeriodEnd !== snapshot.cancelAtPeriodEnd ||
    row.pauseBehavior !== snapshot.pauseBehavior ||
    row.pauseResumesAt?.getTime() !== snapshot.pauseResumesAt?.getTime() ||
    row.priceId !== snapshot.priceId ||
    row.quantity !== snapshot.quantity ||
    row.cancelAt?.getTime() !== snapshot.cancelAt?.getTime() ||
    row.currentPeriodEnd?.getTime() !== snapshot.currentPeriodEnd?.getTime()
  );
}

export function snapshotChanges(
  row: StripeSubscription | null,
  snapshot: SubscriptionSnapshot,
  created: number,
  accountRef: string | null,
  metadata: Record<string, string>,
): SubscriptionChanges | null {
  if (!isNewerSnapshot(row, snapshot, created)) return null;
  return {
    customerId: snapshot.customerId ?? row?.customerId ?? null,
    accountRef: linkedAccount(row, accountRef),
    status: snapshot.status,
    priceId: snapshot.priceId,
    productId: snapshot.productId,
    lookupKey: snapshot.lookupKey,
    quantity: snapshot.quantity,
    currentPeriodStart: snapshot.currentPeriodStart,
    currentPeriodEnd: snapshot.currentPeriodEnd,
    trialStart: snapshot.trialStart,
    trialEnd: snapshot.trialEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    cancelAt: snapshot.cancelAt,
    canceledAt: snapshot.canceledAt,
    endedAt: snapshot.endedAt,
    pauseBehavior: snapshot.pauseBehavior,
    pauseResumesAt: snapshot.pauseResumesAt,
    livemode: snapshot.livemode,
    metadata: { ...row?.metadata, subscription: metadata },
    eventCreated: created,
    statusRank: STATUS_RANK[snapshot.status],
  };
}

export interface CheckoutFacts {
  customerId: string | null;
  accountRef: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
}

export function checkoutChanges(row: StripeSubscription | null, checkout: CheckoutFacts): SubscriptionChanges {
  return {
    customerId: row?.customerId ?? checkout.customerId,
    accountRef: linkedAccount(row, checkout.accountRef),
    livemode: checkout.livemode,
    metadata: { ...row?.metadata, checkout: checkout.metadata },
  };
}

export interface PaymentFacts {
  invoiceId: string;
  customerId: string | null;
  status: 'succeeded' | 'failed';
  livemode: boolean;
}

const PAYMENT_RANK = { failed: 0, succeeded: 1 } as const;

export function paymentChanges(row: StripeSubscription | null, payment: PaymentFacts, created: number): SubscriptionChanges | null {
  if (row?.paymentEventCreated != null && row.latestPaymentStatus) {
    if (created < row.paymentEventCreated) return null;
    if (created === row.paymentEventCreated && PAYMENT_RANK[payment.status] < PAYMENT_RANK[row.latestPaymentStatus]) return null;
  }
  return {
    customerId: row?.customerId ?? payment.customerId,
    livemode: row ? row.livemode : payment.livemode,
    latestInvoiceId: payment.invoiceId,
    latestPaymentStatus: payment.status,
    latestPaymentAt: new Date(created * 1000),
    paymentEventCreated: created,
  };
}
