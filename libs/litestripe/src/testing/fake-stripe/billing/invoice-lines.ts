import type Stripe from 'stripe';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { SubscriptionLineInput } from '../objects/invoice.object.js';
import { isMetered, productIdOf } from '../objects/price.object.js';
import { itemUsage } from './meter-usage.js';

export interface BillingPeriod {
  start: number;
  end: number;
}

export interface LinePlan {
  /** Licensed items are billed in advance for this period; null bills none (a final usage invoice). */
  licensedPeriod: BillingPeriod | null;
  /** Licensed lines of a trial cost nothing. */
  trial: boolean;
  /** Metered items are billed in arrears for their usage over this period; null bills none (a first or trial invoice). */
  usagePeriod: BillingPeriod | null;
}

/** A subscription invoice's lines, in item order: licensed items ahead, metered usage behind. */
export function subscriptionLines(ctx: FakeStripeContext, subscription: Stripe.Subscription, plan: LinePlan): SubscriptionLineInput[] {
  const lines: SubscriptionLineInput[] = [];
  for (const item of subscription.items.data) {
    if (isMetered(item.price)) {
      if (plan.usagePeriod) lines.push(usageLine(ctx, subscription, item, plan.usagePeriod));
    } else if (plan.licensedPeriod) {
      lines.push(licensedLine(item, plan.licensedPeriod, plan.trial));
    }
  }
  return lines;
}

export function hasMeteredItems(subscription: Stripe.Subscription): boolean {
  return subscription.items.data.some((item) => isMetered(item.price));
}

function licensedLine(item: Stripe.SubscriptionItem, period: BillingPeriod, trial: boolean): SubscriptionLineInput {
  const quantity = item.quantity ?? 1;
  const name = nameOf(item);
  return {
    item,
    quantity,
    unitAmount: trial ? 0 : (item.price.unit_amount ?? 0),
    period,
    description: trial ? `Trial period for ${name}` : `${quantity} × ${name}`,
  };
}

/**
 * The item's usage over the period, counted from when the item joined the subscription if that
 * was later (classic billing mode bills a metered item added mid-period from then on).
 */
function usageLine(ctx: FakeStripeContext, subscription: Stripe.Subscription, item: Stripe.SubscriptionItem, period: BillingPeriod): SubscriptionLineInput {
  const from = Math.max(period.start, item.created);
  const quantity = itemUsage(ctx, item, subscription.customer as string, { from, to: period.end });
  return {
    item,
    quantity,
    unitAmount: item.price.unit_amount ?? 0,
    period: { start: from, end: period.end },
    description: `${quantity} × ${nameOf(item)} (usage)`,
  };
}

/** What a line calls an item: its price's nickname, else its product. */
export function nameOf(item: Stripe.SubscriptionItem): string {
  return item.price.nickname ?? productIdOf(item.price);
}
