import type Stripe from 'stripe';
import { invalidRequest, parameterMissing } from '../api-error.js';
import { previousAttributes } from '../billing/previous-attributes.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { FormParams } from '../form-body.parser.js';
import { listCollection } from '../list-page.js';
import { buildPrice, type PriceInput, type RecurringInterval } from '../objects/price.object.js';
import { buildProduct } from '../objects/product.object.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import {
  applyMetadata,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalString,
  requiredString,
  stringArray,
} from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';
import { mustGet } from './lookup.js';

const INTERVALS: readonly RecurringInterval[] = ['day', 'week', 'month', 'year'];
const USAGE_TYPES = ['licensed', 'metered'] as const;

export const priceRoutes: Route[] = [
  { method: 'POST', pattern: '/v1/prices', handler: createPrice },
  { method: 'GET', pattern: '/v1/prices/:id', handler: ({ pathParams }, ctx) => mustGet(ctx.store.prices, pathParams.id) },
  { method: 'POST', pattern: '/v1/prices/:id', handler: updatePrice },
  { method: 'GET', pattern: '/v1/prices', handler: listPrices },
];

function createPrice({ params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Price {
  const currency = requiredString(params, 'currency');
  const unitAmount = optionalInteger(params, 'unit_amount');
  if (unitAmount === undefined) throw parameterMissing('unit_amount');
  const lookupKey = optionalString(params, 'lookup_key') || null;
  const price = buildPrice({
    product: resolveProduct(params, ctx, eventRequest),
    currency,
    unitAmount,
    recurring: readRecurring(params, ctx),
    lookupKey,
    nickname: optionalString(params, 'nickname') || null,
    metadata: applyMetadata({}, params),
    active: optionalBoolean(params, 'active'),
    created: ctx.clock.now(),
  });
  claimLookupKey(ctx, lookupKey, optionalBoolean(params, 'transfer_lookup_key') ?? false, eventRequest);
  ctx.store.prices.add(price);
  ctx.events.record('price.created', price, eventRequest);
  return price;
}

function updatePrice({ pathParams, params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Price {
  const price = mustGet(ctx.store.prices, pathParams.id);
  const before = structuredClone(price);
  const lookupKey = optionalString(params, 'lookup_key');
  if (lookupKey !== undefined && lookupKey !== price.lookup_key) {
    claimLookupKey(ctx, lookupKey || null, optionalBoolean(params, 'transfer_lookup_key') ?? false, eventRequest);
    price.lookup_key = lookupKey || null;
  }
  price.active = optionalBoolean(params, 'active') ?? price.active;
  const nickname = optionalString(params, 'nickname');
  if (nickname !== undefined) price.nickname = nickname || null;
  price.metadata = applyMetadata(price.metadata, params);
  const previous = previousAttributes(before, price);
  if (Object.keys(previous).length > 0) ctx.events.record('price.updated', price, eventRequest, previous);
  return price;
}

function listPrices({ params }: ApiRequest, ctx: FakeStripeContext) {
  const active = optionalBoolean(params, 'active');
  const lookupKeys = stringArray(params, 'lookup_keys');
  const product = optionalString(params, 'product');
  const type = optionalString(params, 'type');
  const currency = optionalString(params, 'currency');
  const created = readRangeFilter(params.created, 'created');
  const recurring = optionalObject(params, 'recurring') ?? {};
  const interval = optionalEnum(recurring, 'interval', INTERVALS, 'recurring');
  const usageType = optionalEnum(recurring, 'usage_type', USAGE_TYPES, 'recurring');
  const meter = optionalString(recurring, 'meter', 'recurring');
  return listCollection(ctx.store.prices, params, '/v1/prices', (price: Stripe.Price) =>
    (active === undefined ? price.active : price.active === active) &&
    (!lookupKeys || (price.lookup_key !== null && lookupKeys.includes(price.lookup_key))) &&
    (!product || price.product === product) &&
    (!type || price.type === type) &&
    (!currency || price.currency === currency.toLowerCase()) &&
    (!interval || price.recurring?.interval === interval) &&
    (!usageType || price.recurring?.usage_type === usageType) &&
    (!meter || price.recurring?.meter === meter) &&
    inRange(price.created, created),
  );
}

function resolveProduct(params: FormParams, ctx: FakeStripeContext, eventRequest: Stripe.Event.Request): string {
  const productId = optionalString(params, 'product');
  if (productId) return mustGet(ctx.store.products, productId, 'product').id;
  const productData = optionalObject(params, 'product_data');
  if (!productData) throw parameterMissing('product');
  const product = ctx.store.products.add(
    buildProduct({ name: requiredString(productData, 'name', 'product_data'), metadata: applyMetadata({}, productData, 'metadata', 'product_data'), created: ctx.clock.now() }),
  );
  ctx.events.record('product.created', product, eventRequest);
  return product.id;
}

function readRecurring(params: FormParams, ctx: FakeStripeContext): PriceInput['recurring'] {
  const recurring = optionalObject(params, 'recurring');
  if (!recurring) return null;
  const interval = optionalEnum(recurring, 'interval', INTERVALS, 'recurring');
  if (!interval) throw parameterMissing('recurring[interval]');
  return {
    interval,
    intervalCount: optionalInteger(recurring, 'interval_count', 'recurring') ?? 1,
    trialPeriodDays: optionalInteger(recurring, 'trial_period_days', 'recurring') ?? null,
    meter: readMeter(recurring, ctx),
  };
}

/** `recurring[usage_type]=metered` needs `recurring[meter]` (an active meter), and a meter needs `metered`. */
function readMeter(recurring: FormParams, ctx: FakeStripeContext): string | null {
  const usageType = optionalEnum(recurring, 'usage_type', USAGE_TYPES, 'recurring') ?? 'licensed';
  const meterId = optionalString(recurring, 'meter', 'recurring') || null;
  if (usageType === 'licensed') {
    if (meterId) throw invalidRequest('A meter can only be set on a price with `recurring[usage_type]=metered`.', 'recurring[meter]');
    return null;
  }
  if (!meterId) throw invalidRequest('Metered prices must be backed by a meter: pass `recurring[meter]`.', 'recurring[meter]');
  const meter = mustGet(ctx.store.meters, meterId, 'recurring[meter]');
  if (meter.status !== 'active') throw invalidRequest(`The meter \`${meter.id}\` is inactive; a price can only use an active meter.`, 'recurring[meter]');
  return meter.id;
}

/** Lookup keys are unique: taking one from another price needs `transfer_lookup_key`. */
function claimLookupKey(ctx: FakeStripeContext, lookupKey: string | null, transfer: boolean, eventRequest: Stripe.Event.Request): void {
  if (lookupKey === null) return;
  const holder = ctx.store.prices.find((price) => price.lookup_key === lookupKey);
  if (!holder) return;
  if (!transfer) throw invalidRequest(`A price (\`${holder.id}\`) already uses that lookup key.`, 'lookup_key');
  const before = structuredClone(holder);
  holder.lookup_key = null;
  ctx.events.record('price.updated', holder, eventRequest, previousAttributes(before, holder));
}
