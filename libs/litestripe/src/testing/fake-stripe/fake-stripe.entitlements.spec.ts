import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

const SUMMARY = 'entitlements.active_entitlement_summary.updated';

describe('FakeStripe entitlements', () => {
  let fake: FakeStripe;
  let stripe: Stripe;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(() => fake.reset());

  const types = (events: Stripe.Event[]) => events.map((event) => event.type);
  const summaries = (events: Stripe.Event[]) => events.filter((event) => event.type === SUMMARY);
  const summaryOf = (event: Stripe.Event) => event.data.object as Stripe.Entitlements.ActiveEntitlementSummary;
  const keysOf = (entitlements: { lookup_key: string }[]) => entitlements.map((entitlement) => entitlement.lookup_key);

  async function subscribe(price: Stripe.Price, email = 'member@example.com') {
    const customer = await stripe.customers.create({ email });
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    return { customer, subscription };
  }

  describe('features', () => {
    it('creates, retrieves and lists features by lookup key', async () => {
      const feature = await stripe.entitlements.features.create({ name: 'Exports', lookup_key: 'exports', metadata: { tier: 'pro' } });
      expect(feature).toMatchObject({ object: 'entitlements.feature', name: 'Exports', lookup_key: 'exports', active: true, livemode: false, metadata: { tier: 'pro' } });
      expect(feature.id).toMatch(/^feat_test_/);
      const other = await stripe.entitlements.features.create({ name: 'SSO', lookup_key: 'sso' });

      expect(await stripe.entitlements.features.retrieve(feature.id)).toEqual(feature);
      expect((await stripe.entitlements.features.list()).data.map((f) => f.id)).toEqual([other.id, feature.id]);
      expect((await stripe.entitlements.features.list({ lookup_key: 'sso' })).data.map((f) => f.id)).toEqual([other.id]);
      expect(fake.events.count).toBe(0);
    });

    it('refuses a taken lookup_key and missing params, as Stripe does', async () => {
      await stripe.entitlements.features.create({ name: 'Exports', lookup_key: 'exports' });
      const taken = await rejectionOf(stripe.entitlements.features.create({ name: 'Exports again', lookup_key: 'exports' }));
      expect(taken).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error', param: 'lookup_key', message: 'A feature with the lookup_key exports already exists.' });
      const unnamed = await rejectionOf(stripe.entitlements.features.create({ lookup_key: 'x' } as Stripe.Entitlements.FeatureCreateParams));
      expect(unnamed).toMatchObject({ code: 'parameter_missing', param: 'name' });
      expect(await rejectionOf(stripe.entitlements.features.retrieve('feat_test_missing'))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    });
  });

  describe('product features', () => {
    it('attaches, lists, retrieves and removes the features of a product', async () => {
      const price = fake.seedPrice({ productName: 'Pro' });
      const product = price.product as string;
      const feature = fake.seedFeature({ lookupKey: 'exports', name: 'Exports' });

      const attached = await stripe.products.createFeature(product, { entitlement_feature: feature.id });
      expect(attached).toMatchObject({ object: 'product_feature', livemode: false, entitlement_feature: feature });
      expect(attached.id).toMatch(/^prodft_/);
      expect((await stripe.products.listFeatures(product)).data.map((f) => f.id)).toEqual([attached.id]);
      expect(await stripe.products.retrieveFeature(product, attached.id)).toEqual(attached);

      const again = await rejectionOf(stripe.products.createFeature(product, { entitlement_feature: feature.id }));
      expect(again).toMatchObject({ statusCode: 400, param: 'entitlement_feature' });
      const unknown = await rejectionOf(stripe.products.createFeature(product, { entitlement_feature: 'feat_test_missing' }));
      expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'entitlement_feature' });

      expect(await stripe.products.deleteFeature(product, attached.id)).toEqual({ id: attached.id, object: 'product_feature', deleted: true });
      expect((await stripe.products.listFeatures(product)).data).toEqual([]);
      expect(await rejectionOf(stripe.products.deleteFeature(product, attached.id))).toMatchObject({ statusCode: 404 });
    });
  });

  describe('active entitlements', () => {
    it('lists one entitlement per distinct feature of the customer’s entitling subscriptions', async () => {
      const pro = fake.seedPrice({ productName: 'Pro', features: ['exports', 'sso'] });
      const addon = fake.seedPrice({ productName: 'Audit add-on', features: ['sso', 'audit_log'] });
      const { customer } = await subscribe(pro);
      await stripe.subscriptions.create({ customer: customer.id, items: [{ price: addon.id }] });
      await subscribe(addon, 'someone-else@example.com');

      const listed = await stripe.entitlements.activeEntitlements.list({ customer: customer.id });
      expect(listed).toMatchObject({ object: 'list', has_more: false, url: '/v1/entitlements/active_entitlements' });
      expect(keysOf(listed.data)).toEqual(['audit_log', 'sso', 'exports']);
      expect(fake.activeEntitlements(customer.id)).toEqual(['exports', 'sso', 'audit_log']);
      const sso = listed.data[1];
      expect(sso).toMatchObject({ object: 'entitlements.active_entitlement', feature: fake.features.find((f) => f.lookup_key === 'sso')?.id, livemode: false });
      expect(sso.id).toMatch(/^ent_test_/);
      expect(await stripe.entitlements.activeEntitlements.retrieve(sso.id)).toEqual(sso);
      const expanded = await stripe.entitlements.activeEntitlements.retrieve(sso.id, { expand: ['feature'] });
      expect(expanded.feature).toMatchObject({ object: 'entitlements.feature', lookup_key: 'sso' });
    });

    it('grants while active, trialing or past_due, and keeps each entitlement’s id', async () => {
      const pro = fake.seedPrice({ features: ['exports'] });
      const { customer, subscription } = await subscribe(pro);
      const [entitlement] = (await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data;

      fake.updateSubscription(subscription.id, { status: 'past_due' });
      expect(fake.activeEntitlements(customer.id)).toEqual(['exports']);
      fake.updateSubscription(subscription.id, { status: 'unpaid' });
      expect(fake.activeEntitlements(customer.id)).toEqual([]);
      expect(await rejectionOf(stripe.entitlements.activeEntitlements.retrieve(entitlement.id))).toMatchObject({ statusCode: 404, code: 'resource_missing' });
      fake.updateSubscription(subscription.id, { status: 'trialing' });
      expect((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data).toEqual([entitlement]);
    });

    it('requires a known customer', async () => {
      const missing = await rejectionOf(stripe.entitlements.activeEntitlements.list({} as Stripe.Entitlements.ActiveEntitlementListParams));
      expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'customer' });
      expect(await rejectionOf(stripe.entitlements.activeEntitlements.list({ customer: 'cus_missing' }))).toMatchObject({ statusCode: 404, param: 'customer' });
      const customer = await stripe.customers.create({});
      expect((await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data).toEqual([]);
    });

    it('pages with limit and starting_after', async () => {
      const keys = Array.from({ length: 12 }, (_, index) => `feature_${String(index).padStart(2, '0')}`);
      const { customer } = await subscribe(fake.seedPrice({ features: keys }));
      const first = await stripe.entitlements.activeEntitlements.list({ customer: customer.id, limit: 5 });
      expect(first.has_more).toBe(true);
      expect(keysOf(first.data)).toEqual(keys.slice(7).reverse());
      const second = await stripe.entitlements.activeEntitlements.list({ customer: customer.id, limit: 5, starting_after: first.data[4].id });
      expect(keysOf(second.data)).toEqual(keys.slice(2, 7).reverse());
      const all = await stripe.entitlements.activeEntitlements.list({ customer: customer.id, limit: 5 }).autoPagingToArray({ limit: 100 });
      expect(keysOf(all)).toEqual([...keys].reverse());
    });
  });

  describe('summary events', () => {
    it('follows the events of a new subscription, from no entitlements to its features', async () => {
      const price = fake.seedPrice({ features: ['exports', 'sso'] });
      const { customer, subscription } = await subscribe(price);

      const events = fake.events.all();
      expect(types(events).slice(-2)).toEqual(['invoice.payment_succeeded', SUMMARY]);
      const [summary] = summaries(events);
      expect(summary.request).toEqual({ id: null, idempotency_key: null });
      expect(summaryOf(summary)).toEqual({
        object: 'entitlements.active_entitlement_summary',
        customer: customer.id,
        livemode: false,
        entitlements: {
          object: 'list',
          data: (await stripe.entitlements.activeEntitlements.list({ customer: customer.id })).data,
          has_more: false,
          url: `/v1/customer/${customer.id}/entitlements`,
        },
      });
      expect(summary.data.previous_attributes).toEqual({ entitlements: { data: [] } });

      const metadataOnly = fake.updateSubscription(subscription.id, { metadata: { note: 'vip' } });
      expect(types(metadataOnly.events)).toEqual(['customer.subscription.updated']);

      const before = summaryOf(summary).entitlements.data;
      await stripe.subscriptions.cancel(subscription.id);
      const afterCancel = fake.events.all().slice(-2);
      expect(types(afterCancel)).toEqual(['customer.subscription.deleted', SUMMARY]);
      expect(summaryOf(afterCancel[1]).entitlements.data).toEqual([]);
      expect(afterCancel[1].data.previous_attributes).toEqual({ entitlements: { data: before } });
    });

    it('is sent when a checkout starts a subscription, and not for a subscription that starts incomplete', async () => {
      const price = fake.seedPrice({ features: ['exports'] });
      const session = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: price.id, quantity: 1 }] });
      const completed = fake.completeCheckoutSession(session.id);
      expect(types(completed.events).slice(-2)).toEqual([SUMMARY, 'checkout.session.completed']);
      expect(keysOf(summaryOf(summaries(completed.events)[0]).entitlements.data)).toEqual(['exports']);

      const declined = await stripe.customers.create({});
      fake.failPayments(declined.id);
      const incomplete = await stripe.subscriptions.create({ customer: declined.id, items: [{ price: price.id }] });
      expect(incomplete.status).toBe('incomplete');
      expect(summaries(fake.events.all()).map((event) => summaryOf(event).customer)).not.toContain(declined.id);
    });

    it('follows attaching and removing features, for the product’s current subscribers only', async () => {
      const price = fake.seedPrice({ productName: 'Pro' });
      const product = price.product as string;
      const { customer } = await subscribe(price);
      const { subscription: gone } = await subscribe(price, 'former@example.com');
      await stripe.subscriptions.cancel(gone.id);
      await subscribe(fake.seedPrice({ productName: 'Other' }), 'other@example.com');
      const exports = fake.seedFeature({ lookupKey: 'exports' });

      const attached = fake.attachFeature(product, 'exports');
      expect(attached.result.entitlement_feature.id).toBe(exports.id);
      expect(types(attached.events)).toEqual([SUMMARY]);
      expect(summaryOf(attached.events[0])).toMatchObject({ customer: customer.id, entitlements: { data: [{ lookup_key: 'exports', feature: exports.id }] } });

      const sso = await stripe.entitlements.features.create({ name: 'SSO', lookup_key: 'sso' });
      const viaApi = await stripe.products.createFeature(product, { entitlement_feature: sso.id });
      expect(keysOf(summaryOf(fake.events.all().at(-1) as Stripe.Event).entitlements.data)).toEqual(['sso', 'exports']);

      const eventsBefore = fake.events.count;
      await stripe.products.deleteFeature(product, viaApi.id);
      const removed = fake.events.all().slice(eventsBefore);
      expect(types(removed)).toEqual([SUMMARY]);
      expect(keysOf(summaryOf(removed[0]).entitlements.data)).toEqual(['exports']);
      expect(keysOf((removed[0].data.previous_attributes as { entitlements: { data: { lookup_key: string }[] } }).entitlements.data)).toEqual(['sso', 'exports']);
      expect(() => fake.attachFeature(product, 'missing')).toThrow(/no feature/);
    });

    it('carries the first 10 entitlements and has_more with 11 features', async () => {
      const keys = Array.from({ length: 11 }, (_, index) => `feature_${String(index).padStart(2, '0')}`);
      const { customer } = await subscribe(fake.seedPrice({ features: keys }));
      const [summary] = summaries(fake.events.all());
      expect(summaryOf(summary).customer).toBe(customer.id);
      expect(summaryOf(summary).entitlements.has_more).toBe(true);
      expect(keysOf(summaryOf(summary).entitlements.data)).toEqual(keys.slice(1).reverse());
    });
  });

  it('keeps features and their attachments with the catalog on reset({ keepCatalog })', async () => {
    const price = fake.seedPrice({ features: ['exports'] });
    const { customer } = await subscribe(price);
    fake.reset({ keepCatalog: true });
    expect(fake.features.count).toBe(1);
    expect((await stripe.products.listFeatures(price.product as string)).data).toHaveLength(1);
    expect(fake.activeEntitlements(customer.id)).toEqual([]);
    fake.reset();
    expect(fake.features.count).toBe(0);
  });
});
