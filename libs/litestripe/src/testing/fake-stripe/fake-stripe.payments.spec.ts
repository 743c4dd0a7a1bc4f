import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { rejectionOf, stripeClient } from './spec-helpers.js';

describe('FakeStripe one-time payments, refunds and disputes', () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  let price: Stripe.Price;

  beforeAll(async () => {
    fake = await FakeStripe.start();
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(() => {
    fake.reset();
    price = fake.seedPrice({ interval: null, unitAmount: 2450, nickname: 'Lifetime pass' });
  });

  const types = (events: Stripe.Event[]) => events.map((event) => event.type);

  function createPaymentSession(extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) {
    return stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price: price.id, quantity: 2 }],
      customer_email: 'buyer@example.com',
      payment_intent_data: { metadata: { order: 'ord_42' } },
      metadata: { source: 'shop' },
      success_url: 'https://app.example.com/thanks',
      ...extra,
    });
  }

  /** A paid one-time checkout of 49.00 USD: its PaymentIntent and charge. */
  async function paidPayment() {
    const session = await createPaymentSession();
    const { paymentIntent } = fake.completeCheckoutSession(session.id);
    const intent = paymentIntent as Stripe.PaymentIntent;
    return { session, intent, charge: fake.charges.get(intent.latest_charge as string) as Stripe.Charge };
  }

  describe('payment-mode checkout', () => {
    it('charges the customer: a succeeded PaymentIntent and charge, with Stripe’s event order', async () => {
      const session = await createPaymentSession();
      const completed = fake.completeCheckoutSession(session.id);

      expect(types(completed.events)).toEqual(['customer.created', 'charge.succeeded', 'payment_intent.succeeded', 'checkout.session.completed']);
      const intent = await stripe.paymentIntents.retrieve(completed.session.payment_intent as string);
      expect(intent).toMatchObject({
        object: 'payment_intent',
        status: 'succeeded',
        amount: 4900,
        amount_received: 4900,
        currency: 'usd',
        customer: completed.customer.id,
        metadata: { order: 'ord_42' },
        livemode: false,
      });
      expect(intent.id).toMatch(/^pi_/);
      const charge = await stripe.charges.retrieve(intent.latest_charge as string);
      expect(charge).toMatchObject({
        object: 'charge',
        amount: 4900,
        amount_captured: 4900,
        amount_refunded: 0,
        refunded: false,
        paid: true,
        captured: true,
        status: 'succeeded',
        disputed: false,
        payment_intent: intent.id,
        customer: completed.customer.id,
        currency: 'usd',
        livemode: false,
        billing_details: { email: 'buyer@example.com' },
      });
      expect(charge.id).toMatch(/^ch_/);
      // Current API versions leave `refunds` off a charge unless expanded.
      expect(charge).not.toHaveProperty('refunds');

      const retrieved = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent.latest_charge'] });
      expect(retrieved).toMatchObject({ status: 'complete', payment_status: 'paid', subscription: null, metadata: { source: 'shop' } });
      expect((retrieved.payment_intent as Stripe.PaymentIntent).latest_charge).toMatchObject({ id: charge.id, object: 'charge' });

      const [chargeEvent, intentEvent, completedEvent] = completed.events.slice(1);
      expect(chargeEvent.data.object).toMatchObject({ id: charge.id, status: 'succeeded' });
      expect(intentEvent.data.object).toMatchObject({ id: intent.id, status: 'succeeded', latest_charge: charge.id });
      expect(completedEvent.data.object).toMatchObject({ id: session.id, payment_intent: intent.id, payment_status: 'paid' });
    });

    it('lists charges by payment intent and by customer', async () => {
      const first = await paidPayment();
      const second = await paidPayment();
      const byIntent = await stripe.charges.list({ payment_intent: first.intent.id });
      expect(byIntent.data.map((charge) => charge.id)).toEqual([first.charge.id]);
      const byCustomer = await stripe.charges.list({ customer: second.charge.customer as string });
      expect(byCustomer.data.map((charge) => charge.id)).toEqual([second.charge.id]);
      expect((await stripe.charges.list()).data.map((charge) => charge.id)).toEqual([second.charge.id, first.charge.id]);
    });

    it('refuses payment_intent_data outside payment mode and recurring prices in payment mode, as Stripe does', async () => {
      const monthly = fake.seedPrice({ unitAmount: 900 });
      const withIntentData = await rejectionOf(
        stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: monthly.id, quantity: 1 }], payment_intent_data: { metadata: { a: 'b' } } }),
      );
      expect(withIntentData).toMatchObject({ statusCode: 400, param: 'payment_intent_data', message: 'You can not pass `payment_intent_data` in `subscription` mode.' });
      const recurring = await rejectionOf(createPaymentSession({ line_items: [{ price: monthly.id, quantity: 1 }] }));
      expect(recurring).toMatchObject({ statusCode: 400, param: 'line_items' });
      expect(recurring.message).toContain('You specified `payment` mode but passed a recurring price.');
    });
  });

  describe('delayed payments', () => {
    it('completes unpaid with a processing PaymentIntent, then settles: charge, intent and async_payment_succeeded', async () => {
      const session = await createPaymentSession();
      const completed = fake.completeCheckoutSession(session.id, { delayedPayment: true });

      expect(types(completed.events)).toEqual(['customer.created', 'checkout.session.completed']);
      expect(completed.session).toMatchObject({ status: 'complete', payment_status: 'unpaid' });
      expect(completed.paymentIntent).toMatchObject({ status: 'processing', latest_charge: null, amount_received: 0 });
      expect(fake.charges.count).toBe(0);

      const settled = fake.settleDelayedPayment(session.id);
      expect(types(settled.events)).toEqual(['charge.succeeded', 'payment_intent.succeeded', 'checkout.session.async_payment_succeeded']);
      expect(settled.result).toMatchObject({ id: session.id, payment_status: 'paid' });
      const intent = await stripe.paymentIntents.retrieve(completed.paymentIntent?.id as string);
      expect(intent).toMatchObject({ status: 'succeeded', amount_received: 4900 });
      expect(await stripe.charges.retrieve(intent.latest_charge as string)).toMatchObject({ status: 'succeeded', payment_intent: intent.id });
      expect(settled.events[2].data.object).toMatchObject({ id: session.id, payment_status: 'paid' });

      expect(() => fake.settleDelayedPayment(session.id)).toThrow(/no delayed payment to settle/);
    });

    it('fails a delayed payment: the intent wants a new payment method and the session stays unpaid', async () => {
      const session = await createPaymentSession();
      const { paymentIntent } = fake.completeCheckoutSession(session.id, { delayedPayment: true });

      const failed = fake.settleDelayedPayment(session.id, { succeed: false });
      expect(types(failed.events)).toEqual(['payment_intent.payment_failed', 'checkout.session.async_payment_failed']);
      expect(failed.result.payment_status).toBe('unpaid');
      const intent = await stripe.paymentIntents.retrieve(paymentIntent?.id as string);
      expect(intent).toMatchObject({ status: 'requires_payment_method', latest_charge: null, last_payment_error: { code: 'payment_intent_payment_attempt_failed' } });
      expect(fake.charges.count).toBe(0);
      expect(() => fake.settleDelayedPayment(session.id)).toThrow(/no delayed payment to settle/);
    });

    it('settles only a completed, unpaid payment session', async () => {
      const open = await createPaymentSession();
      expect(() => fake.settleDelayedPayment(open.id)).toThrow(/no delayed payment to settle/);
      const { session } = await paidPayment();
      expect(() => fake.settleDelayedPayment(session.id)).toThrow(/no delayed payment to settle/);
      const subscriptionSession = await stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: fake.seedPrice().id, quantity: 1 }] });
      expect(() => fake.completeCheckoutSession(subscriptionSession.id, { delayedPayment: true })).toThrow(/payment-mode/);
    });
  });

  describe('refunds', () => {
    it('refunds a payment in full: refund.created, then charge.refunded with the previous amounts', async () => {
      const { intent, charge } = await paidPayment();
      fake.clearRequests();
      const refund = await stripe.refunds.create({ payment_intent: intent.id, reason: 'requested_by_customer', metadata: { ticket: 'T-1' } });

      expect(refund).toMatchObject({
        object: 'refund',
        status: 'succeeded',
        amount: 4900,
        charge: charge.id,
        payment_intent: intent.id,
        currency: 'usd',
        reason: 'requested_by_customer',
        metadata: { ticket: 'T-1' },
      });
      expect(refund.id).toMatch(/^re_/);
      expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 4900, refunded: true });

      const events = fake.events.all().slice(-2);
      expect(types(events)).toEqual(['refund.created', 'charge.refunded']);
      expect(events[0].data.object).toMatchObject({ id: refund.id });
      expect(events[1].data.object).toMatchObject({ id: charge.id, amount_refunded: 4900, refunded: true });
      expect(events[1].data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
      expect(events[1].request?.id).toBe(fake.requests[0].requestId);

      expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({ id: refund.id, amount: 4900 });
      expect((await stripe.refunds.list({ payment_intent: intent.id })).data.map((r) => r.id)).toEqual([refund.id]);
      const expanded = await stripe.charges.retrieve(charge.id, { expand: ['refunds'] });
      expect(expanded.refunds).toMatchObject({ object: 'list', has_more: false, url: `/v1/charges/${charge.id}/refunds`, data: [{ id: refund.id }] });
    });

    it('refunds part by part, refuses more than is left, and refuses a fully refunded charge', async () => {
      const { charge } = await paidPayment();
      const first = await stripe.refunds.create({ charge: charge.id, amount: 1000 });
      expect(first).toMatchObject({ amount: 1000, charge: charge.id });
      expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ amount_refunded: 1000, refunded: false });
      const partial = fake.events.find((event) => event.type === 'charge.refunded') as Stripe.Event;
      expect(partial.data.previous_attributes).toEqual({ amount_refunded: 0 });

      const eventsBefore = fake.events.count;
      const tooMuch = await rejectionOf(stripe.refunds.create({ charge: charge.id, amount: 4000 }));
      expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(tooMuch).toMatchObject({
        statusCode: 400,
        param: 'amount',
        message: 'Refund amount ($40.00) is greater than unrefunded amount on charge ($39.00)',
      });
      expect(tooMuch.code).toBeUndefined();
      expect(fake.events.count).toBe(eventsBefore);
      expect(fake.charges.get(charge.id)?.amount_refunded).toBe(1000);

      const rest = await stripe.refunds.create({ charge: charge.id });
      expect(rest.amount).toBe(3900);
      const full = fake.events.find((event) => event.type === 'charge.refunded') as Stripe.Event;
      expect(full.data.previous_attributes).toEqual({ amount_refunded: 1000, refunded: false });

      const again = await rejectionOf(stripe.refunds.create({ charge: charge.id, amount: 1 }));
      expect(again).toMatchObject({ statusCode: 400, code: 'charge_already_refunded', message: `Charge ${charge.id} has already been refunded.` });
      expect((await stripe.refunds.list({ charge: charge.id })).data.map((r) => r.amount)).toEqual([3900, 1000]);
    });

    it('validates the request like Stripe', async () => {
      const { intent, charge } = await paidPayment();
      const neither = await rejectionOf(stripe.refunds.create({ amount: 100 }));
      expect(neither).toMatchObject({ statusCode: 400, message: 'One of the following params should be provided for this request: payment_intent or charge.' });
      const both = await rejectionOf(stripe.refunds.create({ charge: charge.id, payment_intent: intent.id }));
      expect(both).toMatchObject({ statusCode: 400, rawType: 'invalid_request_error' });
      const unknown = await rejectionOf(stripe.refunds.create({ charge: 'ch_missing' }));
      expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing', message: "No such charge: 'ch_missing'" });
      const zero = await rejectionOf(stripe.refunds.create({ charge: charge.id, amount: 0 }));
      expect(zero).toMatchObject({ statusCode: 400, code: 'parameter_invalid_integer', param: 'amount' });

      const delayed = await createPaymentSession();
      const { paymentIntent } = fake.completeCheckoutSession(delayed.id, { delayedPayment: true });
      const uncharged = await rejectionOf(stripe.refunds.create({ payment_intent: paymentIntent?.id }));
      expect(uncharged).toMatchObject({ statusCode: 400, message: `This PaymentIntent (${paymentIntent?.id}) does not have a successful charge to refund.` });
      expect(fake.refunds.count).toBe(0);
    });

    it('scripts a refund made from the dashboard, with the same events as the API', async () => {
      const { intent, charge } = await paidPayment();
      const { result, events } = fake.refund(intent.id, { amount: 500 });
      expect(result).toMatchObject({ amount: 500, charge: charge.id, payment_intent: intent.id, status: 'succeeded' });
      expect(types(events)).toEqual(['refund.created', 'charge.refunded']);
      expect(events.every((event) => event.request?.id === null)).toBe(true);
      expect(fake.refund(charge.id).result.amount).toBe(4400);
      expect(() => fake.refund(charge.id)).toThrow(`Charge ${charge.id} has already been refunded.`);
    });
  });

  describe('disputes', () => {
    it('opens a dispute on a payment, blocks refunds, and closes it lost', async () => {
      const { intent, charge } = await paidPayment();
      const opened = fake.openDispute(intent.id);
      expect(types(opened.events)).toEqual(['charge.dispute.created']);
      expect(opened.result).toMatchObject({
        object: 'dispute',
        amount: 4900,
        charge: charge.id,
        payment_intent: intent.id,
        currency: 'usd',
        status: 'needs_response',
        reason: 'fraudulent',
        is_charge_refundable: false,
        livemode: false,
      });
      expect(opened.result.id).toMatch(/^dp_/);
      expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ disputed: true });
      expect(await stripe.disputes.retrieve(opened.result.id)).toMatchObject({ status: 'needs_response' });
      expect((await stripe.disputes.list({ payment_intent: intent.id })).data.map((d) => d.id)).toEqual([opened.result.id]);
      expect((await stripe.disputes.list({ charge: 'ch_other' })).data).toEqual([]);

      const refused = await rejectionOf(stripe.refunds.create({ payment_intent: intent.id }));
      expect(refused).toMatchObject({ statusCode: 400, code: 'charge_disputed', message: `Charge ${charge.id} has been charged back; cannot issue a refund.` });

      const closed = fake.closeDispute(opened.result.id, 'lost');
      expect(types(closed.events)).toEqual(['charge.dispute.closed']);
      expect(closed.events[0].data.object).toMatchObject({ id: opened.result.id, status: 'lost' });
      expect(closed.events[0].data.previous_attributes).toEqual({ status: 'needs_response' });
      expect(() => fake.closeDispute(opened.result.id, 'won')).toThrow(/already closed/);
      expect((await rejectionOf(stripe.refunds.create({ charge: charge.id }))).code).toBe('charge_disputed');
    });

    it('closes a partial dispute won, which makes the charge refundable again', async () => {
      const { charge } = await paidPayment();
      const { result: dispute } = fake.openDispute(charge.id, { reason: 'product_not_received', amount: 1000 });
      expect(dispute).toMatchObject({ amount: 1000, reason: 'product_not_received' });

      const won = fake.closeDispute(dispute.id, 'won');
      expect(won.result).toMatchObject({ status: 'won', is_charge_refundable: true });
      expect(won.events[0].data.previous_attributes).toEqual({ status: 'needs_response', is_charge_refundable: false });
      await expect(stripe.refunds.create({ charge: charge.id, amount: 500 })).resolves.toMatchObject({ status: 'succeeded' });
    });

    it('refuses to dispute what was never charged', async () => {
      const session = await createPaymentSession();
      const { paymentIntent } = fake.completeCheckoutSession(session.id, { delayedPayment: true });
      expect(() => fake.openDispute(paymentIntent?.id as string)).toThrow(/no charge/);
      expect(() => fake.closeDispute('dp_missing', 'won')).toThrow(/no dispute/);
    });
  });

  it('forgets payments, refunds and disputes on reset', async () => {
    const { charge } = await paidPayment();
    fake.refund(charge.id, { amount: 100 });
    fake.openDispute(charge.id);
    fake.reset({ keepCatalog: true });
    expect([fake.paymentIntents.count, fake.charges.count, fake.refunds.count, fake.disputes.count]).toEqual([0, 0, 0, 0]);
    expect(await rejectionOf(stripe.charges.retrieve(charge.id))).toMatchObject({ statusCode: 404 });
  });
});
