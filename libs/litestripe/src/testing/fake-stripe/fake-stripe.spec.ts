import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

interface ErrorBody {
  error: { type: string; message: string };
}

describe('FakeStripe through the stripe client: catalog, customers, subscriptions', () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  let monthly: Stripe.Price;
  let yearly: Stripe.Price;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(async () => {
    fake.reset();
    const product = await stripe.products.create({ name: 'Pro', metadata: { tier: 'pro' } });
    monthly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' }, lookup_key: 'pro_monthly' });
    yearly = await stripe.prices.create({ product: product.id, currency: 'usd', unit_amount: 15000, recurring: { interval: 'year' }, lookup_key: 'pro_yearly' });
  });

  it('serves on a random port with a client config to spread into Stripe', () => {
    expect(fake.port).toBeGreaterThan(0);
    expect(fake.url).toBe(`http://127.0.0.1:${fake.port}`);
    expect(fake.clientConfig()).toEqual({ host: '127.0.0.1', port: fake.port, protocol: 'http' });
  });

  describe('prices and products', () => {
    it('creates prices shaped like Stripe and finds them by lookup key', async () => {
      expect(monthly).toMatchObject({
        object: 'price',
        type: 'recurring',
        currency: 'usd',
        unit_amount: 1500,
        lookup_key: 'pro_monthly',
        livemode: false,
        recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
      });
      expect(monthly.id).toMatch(/^price_[A-Za-z0-9]{24}$/);
      expect(monthly.product).toMatch(/^prod_/);
      const found = await stripe.prices.list({ lookup_keys: ['pro_yearly', 'missing'] });
      expect(found.object).toBe('list');
      expect(found.url).toBe('/v1/prices');
      expect(found.data.map((price) => price.id)).toEqual([yearly.id]);
      expect((await stripe.prices.retrieve(monthly.id)).lookup_key).toBe('pro_monthly');
    });

    it('creates the product inline from product_data and expands it on request', async () => {
      const price = await stripe.prices.create({ currency: 'eur', unit_amount: 900, product_data: { name: 'Basic' }, recurring: { interval: 'month' }, expand: ['product'] });
      expect((price.product as Stripe.Product).name).toBe('Basic');
      expect((price.product as Stripe.Product).object).toBe('product');
    });

    it('keeps lookup keys unique unless transfer_lookup_key is set', async () => {
      const params = { currency: 'usd', unit_amount: 1700, product: monthly.product as string, recurring: { interval: 'month' as const }, lookup_key: 'pro_monthly' };
      const error = await rejectionOf(stripe.prices.create(params));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.param).toBe('lookup_key');
      const moved = await stripe.prices.create({ ...params, transfer_lookup_key: true });
      expect(moved.lookup_key).toBe('pro_monthly');
      expect((await stripe.prices.retrieve(monthly.id)).lookup_key).toBeNull();
    });
  });

  describe('customers', () => {
    it('creates, retrieves, updates (empty string unsets) and lists by email', async () => {
      const created = await stripe.customers.create({ email: 'ada@example.com', name: 'Ada', metadata: { account: 'a1', plan: 'pro' } });
      expect(created).toMatchObject({ object: 'customer', email: 'ada@example.com', metadata: { account: 'a1', plan: 'pro' }, livemode: false });
      expect(created.id).toMatch(/^cus_/);
      await stripe.customers.create({ email: 'bob@example.com' });

      const updated = await stripe.customers.update(created.id, { name: 'Ada L.', metadata: { plan: '' } });
      expect(updated.name).toBe('Ada L.');
      expect(updated.metadata).toEqual({ account: 'a1' });
      expect((await stripe.customers.retrieve(created.id)) as Stripe.Customer).toMatchObject({ name: 'Ada L.' });

      const byEmail = await stripe.customers.list({ email: 'ada@example.com' });
      expect(byEmail.data.map((customer) => customer.id)).toEqual([created.id]);
      expect((await stripe.customers.list()).data).toHaveLength(2);
    });

    it('deletes a customer, cancels its subscriptions and keeps a deleted stub retrievable', async () => {
      const customer = await stripe.customers.create({ email: 'gone@example.com' });
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const deleted = await stripe.customers.del(customer.id);
      expect(deleted).toMatchObject({ id: customer.id, object: 'customer', deleted: true });
      expect(await stripe.customers.retrieve(customer.id)).toMatchObject({ id: customer.id, deleted: true });
      expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
      expect((await stripe.customers.list({ email: 'gone@example.com' })).data).toHaveLength(0);
      const error = await rejectionOf(stripe.customers.update(customer.id, { name: 'x' }));
      expect(error.code).toBe('resource_missing');
    });
  });

  describe('subscriptions', () => {
    let customer: Stripe.Customer;

    beforeEach(async () => {
      customer = await stripe.customers.create({ email: 'sub@example.com' });
    });

    it('creates an active subscription in the current (2025+) shape', async () => {
      const subscription = await stripe.subscriptions.create({
        customer: customer.id,
        items: [{ price: monthly.id, quantity: 3 }],
        metadata: { account: 'a1' },
      });
      expect(subscription).toMatchObject({ object: 'subscription', status: 'active', customer: customer.id, metadata: { account: 'a1' }, livemode: false, cancel_at_period_end: false });
      expect(subscription.id).toMatch(/^sub_/);
      expect(subscription).not.toHaveProperty('current_period_start');
      expect(subscription).not.toHaveProperty('current_period_end');
      expect(subscription).not.toHaveProperty('plan');
      expect(subscription.items.object).toBe('list');
      const [item] = subscription.items.data;
      expect(item).toMatchObject({ object: 'subscription_item', quantity: 3, subscription: subscription.id });
      expect(item.price).toMatchObject({ id: monthly.id, object: 'price', lookup_key: 'pro_monthly', product: monthly.product });
      expect(item.current_period_start).toBe(subscription.created);
      expect(item.current_period_end - item.current_period_start).toBeGreaterThanOrEqual(28 * 86_400);
      expect(item.current_period_end - item.current_period_start).toBeLessThanOrEqual(31 * 86_400);
      expect(subscription.latest_invoice).toMatch(/^in_/);
      expect(subscription.lastResponse.requestId).toMatch(/^req_/);
    });

    it('starts a trial from trial_period_days or trial_end, and can be scheduled to cancel', async () => {
      const trial = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], trial_period_days: 14, cancel_at_period_end: true });
      expect(trial.status).toBe('trialing');
      expect(trial.trial_end).toBe(trial.created + 14 * 86_400);
      expect(trial.items.data[0].current_period_end).toBe(trial.trial_end);
      expect(trial.cancel_at_period_end).toBe(true);
      expect(trial.cancel_at).toBe(trial.trial_end);

      const trialEnd = fake.now() + 3 * 86_400;
      const byTimestamp = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: yearly.id }], trial_end: trialEnd });
      expect(byTimestamp).toMatchObject({ status: 'trialing', trial_end: trialEnd });
    });

    it('updates price, quantity, metadata, cancel_at_period_end and pause_collection', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }], metadata: { account: 'a1', keep: 'yes' } });
      const itemId = subscription.items.data[0].id;

      const changed = await stripe.subscriptions.update(subscription.id, {
        items: [{ id: itemId, price: yearly.id, quantity: 2 }],
        proration_behavior: 'create_prorations',
        metadata: { account: '', plan: 'pro' },
      });
      expect(changed.items.data).toHaveLength(1);
      expect(changed.items.data[0]).toMatchObject({ id: itemId, quantity: 2, price: { id: yearly.id, lookup_key: 'pro_yearly' } });
      expect(changed.metadata).toEqual({ keep: 'yes', plan: 'pro' });

      const cancelling = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
      expect(cancelling).toMatchObject({ status: 'active', cancel_at_period_end: true, cancel_at: cancelling.items.data[0].current_period_end });
      expect(cancelling.canceled_at).not.toBeNull();
      const kept = await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: false });
      expect(kept).toMatchObject({ cancel_at_period_end: false, cancel_at: null, canceled_at: null });

      const paused = await stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'void' } });
      expect(paused.pause_collection).toEqual({ behavior: 'void', resumes_at: null });
      const unpaused = await stripe.subscriptions.update(subscription.id, { pause_collection: '' });
      expect(unpaused.pause_collection).toBeNull();
    });

    it('rejects invalid updates without changing the subscription', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const badProration = await rejectionOf(stripe.subscriptions.update(subscription.id, { proration_behavior: 'sometimes' as 'none', metadata: { a: 'b' } }));
      expect(badProration).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(badProration.param).toBe('proration_behavior');
      const unknownPrice = await rejectionOf(stripe.subscriptions.update(subscription.id, { items: [{ id: subscription.items.data[0].id, price: 'price_nope' }] }));
      expect(unknownPrice).toMatchObject({ code: 'resource_missing', param: 'items[0][price]', statusCode: 404 });
      expect(fake.subscriptions.get(subscription.id)?.metadata).toEqual({});
    });

    it('cancels with DELETE and lists canceled subscriptions only with status=all or canceled', async () => {
      const kept = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const gone = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const canceled = await stripe.subscriptions.cancel(gone.id, { cancellation_details: { comment: 'too pricey', feedback: 'too_expensive' } });
      expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { comment: 'too pricey', feedback: 'too_expensive', reason: 'cancellation_requested' } });
      expect(canceled.ended_at).toBe(fake.now());

      expect((await stripe.subscriptions.list()).data.map((s) => s.id)).toEqual([kept.id]);
      expect((await stripe.subscriptions.list({ status: 'all' })).data.map((s) => s.id)).toEqual([gone.id, kept.id]);
      expect((await stripe.subscriptions.list({ status: 'canceled' })).data.map((s) => s.id)).toEqual([gone.id]);
      expect((await rejectionOf(stripe.subscriptions.cancel(gone.id))).statusCode).toBe(400);
      expect(fake.events.find((event) => event.type === 'customer.subscription.deleted')?.data.object).toMatchObject({ id: gone.id, status: 'canceled' });
    });

    it('resumes only paused subscriptions', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const notPaused = await rejectionOf(stripe.subscriptions.resume(subscription.id));
      expect(notPaused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

      fake.updateSubscription(subscription.id, { status: 'paused' });
      const resumed = await stripe.subscriptions.resume(subscription.id, { billing_cycle_anchor: { type: 'now' } });
      expect(resumed.status).toBe('active');
      expect(resumed.items.data[0].current_period_start).toBe(fake.now());
      const types = (await stripe.events.list({ type: 'customer.subscription.*', limit: 5 })).data.map((event) => event.type);
      expect(types.slice(0, 2)).toEqual(['customer.subscription.resumed', 'customer.subscription.updated']);
    });

    it('filters lists by customer and price', async () => {
      const other = await stripe.customers.create({ email: 'other@example.com' });
      const mine = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id }] });
      const theirs = await stripe.subscriptions.create({ customer: other.id, items: [{ price: yearly.id }] });
      expect((await stripe.subscriptions.list({ customer: customer.id })).data.map((s) => s.id)).toEqual([mine.id]);
      expect((await stripe.subscriptions.list({ price: yearly.id })).data.map((s) => s.id)).toEqual([theirs.id]);
    });

    it('expands the latest invoice in the 2025+ invoice shape', async () => {
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: monthly.id, quantity: 2 }], expand: ['latest_invoice', 'customer'] });
      const invoice = subscription.latest_invoice as Stripe.Invoice;
      expect(invoice).toMatchObject({ object: 'invoice', status: 'paid', billing_reason: 'subscription_create', amount_paid: 3000, customer: customer.id });
      expect(invoice.parent).toMatchObject({ type: 'subscription_details', subscription_details: { subscription: subscription.id } });
      expect(invoice.lines.data[0].parent?.subscription_item_details?.subscription_item).toBe(subscription.items.data[0].id);
      expect((subscription.customer as Stripe.Customer).email).toBe('sub@example.com');
    });
  });

  describe('errors', () => {
    it('answers unknown ids with 404 resource_missing', async () => {
      const error = await rejectionOf(stripe.subscriptions.retrieve('sub_doesnotexist'));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', rawType: 'invalid_request_error' });
      expect(error.message).toBe("No such subscription: 'sub_doesnotexist'");
      expect(error.doc_url).toBe('https://stripe.com/docs/error-codes/resource-missing');
      expect(error.requestId).toMatch(/^req_/);
    });

    it('answers missing params with 400 parameter_missing', async () => {
      const error = await rejectionOf(stripe.subscriptions.create({ items: [{ price: monthly.id }] }));
      expect(error).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'customer', rawType: 'invalid_request_error' });
      const noPrice = await rejectionOf(stripe.prices.create({ currency: 'usd', unit_amount: 100 }));
      expect(noPrice).toMatchObject({ code: 'parameter_missing', param: 'product' });
    });

    it('answers unknown URLs like Stripe', async () => {
      const response = await fetch(`${fake.url}/v1/nothing_here`, { headers: { Authorization: 'Bearer sk_test_x' } });
      expect(response.status).toBe(404);
      expect(response.headers.get('request-id')).toMatch(/^req_/);
      expect(((await response.json()) as ErrorBody).error.message).toContain('Unrecognized request URL (GET: /v1/nothing_here)');
    });

    it('requires a secret or restricted key (401 otherwise)', async () => {
      const noKey = await fetch(`${fake.url}/v1/customers`);
      expect(noKey.status).toBe(401);
      expect(noKey.headers.get('request-id')).toMatch(/^req_/);
      expect(((await noKey.json()) as ErrorBody).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('You did not provide an API key') });

      const publishable = await rejectionOf(stripeClient(fake, {}, 'pk_test_123').customers.list());
      expect(publishable).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(publishable.statusCode).toBe(401);

      await expect(stripeClient(fake, {}, 'rk_test_restricted').customers.list()).resolves.toMatchObject({ object: 'list' });
      await expect(stripeClient(fake, {}, 'sk_live_whatever').customers.list()).resolves.toMatchObject({ object: 'list' });
    });

    it('accepts only the configured keys when apiKeys is set', async () => {
      const strict = await FakeStripe.start({ apiKeys: ['sk_test_allowed'] });
      try {
        await expect(stripeClient(strict, {}, 'sk_test_allowed').customers.list()).resolves.toMatchObject({ data: [] });
        const error = await rejectionOf(stripeClient(strict, {}, 'sk_test_other_key').customers.list());
        expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
        expect(error.message).toMatch(/^Invalid API Key provided: sk_test_\*+_key$/);
      } finally {
        await strict.stop();
      }
    });
  });
});
