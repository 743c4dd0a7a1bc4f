import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { stripeId } from '../ids.js';
import { buildSubscriptionInvoice, type SubscriptionLineInput } from '../objects/invoice.object.js';
import { isMetered } from '../objects/price.object.js';
import { periodEndAfter, priceInterval } from './billing-period.js';
import { type BillingPeriod, nameOf, subscriptionLines } from './invoice-lines.js';
import { currentPeriodEnd, currentPeriodStart } from './subscription-change.js';

export interface PreviewedChange {
  /** The subscription's items after the change. */
  items: Stripe.SubscriptionItem[];
  prorationBehavior: 'always_invoice' | 'create_prorations' | 'none';
  /** Unix seconds within the current period: when the change is prorated from. */
  prorationDate: number;
}

/**
 * The invoice Stripe's `POST /v1/invoices/create_preview` shows for a change of a subscription,
 * prorated the classic way: each licensed item whose price or quantity changes gets a credit for
 * the unused time of the old one and a charge for the time left on the new one, both in proportion
 * to the seconds left in the current period at `prorationDate` (metered items and trials are not
 * prorated). With `create_prorations` (or `none`) the preview is the next renewal's invoice: the
 * prorations, then the next period's lines at the new prices. With `always_invoice` it is the
 * invoice made now, the prorations alone. A change of billing interval restarts the period at
 * `prorationDate` and bills it now, crediting the old price's unused time. Nothing is stored.
 */
export function previewSubscriptionChange(ctx: FakeStripeContext, subscription: Stripe.Subscription, change: PreviewedChange): Stripe.Invoice {
  const customer = ctx.store.customers.get(subscription.customer as string);
  if (!customer) throw new Error(`Subscription ${subscription.id} has no customer ${String(subscription.customer)}`);
  const after: Stripe.Subscription = { ...structuredClone(subscription), items: { ...subscription.items, data: change.items } };
  const period = { start: currentPeriodStart(subscription), end: currentPeriodEnd(subscription) };
  const at = change.prorationDate;
  const newPrice = change.items[0].price;
  const restarts = JSON.stringify(priceInterval(newPrice)) !== JSON.stringify(priceInterval(subscription.items.data[0].price)) && subscription.status !== 'trialing';
  const prorating = change.prorationBehavior !== 'none' && subscription.status !== 'trialing';
  const prorations = prorating ? prorationLines(subscription.items.data, change.items, { start: at, end: period.end }, (period.end - at) / (period.end - period.start), !restarts) : [];

  if (restarts) {
    const next = { start: at, end: periodEndAfter(at, newPrice) };
    const lines = [...prorations, ...subscriptionLines(ctx, after, { licensedPeriod: next, trial: false, usagePeriod: { start: period.start, end: at } })];
    return preview(after, customer, { billingReason: 'subscription_update', created: at, lines, period: { start: period.start, end: at }, collectedAt: at });
  }
  if (change.prorationBehavior === 'always_invoice') {
    return preview(after, customer, { billingReason: 'subscription_update', created: at, lines: prorations, period: { start: at, end: at }, collectedAt: at });
  }
  const next = { start: period.end, end: periodEndAfter(period.end, newPrice) };
  const lines = [...prorations, ...subscriptionLines(ctx, after, { licensedPeriod: next, trial: false, usagePeriod: subscription.status === 'trialing' ? null : period })];
  return preview(after, customer, { billingReason: 'upcoming', created: period.end, lines, period, collectedAt: period.end });
}

/** Credits for the old licensed items that change, then charges for the new ones (unless the period restarts, which bills them in full). */
function prorationLines(
  before: Stripe.SubscriptionItem[],
  after: Stripe.SubscriptionItem[],
  span: BillingPeriod,
  fraction: number,
  chargeNew: boolean,
): SubscriptionLineInput[] {
  const licensed = (items: Stripe.SubscriptionItem[]) => items.filter((item) => !isMetered(item.price));
  const [old, next] = [licensed(before), licensed(after)];
  const keptIn = (items: Stripe.SubscriptionItem[]) => (item: Stripe.SubscriptionItem) =>
    items.some((other) => other.id === item.id && other.price.id === item.price.id && other.quantity === item.quantity);
  const credits = old
    .filter((item) => !keptIn(next)(item))
    .map((item) => prorationLine(item, span, -fraction, `Unused time on ${item.quantity ?? 1} × ${nameOf(item)} after ${day(span.start)}`));
  if (!chargeNew) return credits;
  const charges = next
    .filter((item) => !keptIn(old)(item))
    .map((item) => prorationLine(item, span, fraction, `Remaining time on ${item.quantity ?? 1} × ${nameOf(item)} after ${day(span.start)}`));
  return [...credits, ...charges];
}

function prorationLine(item: Stripe.SubscriptionItem, span: BillingPeriod, fraction: number, description: string): SubscriptionLineInput {
  return { item, quantity: item.quantity ?? 1, unitAmount: (item.price.unit_amount ?? 0) * fraction, period: { ...span }, description, proration: true };
}

interface PreviewShape {
  billingReason: Stripe.Invoice.BillingReason;
  created: number;
  lines: SubscriptionLineInput[];
  period: BillingPeriod;
  /** `next_payment_attempt`: when Stripe would collect it. */
  collectedAt: number;
}

function preview(subscription: Stripe.Subscription, customer: Stripe.Customer, shape: PreviewShape): Stripe.Invoice {
  const invoice = buildSubscriptionInvoice({ subscription, customer, billingReason: shape.billingReason, created: shape.created, lines: shape.lines, period: shape.period, id: `upcoming_${stripeId('in')}` });
  // The customer's credit balance (negative) is applied first; a negative total is not collected but credited.
  const due = Math.max(0, invoice.total + customer.balance);
  return { ...invoice, starting_balance: customer.balance, amount_due: due, amount_remaining: due, next_payment_attempt: shape.collectedAt };
}

function day(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}
