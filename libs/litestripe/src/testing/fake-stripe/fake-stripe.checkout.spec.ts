import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

describe('FakeStripe checkout and billing portal', () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  let price: Stripe.Price;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(async () => {
    fake.reset();
    price = await stripe.prices.create({ currency: 'usd', unit_amount: 2500, recurring: { interval: 'month' }, product_data: { name: 'Team' }, lookup_key: 'team' });
  });

  function createSession(extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
    return stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id, quantity: 2 }],
      client_reference_id: 'account_42',
      customer_email: 'buyer@example.com',
      subscription_data: { metadata: { account: 'account_42' } },
      success_url: 'https://app.example.com/done?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://app.example.com/cancel',
      allow_promotion_codes: true,
      metadata: { source: 'pricing_page' },
      ...extra,
    });
  }

  it('creates an open session with a hosted URL on the fake', async () => {
    const session = await createSession();
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      client_reference_id: 'account_42',
      customer: null,
      customer_email: 'buyer@example.com',
      subscription: null,
      allow_promotion_codes: true,
      amount_total: 5000,
      currency: 'usd',
      metadata: { source: 'pricing_page' },
      success_url: 'https://app.example.com/done?session={CHECKOUT_SESSION_ID}',
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${fake.url}/checkout/${session.id}`);
    expect((await stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('completes like a paid checkout: customer, active subscription, events, expandable subscription', async () => {
    const session = await createSession();
    const completed = fake.completeCheckoutSession(session.id);

    expect(completed.customer.email).toBe('buyer@example.com');
    expect(completed.subscription).toMatchObject({ status: 'active', customer: completed.customer.id, metadata: { account: 'account_42' } });
    expect(completed.events.map((event) => event.type)).toEqual([
      'customer.created',
      'customer.subscription.created',
      'invoice.created',
      'invoice.finalized',
      'invoice.paid',
      'invoice.payment_succeeded',
      'checkout.session.completed',
    ]);
    const paid = completed.events.find((event) => event.type === 'invoice.paid')?.data.object as Stripe.Invoice;
    expect(paid.parent?.subscription_details?.subscription).toBe(completed.subscription?.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 5000, billing_reason: 'subscription_create' });

    const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ['subscription', 'line_items'] });
    expect(retrieved).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      customer: completed.customer.id,
      customer_details: { email: 'buyer@example.com' },
      url: null,
    });
    const subscription = retrieved.subscription as Stripe.Subscription;
    expect(subscription).toMatchObject({ id: completed.subscription?.id, object: 'subscription', status: 'active' });
    expect(subscription.items.data[0]).toMatchObject({ quantity: 2, price: { id: price.id, lookup_key: 'team' } });
    expect(retrieved.line_items?.data[0]).toMatchObject({ object: 'item', quantity: 2, amount_total: 5000, price: { id: price.id } });

    const completedEvent = await stripe.events.retrieve(completed.events[completed.events.length - 1].id);
    expect(completedEvent.data.object).toMatchObject({ id: session.id, status: 'complete', subscription: completed.subscription?.id });
  });

  it('uses an existing customer and starts a trial from subscription_data', async () => {
    const customer = await stripe.customers.create({ email: 'known@example.com' });
    const session = await createSession({ customer: customer.id, customer_email: undefined, subscription_data: { trial_period_days: 7 } });
    const completed = fake.completeCheckoutSession(session.id, { email: 'ignored@example.com' });
    expect(completed.customer.id).toBe(customer.id);
    expect(completed.events.map((event) => event.type)).not.toContain('customer.created');
    expect(completed.subscription).toMatchObject({ status: 'trialing', trial_end: session.created + 7 * 86_400 });
    // Nothing is charged today, which Stripe reports as no_payment_required rather than paid.
    expect(completed.session).toMatchObject({ status: 'complete', amount_total: 0, payment_status: 'no_payment_required' });
  });

  it('lists sessions by customer and refuses to complete twice', async () => {
    const session = await createSession();
    const { customer } = fake.completeCheckoutSession(session.id, { email: 'paid@example.com' });
    await createSession();
    const listed = await stripe.checkout.sessions.list({ customer: customer.id });
    expect(listed.data.map((s) => s.id)).toEqual([session.id]);
    expect((await stripe.checkout.sessions.list()).data).toHaveLength(2);
    expect(() => fake.completeCheckoutSession(session.id)).toThrow(/complete/);
  });

  it('validates like Stripe', async () => {
    const customer = await stripe.customers.create({});
    const both = await rejectionOf(createSession({ customer: customer.id }));
    expect(both).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error', param: 'customer_email' });
    const unknownPrice = await rejectionOf(createSession({ line_items: [{ price: 'price_missing', quantity: 1 }] }));
    expect(unknownPrice).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'line_items[0][price]' });
    const noLines = await rejectionOf(createSession({ line_items: [] }));
    expect(noLines).toMatchObject({ code: 'parameter_missing', param: 'line_items' });
  });

  it('expires an open session', async () => {
    const session = await createSession();
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    expect(fake.events.find((event) => event.type === 'checkout.session.expired')).toBeDefined();
  });

  it('serves a hosted checkout page whose Pay button completes the session and redirects to success_url', async () => {
    const session = await createSession();
    const page = await fetch(session.url as string);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`/checkout/${session.id}/pay`);

    const paid = await fetch(`${session.url}/pay`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'email=browser%40example.com',
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`https://app.example.com/done?session=${session.id}`);
    expect(fake.checkoutSessions.get(session.id)?.status).toBe('complete');
    expect(fake.customers.find((customer) => customer.email === 'browser@example.com')).toBeDefined();
  });

  describe('billing portal', () => {
    it('creates a portal session for a customer', async () => {
      const customer = await stripe.customers.create({ email: 'portal@example.com' });
      const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://app.example.com/account' });
      expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'https://app.example.com/account', livemode: false });
      expect(portal.id).toMatch(/^bps_/);
      expect(portal.url).toBe(`${fake.url}/billing_portal/${portal.id}`);
    });

    it('rejects unknown customers', async () => {
      const error = await rejectionOf(stripe.billingPortal.sessions.create({ customer: 'cus_unknown', return_url: 'https://app.example.com' }));
      expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'customer' });
    });

    it('lets the hosted portal schedule a cancellation', async () => {
      const customer = await stripe.customers.create({});
      const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
      const portal = await stripe.billingPortal.sessions.create({ customer: customer.id });
      const answer = await fetch(`${portal.url}/subscriptions/${subscription.id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'cancel_at_period_end=true',
        redirect: 'manual',
      });
      expect(answer.status).toBe(303);
      expect((await stripe.subscriptions.retrieve(subscription.id)).cancel_at_period_end).toBe(true);
      const updated = await stripe.events.list({ type: 'customer.subscription.updated', limit: 1 });
      expect(updated.data[0].data.previous_attributes).toMatchObject({ cancel_at_period_end: false });
    });
  });
});
