import Stripe from 'stripe';
import { FakeStripe } from './fake-stripe.server.js';
import { stripeClient } from './spec-helpers.js';

const DAY = 86_400;
/** 2027-01-15T00:00:00Z: months from here have 28-31 days, which the period maths must respect. */
const T0 = 1_799_971_200;

describe('FakeStripe scripted billing lifecycle', () => {
  let fake: FakeStripe;
  let stripe: Stripe;
  let price: Stripe.Price;
  let customer: Stripe.Customer;

  beforeAll(async () => {
    fake = await FakeStripe.start({ now: () => T0 });
    stripe = stripeClient(fake);
  });

  afterAll(() => fake.stop());

  beforeEach(async () => {
    fake.reset();
    price = await stripe.prices.create({ currency: 'usd', unit_amount: 1200, recurring: { interval: 'month' }, product_data: { name: 'Monthly' } });
    customer = await stripe.customers.create({ email: 'life@example.com' });
  });

  const eventTypes = (events: Stripe.Event[]) => events.map((event) => event.type);

  it('uses the injected clock for timestamps and computes calendar-month periods', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(subscription.created).toBe(T0);
    expect(subscription.items.data[0].current_period_end).toBe(Date.UTC(2027, 1, 15) / 1000);
    expect(fake.now()).toBe(T0);
  });

  it('renews at period end with a paid subscription_cycle invoice', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const firstEnd = subscription.items.data[0].current_period_end;

    const { result: now, events } = fake.advanceClock(32 * DAY);
    expect(now).toBe(T0 + 32 * DAY);
    expect(eventTypes(events)).toEqual(['customer.subscription.updated', 'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded']);

    const renewed = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
    expect(renewed.status).toBe('active');
    expect(renewed.items.data[0].current_period_start).toBe(firstEnd);
    expect(renewed.items.data[0].current_period_end).toBe(Date.UTC(2027, 2, 15) / 1000);
    const invoice = renewed.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ billing_reason: 'subscription_cycle', status: 'paid', amount_paid: 1200 });
    expect(invoice.lines.data[0].period).toEqual({ start: firstEnd, end: Date.UTC(2027, 2, 15) / 1000 });
    expect(events[0].data.previous_attributes).toMatchObject({ latest_invoice: subscription.latest_invoice, items: expect.any(Object) });
    expect(events[3].request).toEqual({ id: null, idempotency_key: null });
  });

  it('renews once per elapsed period when time jumps far ahead', async () => {
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const { events } = fake.advanceClock(95 * DAY);
    expect(eventTypes(events).filter((type) => type === 'invoice.paid')).toHaveLength(3);
  });

  it('warns before a trial ends, then converts the trial into a paid subscription', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 10 });
    const trialInvoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(trialInvoice).toMatchObject({ amount_paid: 0, status: 'paid' });

    expect(eventTypes(fake.advanceClock(6 * DAY).events)).toEqual([]);
    expect(eventTypes(fake.advanceClock(1 * DAY).events)).toEqual(['customer.subscription.trial_will_end']);
    expect(eventTypes(fake.advanceClock(1 * DAY).events)).toEqual([]);
    const { events } = fake.advanceClock(2 * DAY);
    expect(eventTypes(events)).toContain('invoice.paid');
    const updated = events.find((event) => event.type === 'customer.subscription.updated')!;
    expect(updated.data.object).toMatchObject({ status: 'active' });
    expect(updated.data.previous_attributes).toMatchObject({ status: 'trialing' });
  });

  it('ends a subscription scheduled to cancel at period end', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
    const periodEnd = subscription.items.data[0].current_period_end;
    const { events } = fake.advanceClock(40 * DAY);
    expect(eventTypes(events)).toEqual(['customer.subscription.deleted']);
    expect(events[0].data.object).toMatchObject({ status: 'canceled', ended_at: periodEnd, canceled_at: T0 });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('canceled');
  });

  it('goes past_due when the renewal payment fails', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    fake.failPayments(customer.id);
    const { events } = fake.advanceClock(31 * DAY);
    expect(eventTypes(events)).toEqual(['customer.subscription.updated', 'invoice.created', 'invoice.finalized', 'invoice.payment_failed']);
    const failed = events[3].data.object as Stripe.Invoice;
    expect(failed).toMatchObject({ status: 'open', attempted: true, attempt_count: 1, amount_paid: 0 });
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('past_due');

    fake.failPayments(customer.id, false);
    fake.advanceClock(30 * DAY);
    expect((await stripe.subscriptions.retrieve(subscription.id)).status).toBe('active');
  });

  it('voids invoices while collection is paused with behavior void', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    await stripe.subscriptions.update(subscription.id, { pause_collection: { behavior: 'void' } });
    const { events } = fake.advanceClock(31 * DAY);
    expect(eventTypes(events)).toEqual(['customer.subscription.updated', 'invoice.created', 'invoice.voided']);
  });

  it('scripts state changes with updateSubscription and records the matching events', async () => {
    const subscription = await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], metadata: { account: 'a1' } });

    const pastDue = fake.updateSubscription(subscription.id, { status: 'past_due', metadata: { dunning: 'yes' } });
    expect(pastDue.result).toMatchObject({ status: 'past_due', metadata: { account: 'a1', dunning: 'yes' } });
    expect(eventTypes(pastDue.events)).toEqual(['customer.subscription.updated']);
    expect(pastDue.events[0].data.previous_attributes).toEqual({ status: 'active', metadata: { dunning: null } });

    const moved = fake.updateSubscription(subscription.id, { current_period_end: T0 + 5 * DAY });
    expect(moved.result.items.data[0].current_period_end).toBe(T0 + 5 * DAY);

    const canceled = fake.updateSubscription(subscription.id, { status: 'canceled' });
    expect(eventTypes(canceled.events)).toEqual(['customer.subscription.deleted']);
    expect(canceled.result).toMatchObject({ status: 'canceled', ended_at: T0 });
    expect(await stripe.subscriptions.retrieve(subscription.id)).toMatchObject({ status: 'canceled' });
  });

  it('reset() forgets state and the clock offset', async () => {
    await stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    fake.advanceClock(DAY);
    fake.reset({ keepCatalog: true });
    expect(fake.now()).toBe(T0);
    expect(fake.subscriptions.count).toBe(0);
    expect(fake.customers.count).toBe(0);
    expect(fake.events.count).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(fake.prices.get(price.id)).toBeDefined();
  });
});
