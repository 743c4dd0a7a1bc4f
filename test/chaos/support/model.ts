import type Stripe from 'stripe';
import { stripeId } from '@litestripe/nestjs/testing';
import { SubscriptionScenario, T0 } from '../../support/scenario';
import { SubscriptionState } from '../../support/stripe-objects';

/**
 * The true history of each subscription, from which the storm's events are made and against which
 * the rows are checked: bought through Checkout (or orphaned: no account reference, an email),
 * paid, then renewed month after month with quantity changes, failed payments (past_due, then
 * paid again), scheduled cancellations switched on and off, and for some an end (deleted).
 * Successive states of one subscription have distinct, increasing `created` seconds, and so do its
 * invoice events, so the final state does not depend on the same-second rules.
 */

const MONTH = 30 * 86_400;
/**
 * Histories span up to two years of Stripe time: they start three years before T0, so every event
 * lies in the past of the hosts' system clock (the webhook refuses events dated ahead of it).
 */
const ORIGIN = T0 - 36 * MONTH;

export interface ExpectedRow {
  id: string;
  customerId: string;
  accountRef: string | null;
  status: string;
  quantity: number;
  cancelAtPeriodEnd: boolean;
  /** Unix seconds. */
  periodEnd: number;
  latestPaymentStatus: 'succeeded' | 'failed';
  latestInvoiceId: string;
}

export interface ModelSubscription {
  index: number;
  events: Stripe.Event[];
  orphanEmail: string | null;
  expected: ExpectedRow;
}

export interface Model {
  subscriptions: ModelSubscription[];
  events: number;
}

export interface ModelOptions {
  subscriptions: number;
  /** Distinct Stripe events in all (spread evenly, each subscription gets at least its first four). */
  events: number;
  /** Every n-th subscription's checkout has no `client_reference_id`: an orphan with an email. */
  orphanEvery: number;
  random: () => number;
  /** Index of the first subscription (its account, email and start time follow from it), so that two models never collide. @default 0 */
  firstIndex?: number;
}

/** Both models' subscriptions as one (their rows are checked together). */
export function joinModels(...models: Model[]): Model {
  const subscriptions = models.flatMap((m) => m.subscriptions);
  return { subscriptions, events: subscriptions.reduce((n, s) => n + s.events.length, 0) };
}

export function buildModel(options: ModelOptions): Model {
  const subscriptions: ModelSubscription[] = [];
  const first = options.firstIndex ?? 0;
  for (let i = 0; i < options.subscriptions; i++) {
    const target = Math.floor(options.events / options.subscriptions) + (i < options.events % options.subscriptions ? 1 : 0);
    subscriptions.push(subscriptionHistory(first + i, Math.max(4, target), i % options.orphanEvery === options.orphanEvery - 1, options.random));
  }
  return { subscriptions, events: subscriptions.reduce((n, s) => n + s.events.length, 0) };
}

function subscriptionHistory(index: number, target: number, orphan: boolean, random: () => number): ModelSubscription {
  const s = new SubscriptionScenario('current');
  const t0 = ORIGIN + index * 97;
  const accountRef = orphan ? null : `acct_chaos_${index}`;
  const email = orphan ? `orphan-${index}@example.com` : `buyer-${index}@example.com`;
  const events: Stripe.Event[] = [];
  let state: SubscriptionState = { id: s.subscriptionId, customer: s.customerId, status: 'incomplete', quantity: 1, cancelAtPeriodEnd: false };
  let payment = { status: 'succeeded' as 'succeeded' | 'failed', invoiceId: '' };
  let last = t0;

  const snapshot = (type: 'created' | 'updated' | 'deleted', change: Partial<SubscriptionState>, created: number) => {
    state = { ...state, ...change };
    events.push(s.subscription(type, state, created));
    last = Math.max(last, created);
  };
  const pay = (status: 'succeeded' | 'failed', invoiceId: string, created: number) => {
    events.push(s.invoice(status === 'succeeded' ? 'invoice.paid' : 'invoice.payment_failed', invoiceId, created));
    payment = { status, invoiceId };
    last = Math.max(last, created);
  };
  const period = (month: number) => ({ periodStart: t0 + month * MONTH, periodEnd: t0 + (month + 1) * MONTH });

  snapshot('created', { status: 'incomplete', ...period(0) }, t0);
  events.push(s.checkout({ clientReferenceId: accountRef, email, created: t0 }, t0 + 1));
  pay('succeeded', stripeId('in'), t0 + 2);
  snapshot('updated', { status: 'active' }, t0 + 3);

  const room = (n: number) => events.length + n <= target;
  for (let month = 1; room(2); month++) {
    const renewal = t0 + month * MONTH;
    const change: Partial<SubscriptionState> = { status: 'active', ...period(month) };
    if (random() < 0.3) change.quantity = 1 + Math.floor(random() * 5);
    if (!state.cancelAtPeriodEnd && month >= 3 && random() < 0.1) change.cancelAtPeriodEnd = true;
    else if (state.cancelAtPeriodEnd && random() < 0.4) change.cancelAtPeriodEnd = false;
    snapshot('updated', change, renewal);
    const invoiceId = stripeId('in');
    if (random() < 0.12 && room(2)) {
      pay('failed', invoiceId, renewal + 1);
      snapshot('updated', { status: 'past_due' }, renewal + 2);
      if (room(2) && random() < 0.8) {
        pay('succeeded', invoiceId, renewal + 3);
        snapshot('updated', { status: 'active' }, renewal + 4);
      }
    } else {
      pay('succeeded', invoiceId, renewal + 1);
    }
  }
  if (room(1) || random() < 0.25) {
    snapshot('deleted', { status: 'canceled', canceledAt: last + 10, endedAt: last + 10 }, last + 10);
  }

  return {
    index,
    events,
    orphanEmail: orphan ? email : null,
    expected: {
      id: s.subscriptionId,
      customerId: s.customerId,
      accountRef,
      status: state.status,
      quantity: state.quantity ?? 1,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd ?? false,
      periodEnd: state.periodEnd!,
      latestPaymentStatus: payment.status,
      latestInvoiceId: payment.invoiceId,
    },
  };
}
