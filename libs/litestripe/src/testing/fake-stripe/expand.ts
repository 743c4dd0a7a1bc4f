import { invalidRequest } from './api-error.js';
import type { FakeStripeContext } from './fake-stripe.context.js';
import { chargeRefunds } from './objects/charge.object.js';
import { buildDeletedCustomer } from './objects/customer.object.js';
import { checkoutLineItems } from './objects/checkout-session.object.js';

const MAX_DEPTH = 4;

type Json = Record<string, unknown>;

/**
 * Applies `expand[]` paths (`subscription`, `data.customer`, `items.data.price.product`):
 * each id at the end of a path is replaced by a copy of the object it names.
 */
export function expandResponse(body: unknown, paths: string[], ctx: FakeStripeContext): unknown {
  if (paths.length === 0) return body;
  const copy = structuredClone(body);
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > MAX_DEPTH + 1) throw invalidRequest(`You cannot expand more than ${MAX_DEPTH} levels of a property. Property: ${path}`, 'expand');
    expandPath(copy, segments, path, ctx);
  }
  return copy;
}

function expandPath(node: unknown, segments: string[], fullPath: string, ctx: FakeStripeContext): void {
  if (Array.isArray(node)) {
    for (const element of node) expandPath(element, segments, fullPath, ctx);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Json;
  const [key, ...rest] = segments;
  if (rest.length > 0) {
    if (!(key in object)) throw cannotExpand(fullPath);
    // Ids along the path are expanded too: `payment_intent.latest_charge`.
    if (typeof object[key] === 'string') object[key] = expandedId(object[key] as string, fullPath, ctx);
    expandPath(object[key], rest, fullPath, ctx);
    return;
  }
  const value = object[key];
  if (value === undefined) {
    const virtual = virtualProperty(object, key, ctx);
    if (virtual === undefined) throw cannotExpand(fullPath);
    object[key] = virtual;
    return;
  }
  if (typeof value === 'string') object[key] = expandedId(value, fullPath, ctx);
}

function expandedId(id: string, fullPath: string, ctx: FakeStripeContext): unknown {
  const resolved = resolveId(id, ctx);
  if (resolved === undefined) throw cannotExpand(fullPath);
  return structuredClone(resolved);
}

function resolveId(id: string, ctx: FakeStripeContext): unknown {
  const { store } = ctx;
  if (id.startsWith('cus_')) return store.deletedCustomers.has(id) ? buildDeletedCustomer(id) : store.customers.get(id);
  if (id.startsWith('sub_')) return store.subscriptions.get(id);
  if (id.startsWith('price_')) return store.prices.get(id);
  if (id.startsWith('prod_')) return store.products.get(id);
  if (id.startsWith('in_')) return store.invoices.get(id);
  if (id.startsWith('cs_')) return store.checkoutSessions.get(id);
  if (id.startsWith('pi_')) return store.paymentIntents.get(id);
  if (id.startsWith('ch_')) return store.charges.get(id);
  if (id.startsWith('re_')) return store.refunds.get(id);
  if (id.startsWith('dp_')) return store.disputes.get(id);
  if (id.startsWith('feat_')) return store.features.get(id);
  return undefined;
}

/** Properties Stripe only includes when expanded. */
function virtualProperty(object: Json, key: string, ctx: FakeStripeContext): unknown {
  if (object.object === 'checkout.session' && key === 'line_items') {
    const setup = ctx.store.checkoutSetups.get(object.id as string);
    return setup ? checkoutLineItems(object.id as string, setup.lines, setup.lineIds) : undefined;
  }
  if (object.object === 'charge' && key === 'refunds') {
    return chargeRefunds(object.id as string, ctx.store.refunds.values().filter((refund) => refund.charge === object.id));
  }
  return undefined;
}

function cannotExpand(path: string) {
  return invalidRequest(`This property cannot be expanded (${path}).`, 'expand');
}
