import type Stripe from 'stripe';
import { resourceMissing } from '../api-error.js';
import { previousAttributes } from '../billing/previous-attributes.js';
import { endSubscription } from '../billing/subscription-end.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import type { FormParams } from '../form-body.parser.js';
import { listCollection } from '../list-page.js';
import { buildCustomer, buildDeletedCustomer } from '../objects/customer.object.js';
import { inRange, readRangeFilter } from '../range-filter.js';
import { applyMetadata, optionalString } from '../request-params.js';
import type { ApiRequest, Route } from '../router.js';
import { mustGet } from './lookup.js';

const EDITABLE = ['email', 'name', 'description', 'phone'] as const;

export const customerRoutes: Route[] = [
  { method: 'POST', pattern: '/v1/customers', handler: createCustomer },
  { method: 'GET', pattern: '/v1/customers/:id', handler: retrieveCustomer },
  { method: 'POST', pattern: '/v1/customers/:id', handler: updateCustomer },
  { method: 'DELETE', pattern: '/v1/customers/:id', handler: deleteCustomer },
  { method: 'GET', pattern: '/v1/customers', handler: listCustomers },
];

function createCustomer({ params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Customer {
  const customer = buildCustomer({ ...readEditable(params), metadata: applyMetadata({}, params), created: ctx.clock.now() });
  ctx.store.customers.add(customer);
  ctx.events.record('customer.created', customer, eventRequest);
  return customer;
}

/** Deleted customers stay retrievable as `{ id, object, deleted: true }`, like on Stripe. */
function retrieveCustomer({ pathParams }: ApiRequest, ctx: FakeStripeContext): Stripe.Customer | Stripe.DeletedCustomer {
  if (ctx.store.deletedCustomers.has(pathParams.id)) return buildDeletedCustomer(pathParams.id);
  return mustGet(ctx.store.customers, pathParams.id);
}

function updateCustomer({ pathParams, params, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.Customer {
  const customer = mustGet(ctx.store.customers, pathParams.id);
  const before = structuredClone(customer);
  for (const [key, value] of Object.entries(readEditable(params))) {
    if (value !== undefined) customer[key as (typeof EDITABLE)[number]] = value;
  }
  customer.metadata = applyMetadata(customer.metadata, params);
  const previous = previousAttributes(before, customer);
  if (Object.keys(previous).length > 0) ctx.events.record('customer.updated', customer, eventRequest, previous);
  return customer;
}

/** Deleting a customer cancels its subscriptions first, as Stripe does. */
function deleteCustomer({ pathParams, eventRequest }: ApiRequest, ctx: FakeStripeContext): Stripe.DeletedCustomer {
  const customer = ctx.store.customers.get(pathParams.id);
  if (!customer) throw resourceMissing('customer', pathParams.id);
  const now = ctx.clock.now();
  for (const subscription of ctx.store.subscriptions.values()) {
    if (subscription.customer !== customer.id || subscription.status === 'canceled' || subscription.status === 'incomplete_expired') continue;
    endSubscription(ctx, subscription, { endedAt: now, canceledAt: now, reason: 'cancellation_requested' }, eventRequest);
  }
  ctx.store.customers.remove(customer.id);
  ctx.store.deletedCustomers.add(customer.id);
  ctx.events.record('customer.deleted', customer, eventRequest);
  return buildDeletedCustomer(customer.id);
}

function listCustomers({ params }: ApiRequest, ctx: FakeStripeContext) {
  const email = optionalString(params, 'email');
  const created = readRangeFilter(params.created, 'created');
  return listCollection(ctx.store.customers, params, '/v1/customers', (customer: Stripe.Customer) =>
    (email === undefined || customer.email === email) && inRange(customer.created, created),
  );
}

function readEditable(params: FormParams): Partial<Record<(typeof EDITABLE)[number], string | null>> {
  const fields: Partial<Record<(typeof EDITABLE)[number], string | null>> = {};
  for (const key of EDITABLE) {
    const value = optionalString(params, key);
    if (value !== undefined) fields[key] = value === '' ? null : value;
  }
  return fields;
}
