import type Stripe from 'stripe';
import { invalidRequest } from '../api-error.js';
import { priceInterval } from '../billing/billing-period.js';
import { settleInvoice } from '../billing/invoicing.js';
import { changeSubscription, currentPeriodEnd, setCancelAtPeriodEnd } from '../billing/subscription-change.js';
import { createSubscription } from '../billing/subscription-create.js';
import { endSubscription } from '../billing/subscription-end.js';
import { applyTrialEnd, restartPeriod } from '../billing/subscription-period.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { listCollection } from '../list-page.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { applyMetadata, optionalBoolean, optionalEnum, optionalString, requiredString } from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';
import { mustGet } from './lookup.js';
import { readItemChanges, readNewItems } from './subscription-items.params.js';
import {
  PRORATION_BEHAVIORS,
  readAnchor,
  readCancelAt,
  readCancellationDetails,
  readPauseCollection,
  readTrial,
} from './subscription.params.js';

const LIST_STATUSES = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] as const;
const ENDED: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);
/** What Stripe still lets you change on an ended subscription. */
const EDITABLE_WHEN_ENDED = new Set(['metadata', 'cancellation_details', 'expand']);

export const subscriptionRoutes: Route[] = [
  { method: 'POST', pattern: '/v1/subscriptions', handler: create },
  { method: 'GET', pattern: '/v1/subscriptions/search', handler: search },
  { method: 'GET', pattern: '/v1/subscriptions/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.subscriptions, pathParams.id) },
  { method: 'POST', pattern: '/v1/subscriptions/:id', handler: update },
  { method: 'DELETE', pattern: '/v1/subscriptions/:id', handler: cancel },
  { method: 'POST', pattern: '/v1/subscriptions/:id/resume', handler: resume },
  { method: 'GET', pattern: '/v1/subscriptions', handler: list },
];

function create({ params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Subscription {
  const customer = mustGet(ctx.store.customers, requiredString(params, 'customer'), 'customer');
  const items = readNewItems(params, ctx);
  optionalEnum(params, 'proration_behavior', PRORATION_BEHAVIORS);
  return createSubscription(
    ctx,
    {
      customer,
      items,
      metadata: applyMetadata({}, params),
      description: optionalString(params, 'description') || null,
      trialEnd: readTrial(params, ctx.clock.now()),
      cancelAtPeriodEnd: optionalBoolean(params, 'cancel_at_period_end') ?? false,
      cancelAt: readCancelAt(params) ?? null,
      defaultPaymentMethod: optionalString(params, 'default_payment_method') || null,
      paymentFails: ctx.store.failingCustomers.has(customer.id),
    },
    eventRequest,
  );
}

function update({ pathParams, params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Subscription {
  const subscription = mustGet(ctx.store.subscriptions, pathParams.id);
  if (ENDED.has(subscription.status)) {
    const forbidden = Object.keys(params).find((key) => !EDITABLE_WHEN_ENDED.has(key));
    if (forbidden) throw invalidRequest('A canceled subscription can only update its cancellation_details and metadata.', forbidden);
  }
  optionalEnum(params, 'proration_behavior', PRORATION_BEHAVIORS);
  const now = ctx.clock.now();
  // Everything is validated before the first mutation, so a 400 leaves the subscription untouched.
  const items = readItemChanges(params, subscription, ctx);
  const cancelAtPeriodEnd = optionalBoolean(params, 'cancel_at_period_end');
  const cancelAt = readCancelAt(params);
  const anchor = readAnchor(params);
  const pause = readPauseCollection(params);
  const trialEnd = params.trial_end === undefined ? undefined : readTrial(params, now);
  const details = readCancellationDetails(params);
  const description = optionalString(params, 'description');
  const defaultPaymentMethod = optionalString(params, 'default_payment_method');
  let invoice: Stripe.Invoice | undefined;

  changeSubscription(ctx, subscription, eventRequest, (sub) => {
    if (items) {
      const intervalChanged = JSON.stringify(priceInterval(items[0].price)) !== JSON.stringify(priceInterval(sub.items.data[0].price));
      sub.items.data = items;
      if (intervalChanged && sub.status !== 'trialing') invoice = restartPeriod(ctx, sub, now, true);
    }
    if (anchor === 'now' && !invoice && sub.status !== 'trialing') invoice = restartPeriod(ctx, sub, now, true);
    if (cancelAtPeriodEnd !== undefined) setCancelAtPeriodEnd(sub, cancelAtPeriodEnd, now);
    if (cancelAt !== undefined) {
      sub.cancel_at = cancelAt === 'period_end' ? currentPeriodEnd(sub) : cancelAt;
      sub.cancel_at_period_end = false;
      sub.canceled_at = cancelAt === null ? null : now;
    }
    if (pause !== undefined) sub.pause_collection = pause;
    if (trialEnd !== undefined) invoice = applyTrialEnd(ctx, sub, trialEnd, now) ?? invoice;
    if (details) sub.cancellation_details = { ...(sub.cancellation_details ?? { reason: null, feedback_option: null }), ...details } as Stripe.Subscription.CancellationDetails;
    if (description !== undefined) sub.description = description || null;
    if (defaultPaymentMethod !== undefined) sub.default_payment_method = defaultPaymentMethod || null;
    sub.metadata = applyMetadata(sub.metadata, params);
  });
  if (invoice) settleInvoice(ctx, invoice, 'paid', eventRequest);
  return subscription;
}

function cancel({ pathParams, params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Subscription {
  const subscription = mustGet(ctx.store.subscriptions, pathParams.id);
  if (ENDED.has(subscription.status)) throw invalidRequest(`This subscription has already been canceled (status: ${subscription.status}).`, 'id');
  // `invoice_now` bills the unfinished period's metered usage on a final invoice; without it Stripe drops that usage.
  const invoiceNow = optionalBoolean(params, 'invoice_now') ?? false;
  optionalBoolean(params, 'prorate');
  const details = readCancellationDetails(params);
  const now = ctx.clock.now();
  const ending = { endedAt: now, canceledAt: now, reason: 'cancellation_requested' as const, ...details };
  return endSubscription(ctx, subscription, invoiceNow ? { ...ending, finalInvoiceReason: 'subscription_update' } : ending, eventRequest);
}

/** Only `paused` subscriptions (trial ended without a payment method) can be resumed, as on Stripe. */
function resume({ pathParams, params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Subscription {
  const subscription = mustGet(ctx.store.subscriptions, pathParams.id);
  if (subscription.status !== 'paused') {
    throw invalidRequest(`Only subscriptions with status \`paused\` can be resumed; this one is \`${subscription.status}\`.`, 'id');
  }
  const anchor = readAnchor(params) ?? 'now';
  optionalEnum(params, 'proration_behavior', PRORATION_BEHAVIORS);
  const now = ctx.clock.now();
  let invoice: Stripe.Invoice | undefined;
  changeSubscription(ctx, subscription, eventRequest, (sub) => {
    sub.status = 'active';
    sub.pause_collection = null;
    if (anchor === 'now') invoice = restartPeriod(ctx, sub, now);
  });
  if (invoice) settleInvoice(ctx, invoice, 'paid', eventRequest);
  return subscription;
}

function list({ params }: ApiRequest, ctx: FakeStripeContext) {
  const status = optionalEnum(params, 'status', LIST_STATUSES);
  const customer = optionalString(params, 'customer');
  const price = optionalString(params, 'price') || optionalString(params, 'plan');
  const created = readRangeFilter(params.created, 'created');
  const periodEnd = readRangeFilter(params.current_period_end, 'current_period_end');
  const periodStart = readRangeFilter(params.current_period_start, 'current_period_start');
  return listCollection(ctx.store.subscriptions, params, '/v1/subscriptions', (sub: Stripe.Subscription) => {
    if (!statusMatches(sub.status, status)) return false;
    if (customer && sub.customer !== customer) return false;
    if (price && !sub.items.data.some((item) => item.price.id === price)) return false;
    if (!inRange(sub.created, created)) return false;
    const item = sub.items.data[0];
    return !item || (inRange(item.current_period_end, periodEnd) && inRange(item.current_period_start, periodStart));
  });
}

/**
 * Stripe's search, for the one query shape a sync uses to count: `created>N` (or `>=`). Newest
 * first, `page` is an offset; `total_count` only when expanded, as Stripe does.
 */
function search({ params }: ApiRequest, ctx: FakeStripeContext) {
  const query = requiredString(params, 'query');
  const match = /^\s*created\s*(>=?)\s*(\d+)\s*$/.exec(query);
  if (!match) throw invalidRequest(`The fake Stripe searches only \`created>N\` queries; got ${JSON.stringify(query)}.`, 'query');
  const bound = Number(match[2]);
  const found = [...ctx.store.subscriptions.values()].reverse().filter((sub) => (match[1] === '>=' ? sub.created >= bound : sub.created > bound));
  const limit = Math.min(Math.max(Number(optionalString(params, 'limit') ?? 10), 1), 100);
  const offset = Number(optionalString(params, 'page') ?? 0);
  const data = found.slice(offset, offset + limit);
  const hasMore = offset + limit < found.length;
  const expand = Array.isArray(params.expand) ? params.expand : [];
  return {
    object: 'search_result',
    url: '/v1/subscriptions/search',
    data,
    has_more: hasMore,
    next_page: hasMore ? String(offset + limit) : null,
    ...(expand.includes('total_count') ? { total_count: found.length } : {}),
  };
}

function statusMatches(status: Stripe.Subscription.Status, filter: (typeof LIST_STATUSES)[number] | undefined): boolean {
  if (filter === undefined) return status !== 'canceled';
  if (filter === 'all') return true;
  if (filter === 'ended') return ENDED.has(status);
  return status === filter;
}
