import type Stripe from 'stripe';
import type { ResolvedEntitlementOptions } from '../../config/entitlement-options.js';
import { FeatureSource, PlanCatalog } from '../../config/plan-catalog.js';
import type { CustomerFeaturesWriter } from '../../state/customer-features.writer.js';
import { EntitlementSummaryHandler } from './entitlement-summary.handler.js';

/**
 * `entitlements.active_entitlement_summary.updated` as Stripe sent it at API version 2020-03-02:
 * supabase/stripe-sync-engine, packages/fastify-app/src/test/stripe/active_entitlement_summary_updated.json
 * (commit e3eeb363, Apache-2.0).
 */
const CORPUS_EVENT = {
  id: 'evt_1RqDanBRSrwpzKxHOnFoInVh',
  object: 'event',
  api_version: '2020-03-02',
  created: 1753795761,
  data: {
    object: {
      object: 'entitlements.active_entitlement_summary',
      customer: 'cus_Sll319ReSxCmEi',
      entitlements: {
        object: 'list',
        data: [
          {
            id: 'ent_test_61SzbY9Pui5KGP3yf41BRSrwpzKxHTFY',
            object: 'entitlements.active_entitlement',
            feature: 'feat_test_61SzbVaDzF2GIc5ng41BRSrwpzKxHABs',
            livemode: false,
            lookup_key: 'journeys',
          },
        ],
        has_more: false,
        url: '/v1/customer/cus_Sll319ReSxCmEi/entitlements',
      },
      livemode: false,
    },
    previous_attributes: { entitlements: { data: [] } },
  },
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  type: 'entitlements.active_entitlement_summary.updated',
} as unknown as Stripe.Event;

type ListParams = { customer: string; limit: number };

function handlerFor(featuresFrom: FeatureSource, listed: string[] = []) {
  const calls: ListParams[] = [];
  const stripe = {
    entitlements: {
      activeEntitlements: {
        list: (params: ListParams) => {
          calls.push(params);
          // What stripe-node's auto-paging gives: every entitlement of every page.
          return (async function* () {
            for (const [i, key] of listed.entries()) yield { id: `ent_${i}`, object: 'entitlements.active_entitlement', feature: `feat_${i}`, livemode: false, lookup_key: key };
          })();
        },
      },
    },
  } as unknown as Stripe;
  const catalog = new PlanCatalog([], false, featuresFrom === 'config' ? {} : { featuresFrom, stripeFeatures: ['journeys'] });
  const handler = new EntitlementSummaryHandler({ catalog } as ResolvedEntitlementOptions, stripe, {} as CustomerFeaturesWriter);
  return { handler, calls };
}

/** The corpus event with its summary object changed. */
function withSummary(change: (summary: Record<string, unknown>) => void): Stripe.Event {
  const event = structuredClone(CORPUS_EVENT);
  change(event.data.object as unknown as Record<string, unknown>);
  return event;
}

function entitlement(n: number, shape: 'flat' | 'expanded') {
  const key = `feature_${n}`;
  return shape === 'flat'
    ? { id: `ent_${n}`, object: 'entitlements.active_entitlement', feature: `feat_${n}`, livemode: false, lookup_key: key }
    : { id: `ent_${n}`, object: 'entitlements.active_entitlement', feature: { id: `feat_${n}`, object: 'entitlements.feature', lookup_key: key }, livemode: false };
}

describe('EntitlementSummaryHandler.read', () => {
  it('reads the customer, mode, lookup keys and date of the corpus payload, as JSON-safe facts', () => {
    const { handler } = handlerFor('stripe');
    const facts = handler.read(CORPUS_EVENT);
    expect(facts).toEqual({ customerId: 'cus_Sll319ReSxCmEi', livemode: false, lookupKeys: ['journeys'], hasMore: false, created: 1753795761 });
    // The inbox stores the facts as JSON: they must come back the same.
    expect(JSON.parse(JSON.stringify(facts))).toEqual(facts);
    expect(handler.subscriptionIdOf(facts!)).toBe('cus_Sll319ReSxCmEi');
  });

  it('reads a lookup key from an expanded feature, and entitlements given as a bare array', () => {
    const { handler } = handlerFor('both');
    const expanded = withSummary((summary) => {
      (summary.entitlements as { data: unknown[] }).data = [entitlement(1, 'expanded'), entitlement(2, 'flat')];
    });
    expect(handler.read(expanded)).toMatchObject({ lookupKeys: ['feature_1', 'feature_2'], hasMore: false });
    const bare = withSummary((summary) => {
      summary.entitlements = [entitlement(3, 'flat'), { id: 'ent_x', object: 'entitlements.active_entitlement', feature: 'feat_x', livemode: false }];
    });
    // An entitlement without any lookup key is skipped, not read as a feature.
    expect(handler.read(bare)).toMatchObject({ customerId: 'cus_Sll319ReSxCmEi', lookupKeys: ['feature_3'], hasMore: false });
  });

  it('says when the payload holds only the first page (has_more), and the customer of an expanded object', () => {
    const { handler } = handlerFor('stripe');
    const event = withSummary((summary) => {
      summary.customer = { id: 'cus_expanded', object: 'customer' };
      summary.entitlements = { object: 'list', data: Array.from({ length: 10 }, (_, i) => entitlement(i, 'flat')), has_more: true };
    });
    const facts = handler.read(event)!;
    expect(facts.customerId).toBe('cus_expanded');
    expect(facts.hasMore).toBe(true);
    expect(facts.lookupKeys).toHaveLength(10);
  });

  it('ignores a payload without a customer', () => {
    const { handler } = handlerFor('stripe');
    expect(handler.read(withSummary((summary) => delete summary.customer))).toBeNull();
    expect(handler.read(withSummary((summary) => (summary.customer = null)))).toBeNull();
  });

  it("ignores every summary with featuresFrom 'config'", () => {
    expect(handlerFor('config').handler.read(CORPUS_EVENT)).toBeNull();
  });
});

describe('EntitlementSummaryHandler.prepare', () => {
  it('lists every active entitlement of the customer when the payload has more, and asks nothing otherwise', async () => {
    const listed = Array.from({ length: 12 }, (_, i) => `feature_${i}`);
    const { handler, calls } = handlerFor('stripe', listed);
    const complete = handler.read(CORPUS_EVENT)!;
    expect(await handler.prepare(complete)).toBe(complete);
    expect(calls).toEqual([]);

    const partial = { ...complete, lookupKeys: listed.slice(0, 10), hasMore: true };
    expect(await handler.prepare(partial)).toEqual({ ...complete, lookupKeys: listed, hasMore: false });
    expect(calls).toEqual([{ customer: 'cus_Sll319ReSxCmEi', limit: 100 }]);
  });
});
