import type Stripe from 'stripe';
import { Collection, type Page } from '../collection.js';
import { AUTOMATIC } from '../event-recorder.js';
import type { FakeStripeContext } from '../fake-stripe.context.js';
import { testModeId } from '../ids.js';
import { buildActiveEntitlement, buildActiveEntitlementSummary } from '../objects/entitlement.object.js';
import { productIdOf } from '../objects/price.object.js';

type ActiveEntitlement = Stripe.Entitlements.ActiveEntitlement;

const ENTITLING: ReadonlySet<Stripe.Subscription.Status> = new Set(['active', 'trialing', 'past_due']);
/** A summary event carries the first page of the customer's entitlements. */
const SUMMARY_PAGE = 10;

/** Subscriptions in these states grant the features of their products. */
export function isEntitling(subscription: Stripe.Subscription): boolean {
  return ENTITLING.has(subscription.status);
}

/**
 * One active entitlement per distinct feature attached to a product of the customer's entitling
 * subscriptions, listed newest feature first like other lists.
 */
export function activeEntitlements(ctx: FakeStripeContext, customer: string): Collection<ActiveEntitlement> {
  const entitlements = new Collection<ActiveEntitlement>('entitlements.active_entitlement');
  const granted = grantedFeatures(ctx, customer);
  if (granted.size === 0) return entitlements;
  for (const feature of ctx.store.features.values()) {
    if (granted.has(feature.id)) entitlements.add(buildActiveEntitlement(entitlementId(ctx, customer, feature.id), feature));
  }
  return entitlements;
}

export function findActiveEntitlement(ctx: FakeStripeContext, id: string): ActiveEntitlement | undefined {
  for (const [key, value] of ctx.store.activeEntitlementIds) {
    if (value === id) return activeEntitlements(ctx, key.split(' ')[0]).get(id);
  }
  return undefined;
}

/**
 * Runs a change to subscriptions or to products' features, then records
 * `entitlements.active_entitlement_summary.updated` for each of `customers` whose active
 * entitlements it changed: after the change's own events, as Stripe sends it.
 */
export function trackEntitlements<T>(ctx: FakeStripeContext, customers: Iterable<string>, change: () => T): T {
  const before = new Map([...new Set(customers)].map((customer) => [customer, activeEntitlements(ctx, customer)]));
  const result = change();
  for (const [customer, previous] of before) {
    const current = activeEntitlements(ctx, customer);
    if (featureIds(previous) === featureIds(current)) continue;
    ctx.events.record('entitlements.active_entitlement_summary.updated', buildActiveEntitlementSummary(customer, firstPage(current)), AUTOMATIC, {
      entitlements: { data: firstPage(previous).data },
    });
  }
  return result;
}

function grantedFeatures(ctx: FakeStripeContext, customer: string): Set<string> {
  const granted = new Set<string>();
  if (ctx.store.productFeatures.size === 0) return granted;
  for (const subscription of ctx.store.subscriptions.values()) {
    if (subscription.customer !== customer || !isEntitling(subscription)) continue;
    for (const item of subscription.items.data) {
      for (const attached of ctx.store.productFeatures.get(productIdOf(item.price))?.values() ?? []) granted.add(attached.entitlement_feature.id);
    }
  }
  return granted;
}

/** Stripe keeps a customer's entitlement id for a feature while the feature stays granted; the fake keeps it for good. */
function entitlementId(ctx: FakeStripeContext, customer: string, feature: string): string {
  const key = `${customer} ${feature}`;
  let id = ctx.store.activeEntitlementIds.get(key);
  if (!id) ctx.store.activeEntitlementIds.set(key, (id = testModeId('ent')));
  return id;
}

function firstPage(entitlements: Collection<ActiveEntitlement>): Page<ActiveEntitlement> {
  return entitlements.page(() => true, { limit: SUMMARY_PAGE }) as Page<ActiveEntitlement>;
}

function featureIds(entitlements: Collection<ActiveEntitlement>): string {
  return entitlements
    .values()
    .map((entitlement) => entitlement.feature)
    .join(' ');
}
