import type Stripe from 'stripe';
import { invalidRequest, parameterMissing, resourceMissing } from '../api-error.js';
import { priceInterval } from '../billing/billing-period.js';
import { currentPeriodEnd, currentPeriodStart } from '../billing/subscription-change.js';
import type { NewSubscriptionItem } from '../billing/subscription-create.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { FormParams } from '../form-body.parser.js';
import { isMetered } from '../objects/price.object.js';
import { buildSubscriptionItem, withPrice } from '../objects/subscription-item.object.js';
import { applyMetadata, isFormParams, optionalArray, optionalBoolean, optionalInteger, optionalString, paramName } from '../request-params.js';
import { mustGet } from './lookup.js';

/** `items[i][price]`, `[quantity]`, `[metadata]` of `POST /v1/subscriptions`; metered prices take no quantity. */
export function readNewItems(params: FormParams, ctx: FakeStripeContext): NewSubscriptionItem[] {
  const entries = optionalArray(params, 'items');
  if (!entries || entries.length === 0) throw parameterMissing('items');
  const items = entries.map((entry, index) => {
    const prefix = `items[${index}]`;
    const item = asParams(entry, prefix);
    const priceId = optionalString(item, 'price', prefix);
    if (!priceId) throw parameterMissing(paramName('price', prefix));
    const price = recurringPrice(ctx, priceId, paramName('price', prefix));
    const quantity = readQuantity(item, prefix);
    if (isMetered(price) && quantity !== undefined) throw meteredQuantity(prefix);
    return { price, quantity: isMetered(price) ? undefined : (quantity ?? 1), metadata: applyMetadata({}, item, 'metadata', prefix) };
  });
  rejectDuplicatePrices(items.map((item) => item.price.id));
  rejectMixedIntervals(items.map((item) => item.price));
  return items;
}

/** The item list after `items[i][id|price|quantity|deleted|metadata]` of `POST /v1/subscriptions/:id`. */
export function readItemChanges(params: FormParams, subscription: Stripe.Subscription, ctx: FakeStripeContext): Stripe.SubscriptionItem[] | undefined {
  const entries = optionalArray(params, 'items');
  if (!entries) return undefined;
  const items = [...subscription.items.data];
  entries.forEach((entry, index) => {
    const prefix = `items[${index}]`;
    const change = asParams(entry, prefix);
    const id = optionalString(change, 'id', prefix);
    const priceId = optionalString(change, 'price', prefix);
    const quantity = readQuantity(change, prefix);
    if (!id) {
      if (!priceId) throw parameterMissing(paramName('price', prefix));
      const price = recurringPrice(ctx, priceId, paramName('price', prefix));
      if (isMetered(price) && quantity !== undefined) throw meteredQuantity(prefix);
      items.push(
        buildSubscriptionItem({
          subscription: subscription.id,
          price,
          quantity: quantity ?? 1,
          metadata: applyMetadata({}, change, 'metadata', prefix),
          created: ctx.clock.now(),
          periodStart: currentPeriodStart(subscription),
          periodEnd: currentPeriodEnd(subscription),
        }),
      );
      return;
    }
    const position = items.findIndex((item) => item.id === id);
    if (position < 0) throw resourceMissing('subscription_item', id, paramName('id', prefix));
    if (optionalBoolean(change, 'deleted', prefix)) {
      items.splice(position, 1);
      return;
    }
    let item = items[position];
    // As Stripe: a new price sets the quantity to 1 unless the change gives one.
    if (priceId && priceId !== item.price.id) item = withPrice({ ...item, quantity: 1 }, recurringPrice(ctx, priceId, paramName('price', prefix)));
    if (quantity !== undefined) {
      if (isMetered(item.price)) throw meteredQuantity(prefix);
      item = { ...item, quantity };
    }
    item = { ...item, metadata: applyMetadata(item.metadata, change, 'metadata', prefix) };
    items[position] = item;
  });
  if (items.length === 0) throw invalidRequest('A subscription must have at least one active plan. To cancel a subscription, send a DELETE request instead.', 'items');
  rejectDuplicatePrices(items.map((item) => item.price.id));
  rejectMixedIntervals(items.map((item) => item.price));
  return items;
}

function recurringPrice(ctx: FakeStripeContext, priceId: string, param: string): Stripe.Price {
  const price = mustGet(ctx.store.prices, priceId, param);
  if (price.type !== 'recurring') {
    throw invalidRequest('The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.', param);
  }
  if (!price.active) throw invalidRequest('The price specified is inactive. This field only accepts active prices.', param);
  return price;
}

function readQuantity(item: FormParams, prefix: string): number | undefined {
  const quantity = optionalInteger(item, 'quantity', prefix);
  if (quantity !== undefined && quantity < 0) throw invalidRequest('This value must be greater than or equal to 0.', paramName('quantity', prefix));
  return quantity;
}

function asParams(entry: unknown, prefix: string): FormParams {
  if (!isFormParams(entry as FormParams)) throw invalidRequest(`Invalid object: ${prefix}`, prefix);
  return entry as FormParams;
}

/** Stripe's answer to `items[i][quantity]` on a metered price. */
function meteredQuantity(prefix: string) {
  return invalidRequest('You cannot set the quantity for metered plans.', paramName('quantity', prefix));
}

/** Every item of a subscription bills on one cycle. */
export function rejectMixedIntervals(prices: Stripe.Price[], param = 'items'): void {
  const cycles = new Set(prices.map((price) => JSON.stringify(priceInterval(price))));
  if (cycles.size > 1) {
    throw invalidRequest('All prices on a subscription must have the same `recurring.interval` and `recurring.interval_count`.', param);
  }
}

function rejectDuplicatePrices(priceIds: string[]): void {
  if (new Set(priceIds).size !== priceIds.length) {
    throw invalidRequest('Cannot add multiple subscription items with the same price.', 'items');
  }
}
