import type Stripe from 'stripe';
import { invalidRequest, parameterMissing } from '../api-error.js';
import { SECONDS_PER_DAY } from '../billing/billing-period.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { FormParams } from '../form-body.parser.js';
import { listCollection, listEnvelope } from '../list-page.js';
import { buildCheckoutSession, type CheckoutLine, checkoutLineItems, lineItemIds } from '../objects/checkout-session.object.js';
import { isMetered } from '../objects/price.object.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import {
  applyMetadata,
  isFormParams,
  optionalArray,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalString,
  paramName,
} from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';
import { mustGet } from './lookup.js';
import { rejectMixedIntervals } from './subscription-items.params.js';

const MODES = ['payment', 'setup', 'subscription'] as const;
const STATUSES = ['complete', 'expired', 'open'] as const;

export const checkoutSessionRoutes: Route[] = [
  { method: 'POST', pattern: '/v1/checkout/sessions', handler: create },
  { method: 'GET', pattern: '/v1/checkout/sessions/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.checkoutSessions, pathParams.id) },
  { method: 'GET', pattern: '/v1/checkout/sessions/:id/line_items', handler: lineItems },
  { method: 'POST', pattern: '/v1/checkout/sessions/:id/expire', handler: expire },
  { method: 'GET', pattern: '/v1/checkout/sessions', handler: list },
];

function create({ params }: ApiRequest, ctx: FakeStripeContext): Stripe.Checkout.Session {
  const lines = readLines(params, ctx);
  const mode = optionalEnum(params, 'mode', MODES) ?? inferredMode(lines);
  validateLines(lines, mode);
  const customer = optionalString(params, 'customer') || null;
  const customerEmail = optionalString(params, 'customer_email') || null;
  if (customer && customerEmail) throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', 'customer_email');
  if (customer) mustGet(ctx.store.customers, customer, 'customer');
  const subscriptionData = optionalObject(params, 'subscription_data') ?? {};
  const paymentIntentData = optionalObject(params, 'payment_intent_data');
  if (paymentIntentData != null && mode !== 'payment') throw invalidRequest(`You can not pass \`payment_intent_data\` in \`${mode}\` mode.`, 'payment_intent_data');
  const now = ctx.clock.now();
  const trialEnd = readTrialEnd(subscriptionData, now);
  const session = buildCheckoutSession({
    mode,
    lines,
    trial: trialEnd !== null,
    customer,
    customerEmail,
    clientReferenceId: optionalString(params, 'client_reference_id') || null,
    successUrl: optionalString(params, 'success_url') || null,
    cancelUrl: optionalString(params, 'cancel_url') || null,
    allowPromotionCodes: optionalBoolean(params, 'allow_promotion_codes') ?? null,
    metadata: applyMetadata({}, params),
    locale: (optionalString(params, 'locale') || null) as Stripe.Checkout.Session.Locale | null,
    created: now,
    expiresAt: optionalInteger(params, 'expires_at') ?? now + SECONDS_PER_DAY,
    baseUrl: ctx.baseUrl(),
  });
  ctx.store.checkoutSessions.add(session);
  ctx.store.checkoutSetups.set(session.id, {
    lines,
    lineIds: lineItemIds(lines.length),
    subscriptionMetadata: applyMetadata({}, subscriptionData, 'metadata', 'subscription_data'),
    subscriptionDescription: optionalString(subscriptionData, 'description', 'subscription_data') || null,
    trialEnd,
    paymentIntentMetadata: applyMetadata({}, paymentIntentData ?? {}, 'metadata', 'payment_intent_data'),
  });
  return session;
}

function lineItems({ pathParams, params }: ApiRequest, ctx: FakeStripeContext) {
  const session = mustGet(ctx.store.checkoutSessions, pathParams.id);
  const setup = ctx.store.checkoutSetups.get(session.id);
  const all = setup ? checkoutLineItems(session.id, setup.lines, setup.lineIds) : listEnvelope(`/v1/checkout/sessions/${session.id}/line_items`, []);
  const limit = optionalInteger(params, 'limit') ?? 10;
  return { ...all, data: all.data.slice(0, limit), has_more: all.data.length > limit };
}

function expire({ pathParams, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Checkout.Session {
  const session = mustGet(ctx.store.checkoutSessions, pathParams.id);
  if (session.status !== 'open') {
    throw invalidRequest(`Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`);
  }
  Object.assign(session, { status: 'expired', url: null });
  ctx.events.record('checkout.session.expired', session, eventRequest);
  return session;
}

function list({ params }: ApiRequest, ctx: FakeStripeContext) {
  const customer = optionalString(params, 'customer');
  const subscription = optionalString(params, 'subscription');
  const status = optionalEnum(params, 'status', STATUSES);
  const created = readRangeFilter(params.created, 'created');
  return listCollection(ctx.store.checkoutSessions, params, '/v1/checkout/sessions', (session: Stripe.Checkout.Session) =>
    (!customer || session.customer === customer) &&
    (!subscription || session.subscription === subscription) &&
    (!status || session.status === status) &&
    inRange(session.created, created),
  );
}

function readLines(params: FormParams, ctx: FakeStripeContext): CheckoutLine[] {
  const entries = optionalArray(params, 'line_items') ?? [];
  return entries.map((entry, index) => {
    const prefix = `line_items[${index}]`;
    if (!isFormParams(entry)) throw invalidRequest(`Invalid object: ${prefix}`, prefix);
    const priceId = optionalString(entry, 'price', prefix);
    if (!priceId) throw parameterMissing(paramName('price', prefix));
    const price = mustGet(ctx.store.prices, priceId, paramName('price', prefix));
    return { price, quantity: readLineQuantity(entry, price, prefix) };
  });
}

/** Licensed lines need a quantity of at least 1; metered lines must not have one. */
function readLineQuantity(entry: FormParams, price: Stripe.Price, prefix: string): number | null {
  const quantity = optionalInteger(entry, 'quantity', prefix);
  const param = paramName('quantity', prefix);
  if (isMetered(price)) {
    if (quantity !== undefined) throw invalidRequest(`Quantity should not be specified where usage_type is \`metered\`. Remove quantity from \`${prefix}\`.`, param);
    return null;
  }
  if (quantity === undefined) throw invalidRequest(`Quantity is required. Add \`quantity\` to \`${prefix}\`.`, param);
  if (quantity < 1) throw invalidRequest('This value must be greater than or equal to 1.', param);
  return quantity;
}

/** `mode` is optional in current API versions; recurring prices imply a subscription. */
function inferredMode(lines: CheckoutLine[]): Stripe.Checkout.Session.Mode {
  if (lines.length === 0) return 'setup';
  return lines.some((line) => line.price.type === 'recurring') ? 'subscription' : 'payment';
}

function validateLines(lines: CheckoutLine[], mode: Stripe.Checkout.Session.Mode): void {
  if (lines.length === 0 && mode !== 'setup') throw parameterMissing('line_items');
  if (mode === 'subscription' && !lines.some((line) => line.price.type === 'recurring')) {
    throw invalidRequest('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
  }
  if (mode === 'payment' && lines.some((line) => line.price.type === 'recurring')) {
    throw invalidRequest('You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.', 'line_items');
  }
  rejectMixedIntervals(lines.filter((line) => line.price.type === 'recurring').map((line) => line.price), 'line_items');
}

function readTrialEnd(subscriptionData: FormParams, now: number): number | null {
  const days = optionalInteger(subscriptionData, 'trial_period_days', 'subscription_data');
  if (days !== undefined && days > 0) return now + days * SECONDS_PER_DAY;
  return optionalInteger(subscriptionData, 'trial_end', 'subscription_data') ?? null;
}
